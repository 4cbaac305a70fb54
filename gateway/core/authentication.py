"""Who is calling: an API user by name and key (login, throttled), by HTTP Basic for one
request, or by a session id; each ends as a ``Principal`` or a fault.

What a login writes (its throttle counts, its session) is written outside the request's
transaction, in statements of its own, so that a request holding a transaction open (a keyed
write, an atomic multiCall) never holds another user's login with it.
"""

import asyncio
import base64
import binascii
import logging
import secrets
from typing import Any

from gateway.auth import sessions, throttle, users
from gateway.auth.users import Principal
from gateway.core.context import RequestContext
from gateway.faults import ACCESS_DENIED, BUSY, SESSION_EXPIRED, MalformedParams
from gateway.resources.kit.fields import has_unsafe_characters

__all__ = ["basic_credentials", "end_session", "login", "principal_for"]

log = logging.getLogger(__name__)

_DUMMY_HASH: list[str] = []
_USERNAME_MAX = 255  # api_user.username is varchar(255)
# While every check a username-and-address may have is under way, another attempt looks
# again after this long, doubling up to the longest pause.
_FIRST_PAUSE = 0.01
_LONGEST_PAUSE = 0.05


def _limits(ctx: RequestContext) -> throttle.Limits:
    settings = ctx.services.settings
    return throttle.Limits(
        settings.login_max_failures,
        settings.login_max_address_failures,
        settings.login_failure_window,
        settings.login_lockout,
        lease=settings.call_deadline + settings.db_connect_timeout,
    )


async def _reserve(ctx: RequestContext, username: str, limits: throttle.Limits) -> throttle.Attempt:
    """A check of this login's key; waits, holding no connection, while the checks under way
    take every allowance; ``access_denied`` when a limit is reached, ``busy`` when the wait
    grows too long."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + ctx.services.settings.busy_wait
    pause = _FIRST_PAUSE
    while True:
        async with ctx.outside_transaction() as connection:
            reserved = await throttle.reserve(connection, username, ctx.client_address, limits)
        if isinstance(reserved, throttle.Attempt):
            return reserved
        if reserved.retry_after is not None:
            ctx.note(key_checked=False)
            raise ACCESS_DENIED(retry_after=reserved.retry_after)
        if loop.time() >= give_up_at:
            ctx.note(key_checked=False)
            raise BUSY(retry_after=1)
        await ctx.release()
        await asyncio.sleep(pause)
        pause = min(pause * 2, _LONGEST_PAUSE)


async def _authenticate(ctx: RequestContext, username: str, api_key: str) -> Principal:
    """The active user with this name and key, or ``access_denied``; attempts are throttled
    (``gateway.auth.throttle``) and each is noted in the request log as checked or not."""
    settings, hasher = ctx.services.settings, ctx.services.hasher
    if len(username) > _USERNAME_MAX or has_unsafe_characters(username):
        raise ACCESS_DENIED()  # no user is named so; spare the database
    limits = _limits(ctx)
    attempt = await _reserve(ctx, username, limits)
    ctx.note(key_checked=True)
    right: bool | None = None  # not yet known
    try:
        async with ctx.outside_transaction() as connection:
            user = await users.find_user(connection, username)
        await ctx.release()  # a key check takes a while: it holds no connection meanwhile
        if user is None and not _DUMMY_HASH:
            _DUMMY_HASH.append(await hasher.hash(secrets.token_hex(16)))
        # An unknown user costs the same hash check as a known one: timing tells nothing.
        stored = user.api_key_hash if user else _DUMMY_HASH[0]
        matches, outdated = await hasher.verify(stored, api_key)
        right = user is not None and user.is_active and matches
        async with ctx.outside_transaction() as connection:
            retry_after = await throttle.settle(connection, attempt, limits, right=right)
            if right and outdated:
                assert user is not None
                await users.replace_key_hash(connection, user.user_id, await hasher.hash(api_key))
    except BaseException:
        await _settle_after_error(ctx, attempt, limits, wrong=right is False)
        raise
    if not right:
        # A slowed answer must not hold a database connection: a flood of bad logins would
        # otherwise take the whole pool from everyone else.
        await ctx.release()
        await asyncio.sleep(min(settings.login_slowdown * (attempt.user_failures + 1), 5.0))
        if retry_after is not None:
            raise ACCESS_DENIED(retry_after=retry_after)
        raise ACCESS_DENIED()
    assert user is not None
    return user.principal()


async def _settle_after_error(
    ctx: RequestContext, attempt: throttle.Attempt, limits: throttle.Limits, *, wrong: bool
) -> None:
    """A check that ended without its settlement (an error, the call's deadline): a wrong key
    still counts; an unknown outcome gives the check back. Should even that fail, the
    reservation lapses with its lease."""
    try:
        async with ctx.outside_transaction() as connection:
            await asyncio.shield(throttle.settle(connection, attempt, limits, right=not wrong))
    except Exception as exc:
        log.warning("login check not settled", extra={"error": type(exc).__name__})


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """The username and key of an ``Authorization: Basic`` header, if it is one."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, colon, api_key = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, api_key) if colon else None


async def login(ctx: RequestContext, username: Any, api_key: Any) -> str:
    """A new session for the API user with this name and key: its id."""
    if not isinstance(username, str) or not isinstance(api_key, str):
        raise MalformedParams("username and apiKey must be strings")
    principal = await _authenticate(ctx, username, api_key)
    settings = ctx.services.settings
    async with ctx.outside_transaction() as connection:
        return await sessions.open_session(
            connection, principal.user_id, settings.session_ttl, settings.max_sessions_per_user
        )


async def principal_for(ctx: RequestContext, session_id: Any) -> Principal:
    """Who the call runs as: the session's user, or the HTTP Basic user for a null session."""
    if session_id is None:
        credentials = basic_credentials(ctx.authorization)
        if credentials is not None:
            return await _authenticate(ctx, *credentials)
    principal = await ctx.services.sessions.resolve(ctx.connection, session_id)
    if principal is None:
        raise SESSION_EXPIRED()
    return principal


async def end_session(ctx: RequestContext, session_id: Any) -> None:
    await sessions.end_session(await ctx.connection(), session_id)
    ctx.services.sessions.forget(session_id)
