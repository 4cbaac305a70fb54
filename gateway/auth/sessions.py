"""API sessions: 256-bit random ids given to the client, only their sha256 kept here.

A session lives ``ttl`` seconds after its last use. Looking one up by its hash is an equality
match on a digest of a secret the caller must already know, so the lookup leaks no timing about
other sessions' ids. Expired rows are swept at each login; there is no cron to forget.
"""

import hashlib
import re
import secrets

import asyncpg

from gateway.auth.users import Principal

__all__ = ["end_session", "open_session", "resolve_session"]

_SESSION_ID = re.compile(r"[0-9a-f]{64}")

_SWEEP_SQL = """
DELETE FROM api_session WHERE last_used_at < now() - make_interval(secs => $1)
"""
_OPEN_SQL = "INSERT INTO api_session (token_hash, user_id) VALUES ($1, $2)"
# One round trip: checks the session is alive and its user active, and slides its expiry.
_RESOLVE_SQL = """
UPDATE api_session AS s SET last_used_at = now()
FROM api_user AS u
WHERE s.token_hash = $1
  AND s.last_used_at >= now() - make_interval(secs => $2)
  AND u.user_id = s.user_id AND u.is_active
RETURNING u.user_id, u.username, u.resources
"""
_END_SQL = "DELETE FROM api_session WHERE token_hash = $1"


def _digest(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


async def open_session(connection: asyncpg.Connection, user_id: int, ttl: float) -> str:
    await connection.execute(_SWEEP_SQL, ttl)
    session_id = secrets.token_hex(32)
    await connection.execute(_OPEN_SQL, _digest(session_id), user_id)
    return session_id


async def resolve_session(
    connection: asyncpg.Connection, session_id: object, ttl: float
) -> Principal | None:
    """The session's user, or None when the id is malformed, unknown or expired."""
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        return None
    row = await connection.fetchrow(_RESOLVE_SQL, _digest(session_id), ttl)
    if row is None:
        return None
    return Principal(row["user_id"], row["username"], frozenset(row["resources"]))


async def end_session(connection: asyncpg.Connection, session_id: object) -> None:
    if isinstance(session_id, str):
        await connection.execute(_END_SQL, _digest(session_id))
