"""Who is calling: an API user by name and key (login, throttled), by HTTP Basic for one
request, or by a session id; each ends as a ``Principal`` or a fault."""

import asyncio
import base64
import binascii
import secrets
from typing import Any

from gateway.auth import sessions, throttle, users
from gateway.auth.users import Principal
from gateway.core.context import RequestContext
from gateway.core.faults import ACCESS_DENIED, SESSION_EXPIRED, MalformedParams
from gateway.resources.kit.fields import has_unsafe_characters

__all__ = ["basic_credentials", "end_session", "login", "principal_for"]

_DUMMY_HASH: list[str] = []
_USERNAME_MAX = 255  # api_user.username is varchar(255)


async def _authenticate(ctx: RequestContext, username: str, api_key: str) -> Principal:
    """The active user with this name and key, or ``access_denied``; attempts are throttled
    (``gateway.auth.throttle``) and each is noted in the request log as checked or not."""
    settings, hasher = ctx.services.settings, ctx.services.hasher
    if len(username) > _USERNAME_MAX or has_unsafe_characters(username):
        raise ACCESS_DENIED()  # no user is named so; spare the database
    limits = throttle.Limits(
        settings.login_max_failures,
        settings.login_max_address_failures,
        settings.login_failure_window,
        settings.login_lockout,
    )
    connection = await ctx.connection()
    counted = await throttle.attempt(connection, username, ctx.client_address, limits)
    if counted.retry_after is not None:
        ctx.note(key_checked=False)
        raise ACCESS_DENIED(retry_after=counted.retry_after)
    ctx.note(key_checked=True)
    user = await users.find_user(connection, username)
    if user is None and not _DUMMY_HASH:
        _DUMMY_HASH.append(await hasher.hash(secrets.token_hex(16)))
    # An unknown user costs the same hash check as a known one: timing tells nothing.
    stored = user.api_key_hash if user else _DUMMY_HASH[0]
    matches, outdated = await hasher.verify(stored, api_key)
    if user is None or not user.is_active or not matches:
        retry_after = await throttle.fail(connection, counted, limits)
        # A slowed answer must not hold a database connection: a flood of bad logins would
        # otherwise take the whole pool from everyone else.
        await ctx.release()
        await asyncio.sleep(min(settings.login_slowdown * (counted.user_failures + 1), 5.0))
        if retry_after is not None:
            raise ACCESS_DENIED(retry_after=retry_after)
        raise ACCESS_DENIED()
    await throttle.succeed(connection, counted)
    if outdated:
        await users.replace_key_hash(connection, user.user_id, await hasher.hash(api_key))
    return user.principal()


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
    connection = await ctx.connection()
    return await sessions.open_session(
        connection, principal.user_id, ctx.services.settings.session_ttl
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
