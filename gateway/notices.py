"""PostgreSQL's ``NOTIFY`` notices, heard by one listening connection per process and handed
to what this process keeps in memory (checked sessions, store views), so that each stays exact.

While the listening connection is down (not yet connected, lost, or not answering its ping),
every subscriber is told, at once, and must serve nothing from memory until it is told that
listening resumed: a notice may have been missed meanwhile.
"""

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import asyncpg

__all__ = ["Listener", "Subscriber"]

log = logging.getLogger(__name__)

_PING_EVERY = 2.0  # seconds between checks that the listening connection still answers
_RECONNECT_AFTER = 1.0


class Subscriber(Protocol):
    """What keeps something in memory on the word of one channel."""

    @property
    def channel(self) -> str: ...

    def heard(self, payload: str) -> None:
        """A notice on ``channel``: drop what it names."""

    def set_listening(self, state: bool) -> None:
        """Listening started (True: drop all, a notice may have been missed) or stopped
        (False: serve nothing from memory until it starts again)."""


class Listener:
    """``start`` keeps a connection listening on each subscriber's channel; ``stop`` ends it."""

    def __init__(self, subscribers: Sequence[Subscriber]) -> None:
        self.subscribers = tuple(subscribers)
        self._task: asyncio.Task[None] | None = None

    def start(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        if self.subscribers and self._task is None:
            self._task = asyncio.create_task(self._listen(connect))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._tell(False)

    def _tell(self, state: bool) -> None:
        for subscriber in self.subscribers:
            subscriber.set_listening(state)

    def _lost(self, lost: asyncio.Event, _: object) -> None:
        self._tell(False)  # at once: not a call more is answered from memory
        lost.set()

    async def _listen(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        up = False
        while True:
            connection: asyncpg.Connection | None = None
            lost = asyncio.Event()
            try:
                connection = await connect()
                connection.add_termination_listener(functools.partial(self._lost, lost))
                for subscriber in self.subscribers:
                    await connection.add_listener(subscriber.channel, _deliver(subscriber))
                self._tell(True)
                up = True
                log.info("listening for notices")
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), _PING_EVERY)
                        break
                    # A connection can die without a word: it must answer, and soon.
                    await asyncio.wait_for(connection.fetchval("SELECT 1"), _PING_EVERY)
                log.warning("not listening for notices", extra={"error": "connection lost"})
            except Exception as exc:
                if up:
                    log.warning("not listening for notices", extra={"error": type(exc).__name__})
            finally:
                up = False
                self._tell(False)
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(_RECONNECT_AFTER)


def _deliver(subscriber: Subscriber) -> Callable[[Any, int, str, str], None]:
    def deliver(_: Any, __: int, ___: str, payload: str) -> None:
        subscriber.heard(payload)

    return deliver
