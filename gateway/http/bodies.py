"""Request bodies, read whole before anything else is done for the request: bounded in size
(``GATEWAY_MAX_BODY``, HTTP 413) and in time (``GATEWAY_BODY_TIMEOUT``, HTTP 408), so that a
client sending slowly holds no database connection and no lock, only its own socket.

A compressed body (``Content-Encoding: gzip`` or ``deflate``) is bounded by what it inflates
to, not by what it weighs: aiohttp is told not to inflate bodies itself (``HANDLER_ARGS``),
and this module inflates at most ``GATEWAY_MAX_BODY + 1`` bytes of it, in one bounded step,
then answers 413. (Left to aiohttp, a refused body is read to its end to be discarded, and so
inflated whole on the event loop: a 1 MB body could cost it a gigabyte of work.)
"""

import asyncio
import zlib
from typing import Any

from aiohttp import web

from gateway.http.exchange import SERVICES

__all__ = ["HANDLER_ARGS", "BodyRefused", "read_body"]

# For web.Application(handler_args=...): bodies arrive as they were sent.
HANDLER_ARGS: dict[str, Any] = {"auto_decompress": False}

# zlib's window bits: 16 + 15 reads a gzip member, 15 a zlib stream, -15 raw deflate (which
# some clients send as "deflate").
_WINDOW_BITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}
_RAW_DEFLATE = -15


class BodyRefused(Exception):
    """A body too large, too slow or not readable: the HTTP status and a message for the
    wire's error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: web.Request) -> bytes:
    try:
        if request.content.is_eof():
            raw = await request.read()  # all of it has come already: nothing to wait for
        else:
            async with asyncio.timeout(request.app[SERVICES].settings.body_timeout):
                raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyRefused(413, "Request body too large") from None
    except TimeoutError:
        raise BodyRefused(408, "Request body not received in time") from None
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "identity" or not raw:
        return raw
    if encoding not in _WINDOW_BITS:
        raise BodyRefused(415, f"Content-Encoding {encoding[:40]!r} is not supported")
    return inflate(raw, encoding, request.app[SERVICES].settings.max_body)


def inflate(raw: bytes, encoding: str, most: int) -> bytes:
    """``raw`` inflated, refused with 413 as soon as it would exceed ``most`` bytes: zlib is
    never asked for more than ``most + 1`` bytes, so the work is bounded whatever ``raw``
    would inflate to. Concatenated gzip members are read one after another."""
    bits = _WINDOW_BITS[encoding]
    if encoding == "deflate" and raw[:1] and raw[0] & 0x0F != 8:
        bits = _RAW_DEFLATE  # deflate without its zlib header, as some clients send it
    out = bytearray()
    pending = raw
    try:
        while pending:
            inflater = zlib.decompressobj(bits)
            out += inflater.decompress(pending, most + 1 - len(out))
            if len(out) > most or inflater.unconsumed_tail:
                raise BodyRefused(413, "Request body too large once inflated")
            if not inflater.eof:
                raise BodyRefused(400, f"The {encoding} body is cut short")
            pending = inflater.unused_data
    except zlib.error:
        raise BodyRefused(400, f"The body is not valid {encoding} data") from None
    return bytes(out)
