"""API sessions: 256-bit random ids given to the client, only their sha256 kept here.

A session lives ``ttl`` seconds after its last use, and a user holds at most ``most`` live
sessions: a login beyond that ends the least recently used (by ``last_used_at``, which is
written at most every ``touch_after`` seconds, so "least recently" is that coarse). Looking one
up by its hash is an equality match on a digest of a secret the caller must already know, so the
lookup leaks no timing about other sessions' ids. Expired rows are swept at each login; there
is no cron to forget. Checking a session is ``gateway.auth.session_cache``'s, with
``RESOLVE_SQL``.
"""

import hashlib
import secrets

import asyncpg

__all__ = ["RESOLVE_SQL", "end_session", "open_session", "session_digest", "touch_after"]

_SWEEP_SQL = """
DELETE FROM api_session WHERE last_used_at < now() - make_interval(secs => $1)
"""
_OPEN_SQL = "INSERT INTO api_session (token_hash, user_id) VALUES ($1, $2)"
# Logins of one user take turns, so that the count is exact whatever runs at once.
_LOCK_USER_SQL = "SELECT pg_advisory_xact_lock($1, $2)"
_SESSIONS_LOCK = 0x5E55  # with the user id: the lock's two keys
_TRIM_SQL = """
DELETE FROM api_session WHERE token_hash IN (
    SELECT token_hash FROM api_session WHERE user_id = $1
    ORDER BY last_used_at DESC, created_at DESC OFFSET $2)
"""
# One round trip: checks the session is alive ($2 = TTL) and its user active, and slides its
# expiry. The row is written only when its last use is older than $3 seconds: most calls then
# only read, and commit without a WAL flush. ``age``: how old last_used_at is once the
# statement ran (0 when it slid it).
RESOLVE_SQL = """
WITH found AS (
    SELECT s.token_hash, s.last_used_at, u.user_id, u.username, u.resources
    FROM api_session AS s JOIN api_user AS u ON u.user_id = s.user_id
    WHERE s.token_hash = $1
      AND s.last_used_at >= now() - make_interval(secs => $2)
      AND u.is_active
), touched AS (
    UPDATE api_session AS s SET last_used_at = now()
    FROM found
    WHERE s.token_hash = found.token_hash
      AND found.last_used_at < now() - make_interval(secs => $3)
)
SELECT user_id, username, resources,
       CASE WHEN last_used_at < now() - make_interval(secs => $3) THEN 0
            ELSE extract(epoch FROM now() - last_used_at)::float8 END AS age
FROM found
"""
# How stale last_used_at may get: a hundredth of the TTL, at most 30 s. A session can thus
# expire that much before a full TTL after its very last use.
_TOUCH_SHARE = 0.01
_TOUCH_MAX = 30.0
_END_SQL = "DELETE FROM api_session WHERE token_hash = $1"


def session_digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def touch_after(ttl: float) -> float:
    """Seconds after which a session's last use is written again."""
    return min(ttl * _TOUCH_SHARE, _TOUCH_MAX)


async def open_session(connection: asyncpg.Connection, user_id: int, ttl: float, most: int) -> str:
    """A new session of ``user_id``; beyond ``most``, its least recently used ones end."""
    await connection.execute(_SWEEP_SQL, ttl)
    session_id = secrets.token_hex(32)
    async with connection.transaction():
        await connection.execute(_LOCK_USER_SQL, _SESSIONS_LOCK, user_id)
        await connection.execute(_OPEN_SQL, session_digest(session_id), user_id)
        await connection.execute(_TRIM_SQL, user_id, most)
    return session_id


async def end_session(connection: asyncpg.Connection, session_id: object) -> None:
    if isinstance(session_id, str):
        await connection.execute(_END_SQL, session_digest(session_id))
