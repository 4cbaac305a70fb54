"""PostgreSQL's ``NOTIFY`` notices, heard by one listening connection per process and handed
to what this process keeps in memory (checked sessions, store views), so that each stays exact.

While the listening connection is down (not yet connected, lost) or silent, every subscriber
is told, at once, and must serve nothing from memory until it is told that listening resumed:
a notice may have been missed meanwhile. Silent is noticed by a heartbeat: every
``HEARTBEAT_EVERY`` seconds the listener sends a notice to itself, on a channel of its own,
which it must hear within ``HEARD_WITHIN``; so what is in memory is trusted at most that long
after the listener last proved it hears (a listening backend stopped, say, is bypassed within
``HEARTBEAT_EVERY + HEARD_WITHIN`` seconds). A listener silent for ``GIVE_UP_AFTER`` is
dropped and connected again.
"""

import asyncio
import contextlib
import functools
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import asyncpg

__all__ = ["GIVE_UP_AFTER", "HEARD_WITHIN", "HEARTBEAT_EVERY", "Listener", "Subscriber"]

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 0.1
HEARD_WITHIN = 0.2
GIVE_UP_AFTER = 5.0
_RECONNECT_AFTER = 1.0
_HEARTBEAT_SQL = "SELECT pg_notify($1, '')"


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
        # A channel of this listener's own, so that no process hears another's heartbeats.
        heartbeat_channel = f"gateway_heartbeat_{secrets.token_hex(8)}"
        up = False
        while True:
            connection: asyncpg.Connection | None = None
            lost = asyncio.Event()
            heard = asyncio.Event()
            try:
                connection = await connect()
                connection.add_termination_listener(functools.partial(self._lost, lost))
                for subscriber in self.subscribers:
                    await connection.add_listener(subscriber.channel, _deliver(subscriber))
                await connection.add_listener(heartbeat_channel, _setting(heard))
                self._tell(True)
                up = True
                log.info("listening for notices")
                await self._beat(connection, heartbeat_channel, heard, lost)
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

    async def _beat(
        self,
        connection: asyncpg.Connection,
        channel: str,
        heard: asyncio.Event,
        lost: asyncio.Event,
    ) -> None:
        """Until the connection is lost: a heartbeat, heard in time, or memory is bypassed
        until it is; one not heard for ``GIVE_UP_AFTER`` raises TimeoutError."""
        silent = False
        while not lost.is_set():
            heard.clear()
            sent = asyncio.ensure_future(connection.execute(_HEARTBEAT_SQL, channel))
            try:
                try:
                    async with asyncio.timeout(HEARD_WITHIN):
                        await heard.wait()
                except TimeoutError:
                    if lost.is_set():
                        return
                    silent = True
                    self._tell(False)  # at once: not a call more is answered from memory
                    log.warning("notices not heard in time: memory bypassed")
                    async with asyncio.timeout(GIVE_UP_AFTER):
                        await heard.wait()
                await sent
            finally:
                sent.cancel()
            if silent:
                silent = False
                self._tell(True)  # listening again: what was kept may have missed a notice
                log.info("listening for notices")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HEARTBEAT_EVERY):
                    await lost.wait()


def _setting(event: asyncio.Event) -> Callable[[Any, int, str, str], None]:
    def deliver(_: Any, __: int, ___: str, ____: str) -> None:
        event.set()

    return deliver


def _deliver(subscriber: Subscriber) -> Callable[[Any, int, str, str], None]:
    def deliver(_: Any, __: int, ___: str, payload: str) -> None:
        subscriber.heard(payload)

    return deliver
