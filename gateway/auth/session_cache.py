"""The sessions this process has checked lately, kept in memory so that most calls need no
session statement at all, and kept exact by PostgreSQL's ``LISTEN``/``NOTIFY``.

Triggers (schema/009) notify channel ``gateway_auth`` when a session row is deleted (ended,
swept, its user removed) and when a user row changes (disabled, its role or name changed,
removed); every process drops what the notice names, as soon as it arrives. While the
listening connection is down (not yet connected, lost, or not answering its ping), nothing is
served from memory: every call checks its session in the database, as without a cache.

A cached session is checked in the database again once its ``last_used_at`` there is
``touch_after`` old, with the same statement that slides its expiry, so a session expires
exactly as it would without the cache. A check that raced with a notice is not cached.
"""

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from gateway.auth.sessions import RESOLVE_SQL, session_digest
from gateway.auth.users import Principal, principal_of

__all__ = ["CHANNEL", "SessionCache"]

log = logging.getLogger(__name__)

CHANNEL = "gateway_auth"
_SESSION_ID = re.compile(r"[0-9a-f]{64}")
_MAX_ENTRIES = 100_000
_PING_EVERY = 2.0  # seconds between checks that the listening connection still answers
_RECONNECT_AFTER = 1.0


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    check_again_at: float  # time.monotonic()


class SessionCache:
    """``resolve`` a session id to its user; ``forget`` one ended here. ``start`` and ``stop``
    the listener with the application."""

    def __init__(self, ttl: float, touch_after: float, *, enabled: bool = True) -> None:
        self.ttl = ttl
        self.touch_after = touch_after
        self.enabled = enabled
        self.listening = False
        self._entries: dict[bytes, _Entry] = {}
        self._generation = 0  # moves at every notice: a check that saw it move is not kept
        self._task: asyncio.Task[None] | None = None

    async def resolve(
        self, connection: Callable[[], Awaitable[asyncpg.Connection]], session_id: object
    ) -> Principal | None:
        """The session's user, or None when the id is malformed, unknown or expired.
        ``connection`` is called only when the database must be asked."""
        if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
            return None
        digest = session_digest(session_id)
        now = time.monotonic()
        if self.listening:
            entry = self._entries.get(digest)
            if entry is not None and now < entry.check_again_at:
                return entry.principal
        generation = self._generation
        row = await (await connection()).fetchrow(RESOLVE_SQL, digest, self.ttl, self.touch_after)
        if row is None:
            self._entries.pop(digest, None)
            return None
        principal = principal_of(row["user_id"], row["username"], tuple(row["resources"]))
        if self.listening and generation == self._generation:
            if len(self._entries) >= _MAX_ENTRIES:
                del self._entries[next(iter(self._entries))]  # the oldest checked
            self._entries[digest] = _Entry(principal, now + self.touch_after - row["age"])
        return principal

    def forget(self, session_id: object) -> None:
        """A session ended by this process: gone here at once (others hear of it)."""
        if isinstance(session_id, str):
            self._generation += 1
            self._entries.pop(session_digest(session_id), None)

    # --- the listener -------------------------------------------------------------------------

    def start(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._listen(connect))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._down()

    def _down(self) -> None:
        self.listening = False
        self._generation += 1
        self._entries.clear()

    def _heard(self, _: Any, __: int, ___: str, payload: str) -> None:
        self._generation += 1
        kind, subject = payload[:1], payload[1:]
        if kind == "s":
            self._entries.pop(bytes.fromhex(subject), None)
        elif kind == "u" and subject.isdigit():
            user_id = int(subject)
            for digest in [d for d, e in self._entries.items() if e.principal.user_id == user_id]:
                del self._entries[digest]
        else:
            self._entries.clear()

    def _lost(self, lost: asyncio.Event, _: object) -> None:
        self._down()  # at once: not a call more is answered from memory
        lost.set()

    async def _listen(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        """Keep a connection listening; while it is not, serve nothing from memory."""
        while True:
            connection: asyncpg.Connection | None = None
            lost = asyncio.Event()
            try:
                connection = await connect()
                connection.add_termination_listener(functools.partial(self._lost, lost))
                await connection.add_listener(CHANNEL, self._heard)
                # Whatever was cached before this point may have missed a notice.
                self._entries.clear()
                self._generation += 1
                self.listening = True
                log.info("session cache listening")
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), _PING_EVERY)
                        break
                    # A connection can die without a word: it must answer, and soon.
                    await asyncio.wait_for(connection.fetchval("SELECT 1"), _PING_EVERY)
                log.warning("session cache not listening", extra={"error": "connection lost"})
            except Exception as exc:
                if self.listening:
                    log.warning("session cache not listening", extra={"error": type(exc).__name__})
            finally:
                self._down()
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(_RECONNECT_AFTER)
