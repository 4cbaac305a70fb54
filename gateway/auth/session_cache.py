"""The sessions this process has checked lately, kept in memory so that most calls need no
session statement at all, and kept exact by PostgreSQL's ``LISTEN``/``NOTIFY``.

Triggers (schema/009) notify channel ``gateway_auth`` when a session row is deleted (ended,
swept, its user removed) and when a user row changes (disabled, its role or name changed,
removed); every process drops what the notice names, as soon as it arrives. While the
listening connection is down (gateway.notices), nothing is served from memory: every call
checks its session in the database, as without a cache.

A cached session is checked in the database again once its ``last_used_at`` there is
``touch_after`` old, with the same statement that slides its expiry, so a session expires
exactly as it would without the cache. A check that raced with a notice is not cached.
"""

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from gateway.auth.sessions import RESOLVE_SQL, session_digest
from gateway.auth.users import Principal, principal_of

__all__ = ["CHANNEL", "SessionCache"]

CHANNEL = "gateway_auth"
_SESSION_ID = re.compile(r"[0-9a-f]{64}")
_MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    check_again_at: float  # time.monotonic()


class SessionCache:
    """``resolve`` a session id to its user; ``forget`` one ended here. Kept exact by the
    process's notice listener (gateway.notices), which it subscribes to."""

    def __init__(self, ttl: float, touch_after: float, *, enabled: bool = True) -> None:
        self.ttl = ttl
        self.touch_after = touch_after
        self.enabled = enabled
        self.listening = False
        self._entries: dict[bytes, _Entry] = {}
        self._generation = 0  # moves at every notice: a check that saw it move is not kept

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

    # --- as a subscriber of gateway.notices -------------------------------------------------

    channel = CHANNEL

    def set_listening(self, state: bool) -> None:
        # Either way, whatever was cached may have missed a notice.
        self.listening = state and self.enabled
        self._generation += 1
        self._entries.clear()

    def heard(self, payload: str) -> None:
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
