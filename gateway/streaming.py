"""A JSON value produced while it is written, shared by the resources that make one and the
transport that writes it."""

from collections.abc import AsyncGenerator

__all__ = ["JsonStream"]


class JsonStream:
    """A JSON value written piece by piece: ``chunks`` yields its bytes, in order."""

    __slots__ = ("chunks",)

    def __init__(self, chunks: AsyncGenerator[bytes, None]) -> None:
        self.chunks = chunks
