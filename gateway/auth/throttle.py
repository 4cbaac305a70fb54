"""The login throttle: failures counted per username and per client address, in the database so
that every worker and every machine sees the same counts.

Each failure inside the window slows the answer a little more; ``max_failures`` of them lock
the key for ``lockout`` seconds, during which logins are refused without looking at the key.
"""

import datetime as dt
import math

import asyncpg

__all__ = ["locked_for", "record_failure", "reset", "throttle_keys"]

_LOCKED_SQL = """
SELECT max(locked_until) - now() FROM api_login_failure
WHERE throttle_key = ANY($1::text[]) AND locked_until > now()
"""
# $2 max failures, $3 window seconds, $4 lockout seconds. A failure after the window starts
# a new count; reaching the limit (again) locks the key. In SET, f.* are the old values.
_FAILURE_SQL = """
INSERT INTO api_login_failure AS f (throttle_key, failures, first_failure_at, locked_until)
SELECT key, 1, now(), CASE WHEN $2 <= 1 THEN now() + make_interval(secs => $4) END
FROM unnest($1::text[]) AS key
ON CONFLICT (throttle_key) DO UPDATE SET
    failures = CASE WHEN f.first_failure_at < now() - make_interval(secs => $3)
                    THEN 1 ELSE f.failures + 1 END,
    first_failure_at = CASE WHEN f.first_failure_at < now() - make_interval(secs => $3)
                            THEN now() ELSE f.first_failure_at END,
    locked_until = CASE
        WHEN (CASE WHEN f.first_failure_at < now() - make_interval(secs => $3)
                   THEN 1 ELSE f.failures + 1 END) >= $2
        THEN now() + make_interval(secs => $4)
    END
RETURNING failures
"""
_RESET_SQL = "DELETE FROM api_login_failure WHERE throttle_key = $1"


def throttle_keys(username: str, address: str | None) -> list[str]:
    keys = [f"user:{username}"]
    if address:
        keys.append(f"addr:{address}")
    return keys


async def locked_for(connection: asyncpg.Connection, keys: list[str]) -> int | None:
    """Whole seconds until every key is unlocked, or None when none is locked."""
    remaining: dt.timedelta | None = await connection.fetchval(_LOCKED_SQL, keys)
    return math.ceil(remaining.total_seconds()) if remaining is not None else None


async def record_failure(
    connection: asyncpg.Connection,
    keys: list[str],
    *,
    max_failures: int,
    window: float,
    lockout: float,
) -> int:
    """Count one failure against each key; return the highest count among them."""
    rows = await connection.fetch(_FAILURE_SQL, keys, max_failures, window, lockout)
    return int(max(row["failures"] for row in rows))


async def reset(connection: asyncpg.Connection, key: str) -> None:
    await connection.execute(_RESET_SQL, key)
