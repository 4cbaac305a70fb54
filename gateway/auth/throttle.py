"""The login throttle, in the database so that every worker and every machine counts alike.

An attempt is counted *before* its key is checked, in one statement that also tells whether
it may be checked at all, so that parallel guesses cannot slip past the limit: per window
(``GATEWAY_LOGIN_FAILURE_WINDOW``) at most ``GATEWAY_LOGIN_MAX_FAILURES`` keys are checked for
one username from one client address, and ``GATEWAY_LOGIN_MAX_ADDRESS_FAILURES`` from one
address whatever the username. Past that the attempt is refused unchecked until the window
ends, or for ``GATEWAY_LOGIN_LOCKOUT`` after the failure that reached the limit if that is
later. A successful login takes its attempt back.

A username is never locked everywhere: guesses from one address cannot cut its real user off
at another. Failures for a username from anywhere only slow its failed answers down.

Keys: ``pair:ADDRESS:NAME`` and ``addr:ADDRESS`` (counted and locked), ``user:NAME``
(counted, for the slow-down).
"""

import datetime as dt
import math
from dataclasses import dataclass

import asyncpg

__all__ = ["Limits", "Throttle", "attempt", "fail", "succeed"]

# $1 keys; $2 window seconds. A key whose window has passed (and whose lock, if any, too)
# starts a new count.
_ATTEMPT_SQL = """
INSERT INTO api_login_failure AS f (throttle_key, failures, first_failure_at)
SELECT key, 1, now() FROM unnest($1::text[]) AS key
ON CONFLICT (throttle_key) DO UPDATE SET
    failures = CASE WHEN coalesce(f.locked_until, f.first_failure_at + make_interval(secs => $2))
                         < now() THEN 1 ELSE f.failures + 1 END,
    first_failure_at = CASE WHEN coalesce(f.locked_until,
                                          f.first_failure_at + make_interval(secs => $2))
                                 < now() THEN now() ELSE f.first_failure_at END,
    locked_until = CASE WHEN f.locked_until < now() THEN NULL ELSE f.locked_until END
RETURNING throttle_key, failures, first_failure_at, locked_until
"""
# $1 keys that reached their limit; $2 window; $3 lockout seconds.
_LOCK_SQL = """
UPDATE api_login_failure SET locked_until = greatest(
    now() + make_interval(secs => $3), first_failure_at + make_interval(secs => $2))
WHERE throttle_key = ANY($1::text[]) AND locked_until IS NULL
RETURNING extract(epoch FROM locked_until - now())
"""
_FORGET_SQL = "DELETE FROM api_login_failure WHERE throttle_key = $1"
_TAKE_BACK_SQL = """
UPDATE api_login_failure SET failures = failures - 1
WHERE throttle_key = $1 AND locked_until IS NULL AND failures > 0
"""


@dataclass(frozen=True, slots=True)
class Limits:
    per_pair: int
    per_address: int
    window: float
    lockout: float


@dataclass(frozen=True, slots=True)
class Throttle:
    """One login attempt's keys and what counting it found."""

    pair: str | None
    address: str | None
    user: str
    retry_after: int | None  # refused unchecked, for this many seconds
    reached: tuple[str, ...]  # keys this attempt brought to their limit
    user_failures: int  # the username's earlier failures, from anywhere


async def attempt(
    connection: asyncpg.Connection, username: str, address: str | None, limits: Limits
) -> Throttle:
    """Count a login attempt before its key is checked; ``retry_after`` says it may not be."""
    pair = f"pair:{address}:{username}" if address else None
    by_address = f"addr:{address}" if address else None
    user = f"user:{username}"
    keys = [k for k in (pair, by_address, user) if k is not None]
    rows = {
        row["throttle_key"]: row
        for row in await connection.fetch(_ATTEMPT_SQL, keys, limits.window)
    }
    now = dt.datetime.now(dt.UTC)
    retry_after: int | None = None
    reached = []
    for key, most in ((pair, limits.per_pair), (by_address, limits.per_address)):
        if key is None:
            continue
        row = rows[key]
        if row["failures"] > most or (row["locked_until"] and row["locked_until"] > now):
            until = row["locked_until"] or row["first_failure_at"] + dt.timedelta(
                seconds=limits.window
            )
            wait = math.ceil((until - now).total_seconds())
            retry_after = max(retry_after or 1, wait)
        elif row["failures"] == most:
            reached.append(key)
    return Throttle(pair, by_address, user, retry_after, tuple(reached), rows[user]["failures"] - 1)


async def fail(connection: asyncpg.Connection, throttle: Throttle, limits: Limits) -> int | None:
    """The key was wrong: lock the keys this attempt brought to their limit. For how many
    seconds, if it did."""
    if not throttle.reached:
        return None
    rows = await connection.fetch(_LOCK_SQL, list(throttle.reached), limits.window, limits.lockout)
    return max((math.ceil(row[0]) for row in rows), default=None)


async def succeed(connection: asyncpg.Connection, throttle: Throttle) -> None:
    """The key was right: this username from this address starts afresh, and the address and
    the username take this attempt back."""
    if throttle.pair is not None:
        await connection.execute(_FORGET_SQL, throttle.pair)
    for key in (throttle.address, throttle.user):
        if key is not None:
            await connection.execute(_TAKE_BACK_SQL, key)
