"""The login throttle, in the database so that every worker and every machine counts alike.

Only wrong keys count. Per window (``GATEWAY_LOGIN_FAILURE_WINDOW``) at most
``GATEWAY_LOGIN_MAX_FAILURES`` wrong keys are checked for one username from one client
address, and ``GATEWAY_LOGIN_MAX_ADDRESS_FAILURES`` from one address whatever the username,
however many logins run at once and in however many processes: before its key is checked, an
attempt *reserves* a check on both counts, and is granted one only while the failures so far
plus the checks under way stay under each limit. An attempt that finds every allowance taken
by checks still under way waits for them to end (a right key gives its check back; a wrong one
turns it into a failure); one that finds the failures at the limit is refused unchecked, until
the window ends, or for ``GATEWAY_LOGIN_LOCKOUT`` after the failure that reached the limit if
that is later. A right key starts its username-and-address afresh.

A username is never locked everywhere: guesses from one address cannot cut its real user off
at another. Failures for a username from anywhere only slow its failed answers down.

Each step is a short statement or transaction of its own, on a connection outside any
request's transaction, so that no request can hold another's login; a reserved check that its
process never ended (the process died) lapses after ``lease`` seconds without new checks.

Keys: ``pair:ADDRESS:NAME`` and ``addr:ADDRESS`` (limited), ``user:NAME`` (for the slow-down).
"""

import math
from dataclasses import dataclass

import asyncpg

__all__ = ["Attempt", "Limits", "Refused", "reserve", "settle"]

_ENSURE_SQL = """
INSERT INTO api_login_failure (throttle_key, failures, first_failure_at)
SELECT key, 0, now() FROM unnest($1::text[]) AS key ORDER BY key
ON CONFLICT (throttle_key) DO NOTHING
"""
# The keys' state as it stands now ($2: the window): a count whose window (or lock) has
# passed is 0, and checks whose lease has lapsed are none.
_STATE_SQL = """
SELECT throttle_key,
       CASE WHEN coalesce(locked_until, first_failure_at + make_interval(secs => $2)) < now()
            THEN 0 ELSE failures END AS failures,
       CASE WHEN checking_until < now() THEN 0 ELSE checking END AS checking,
       CASE WHEN locked_until >= now() THEN locked_until END AS locked_until,
       now() AS now
FROM api_login_failure WHERE throttle_key = ANY($1::text[])
ORDER BY throttle_key
FOR UPDATE
"""
# $1 the keys granted a check; $2 window; $3 lease seconds.
_RESERVE_SQL = """
UPDATE api_login_failure AS f SET
    failures = s.failures,
    first_failure_at = CASE WHEN s.failures = 0 THEN now() ELSE f.first_failure_at END,
    locked_until = CASE WHEN s.failures = 0 THEN NULL ELSE f.locked_until END,
    checking = s.checking + 1,
    checking_until = now() + make_interval(secs => $3)
FROM (SELECT throttle_key,
             CASE WHEN coalesce(locked_until, first_failure_at + make_interval(secs => $2))
                       < now() THEN 0 ELSE failures END AS failures,
             CASE WHEN checking_until < now() THEN 0 ELSE checking END AS checking
      FROM api_login_failure WHERE throttle_key = ANY($1::text[])) AS s
WHERE f.throttle_key = s.throttle_key
"""
# A check ended with a wrong key: its reservations become failures ($1 keys, $2 their
# limits), each key that reaches its limit locked ($3 window, $4 lockout); the username's
# count of failures from anywhere grows too ($5). Returns the locks set, in seconds.
_FAILED_SQL = """
WITH limited AS (
    UPDATE api_login_failure AS f SET
        checking = greatest(f.checking - 1, 0),
        failures = f.failures + 1,
        locked_until = CASE
            WHEN f.failures + 1 >= k.most AND f.locked_until IS NULL
            THEN greatest(now() + make_interval(secs => $4),
                          f.first_failure_at + make_interval(secs => $3))
            ELSE f.locked_until END
    FROM unnest($1::text[], $2::int[]) AS k(throttle_key, most)
    WHERE f.throttle_key = k.throttle_key
    RETURNING CASE WHEN f.failures >= k.most THEN extract(epoch FROM f.locked_until - now()) END
        AS locked_for
), by_user AS (
    INSERT INTO api_login_failure AS f (throttle_key, failures, first_failure_at)
    VALUES ($5, 1, now())
    ON CONFLICT (throttle_key) DO UPDATE SET
        failures = CASE WHEN f.first_failure_at + make_interval(secs => $3) < now()
                        THEN 1 ELSE f.failures + 1 END,
        first_failure_at = CASE WHEN f.first_failure_at + make_interval(secs => $3) < now()
                                THEN now() ELSE f.first_failure_at END
)
SELECT max(locked_for) FROM limited
"""
# A check ended with the right key: the reservations are given back, and the username from
# this address starts afresh ($2).
_SUCCEEDED_SQL = """
UPDATE api_login_failure SET
    checking = greatest(checking - 1, 0),
    failures = CASE WHEN throttle_key = $2 THEN 0 ELSE failures END,
    locked_until = CASE WHEN throttle_key = $2 THEN NULL ELSE locked_until END
WHERE throttle_key = ANY($1::text[])
"""
# Every transaction here takes its keys' rows in this order first: none waits for another
# in the opposite order.
_LOCK_SQL = """
SELECT 1 FROM api_login_failure WHERE throttle_key = ANY($1::text[])
ORDER BY throttle_key FOR UPDATE
"""
_USER_FAILURES_SQL = """
SELECT failures FROM api_login_failure
WHERE throttle_key = $1 AND first_failure_at + make_interval(secs => $2) >= now()
"""


@dataclass(frozen=True, slots=True)
class Limits:
    per_pair: int
    per_address: int
    window: float
    lockout: float
    lease: float  # seconds a reserved check may stay unended before it lapses


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt granted a check of its key: its keys, and what settling it needs."""

    limited: tuple[tuple[str, int], ...]  # (key, its limit), reserved
    pair: str | None
    user: str
    user_failures: int  # the username's failures in the window, from anywhere


@dataclass(frozen=True, slots=True)
class Refused:
    """No check for now. ``retry_after``: refused for that many seconds (a limit is reached);
    None: every allowance is taken by checks under way, which end within moments."""

    retry_after: int | None


def _keys(username: str, address: str | None, limits: Limits) -> tuple[tuple[str, int], ...]:
    if not address:
        return ()
    return (
        (f"pair:{address}:{username}", limits.per_pair),
        (f"addr:{address}", limits.per_address),
    )


async def reserve(
    connection: asyncpg.Connection, username: str, address: str | None, limits: Limits
) -> Attempt | Refused:
    """A check of a login's key, reserved on its counts; or why not now."""
    limited = _keys(username, address, limits)
    keys = [key for key, _ in limited]
    user = f"user:{username}"
    async with connection.transaction():
        await connection.execute(_ENSURE_SQL, keys)
        state = {
            row["throttle_key"]: row
            for row in await connection.fetch(_STATE_SQL, keys, limits.window)
        }
        waiting = False
        retry_after: int | None = None
        for key, most in limited:
            row = state[key]
            if row["failures"] >= most or row["locked_until"] is not None:
                until = row["locked_until"] or row["now"]
                wait = max(1, math.ceil((until - row["now"]).total_seconds()))
                retry_after = max(retry_after or 1, wait)
            elif row["failures"] + row["checking"] >= most:
                waiting = True
        if retry_after is not None:
            return Refused(retry_after)
        if waiting:
            return Refused(None)
        await connection.execute(_RESERVE_SQL, keys, limits.window, limits.lease)
    user_failures = await connection.fetchval(_USER_FAILURES_SQL, user, limits.window)
    return Attempt(limited, keys[0] if keys else None, user, user_failures or 0)


async def settle(
    connection: asyncpg.Connection, attempt: Attempt, limits: Limits, *, right: bool
) -> int | None:
    """End the attempt's check: a right key gives it back, a wrong one is a failure. For a
    wrong one that reached a limit: for how many seconds it is locked."""
    keys = [key for key, _ in attempt.limited]
    async with connection.transaction():
        await connection.execute(_LOCK_SQL, [*keys, attempt.user])
        if right:
            await connection.execute(_SUCCEEDED_SQL, keys, attempt.pair)
            return None
        locked_for = await connection.fetchval(
            _FAILED_SQL,
            keys,
            [most for _, most in attempt.limited],
            limits.window,
            limits.lockout,
            attempt.user,
        )
    return None if locked_for is None else math.ceil(locked_for)
