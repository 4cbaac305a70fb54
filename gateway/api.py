"""The top-level API methods (login, call, multiCall, ...) and what they run with.

These functions know sessions, permissions and the method table, but nothing of HTTP: the
transport hands them a ``RequestContext``. Every fault leaves here through ``_rpc_method``,
which turns the catalogue's faults into JSON-RPC errors and hides every other exception.
"""

import asyncio
import base64
import binascii
import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from jsonrpcserver.codes import ERROR_INVALID_PARAMS
from jsonrpcserver.exceptions import JsonRpcError
from jsonrpcserver.methods import Methods

from gateway.auth import sessions, throttle, users
from gateway.auth.acl import allows
from gateway.auth.passwords import SecretHasher
from gateway.auth.users import Principal
from gateway.deadlines import Deadlines
from gateway.faults import GLOBAL, FaultError, faults_of, multicall_slot, rpc_error
from gateway.resources import METHODS, RESOURCES
from gateway.resources.base import CallContext, ResourceMethod, bind_args
from gateway.resources.fields import has_control_characters
from gateway.settings import Settings

__all__ = ["METHODS_BY_NAME", "RequestContext", "Services", "principal_for", "run_call"]

log = logging.getLogger(__name__)

# Errors that mean "the database is not there right now": a retry later may succeed.
_UNAVAILABLE = (
    OSError,  # refused, reset, the socket gone
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, terminated
)


@dataclass(slots=True)
class Services:
    """What lives as long as the application: settings, the pool, the secret hasher, the
    calls' deadlines."""

    settings: Settings
    pool: asyncpg.Pool
    hasher: SecretHasher
    deadlines: Deadlines


@dataclass(slots=True)
class RequestContext:
    """One HTTP request: at most one pool connection, taken on first use and given back once."""

    services: Services
    request_id: str
    client_address: str | None = None
    authorization: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    _connection: asyncpg.Connection | None = None

    async def connection(self) -> asyncpg.Connection:
        if self._connection is None:
            self._connection = await self.services.pool.acquire()
        return self._connection

    async def release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await self.services.pool.release(connection)
            except (*_UNAVAILABLE, asyncpg.exceptions.InternalClientError) as exc:
                # A connection broken mid-request: the pool has terminated it already.
                log.warning("connection dropped", extra={"error": type(exc).__name__})

    def _database_unavailable(self, exc: BaseException) -> bool:
        # A dropped connection can surface as almost any asyncpg error; a closed one tells.
        connection = self._connection
        return isinstance(exc, _UNAVAILABLE) or (connection is not None and connection.is_closed())

    def internal_fault(self, exc: BaseException) -> FaultError:
        """Log an unexpected error with the request id; the client sees only the id (and, when
        the database is unavailable, that a retry may succeed). A connection cut off by the
        call's deadline is closed here, so that giving it back cannot hang."""
        extra: dict[str, Any] = {"request_id": self.request_id}
        if isinstance(exc, TimeoutError) and self._connection is not None:
            # Cut off mid-statement by its deadline: given back as it is, asyncpg would wait
            # for the server to acknowledge the cancel, which a server that stopped answering
            # never does. Closed, the pool replaces it.
            self._connection.terminate()
        if self._database_unavailable(exc):
            extra["retryable"] = True
            log.warning(
                "database unavailable",
                extra={"request_id": self.request_id, "error": f"{type(exc).__name__}: {exc}"},
            )
        else:
            log.error("internal error", exc_info=exc, extra={"request_id": self.request_id})
        return FaultError(GLOBAL, "internal", **extra)


METHODS_BY_NAME: Methods = {}


def _rpc_method(
    name: str,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Register a top-level method; faults become JSON-RPC errors here and only here."""

    def register(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(func)
        async def method(ctx: RequestContext, *args: Any, **kwargs: Any) -> Any:
            entry: dict[str, Any] = {"method": name}
            ctx.calls.append(entry)
            try:
                # Should the database stop answering, the call ends as a retryable internal
                # fault (TimeoutError) instead of hanging.
                with ctx.services.deadlines.watch():
                    return await func(ctx, *args, **kwargs)
            except FaultError as error:
                entry["fault"] = error.fault.name
                raise JsonRpcError(**rpc_error(error)) from None
            except JsonRpcError as error:
                entry["error"] = error.code
                raise
            except Exception as exc:
                entry["fault"] = "internal"
                raise JsonRpcError(**rpc_error(ctx.internal_fault(exc))) from None

        METHODS_BY_NAME[name] = method
        return method

    return register


def _invalid_params(message: str) -> JsonRpcError:
    return JsonRpcError(code=ERROR_INVALID_PARAMS, message="Invalid params", data=message)


# --- authentication ---------------------------------------------------------------------------

_DUMMY_HASH: list[str] = []
_USERNAME_MAX = 255  # api_user.username is varchar(255)


async def _authenticate(ctx: RequestContext, username: str, api_key: str) -> Principal:
    """The active user with this name and key, or ``access_denied``; failures are throttled."""
    settings, hasher = ctx.services.settings, ctx.services.hasher
    if len(username) > _USERNAME_MAX or has_control_characters(username):
        raise FaultError(GLOBAL, "access_denied")  # no user is named so; spare the database
    connection = await ctx.connection()
    keys = throttle.throttle_keys(username, ctx.client_address)
    retry_after = await throttle.locked_for(connection, keys)
    if retry_after is not None:
        raise FaultError(GLOBAL, "access_denied", retry_after=retry_after)
    user = await users.find_user(connection, username)
    if user is None and not _DUMMY_HASH:
        _DUMMY_HASH.append(await hasher.hash(secrets.token_hex(16)))
    # An unknown user costs the same hash check as a known one: timing tells nothing.
    stored = user.api_key_hash if user else _DUMMY_HASH[0]
    matches, outdated = await hasher.verify(stored, api_key)
    if user is None or not user.is_active or not matches:
        failures = await throttle.record_failure(
            connection,
            keys,
            max_failures=settings.login_max_failures,
            window=settings.login_failure_window,
            lockout=settings.login_lockout,
        )
        retry_after = await throttle.locked_for(connection, keys)
        # A slowed answer must not hold a database connection: a flood of bad logins would
        # otherwise take the whole pool from everyone else.
        await ctx.release()
        await asyncio.sleep(min(settings.login_slowdown * failures, 5.0))
        if retry_after is not None:
            raise FaultError(GLOBAL, "access_denied", retry_after=retry_after)
        raise FaultError(GLOBAL, "access_denied")
    await throttle.reset(connection, keys[0])
    if outdated:
        await users.replace_key_hash(connection, user.user_id, await hasher.hash(api_key))
    return user.principal()


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, colon, api_key = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, api_key) if colon else None


async def principal_for(ctx: RequestContext, session_id: Any) -> Principal:
    """Who the call runs as: the session's user, or the HTTP Basic user for a null session."""
    if session_id is None:
        credentials = _basic_credentials(ctx.authorization)
        if credentials is not None:
            return await _authenticate(ctx, *credentials)
    connection = await ctx.connection()
    principal = await sessions.resolve_session(
        connection, session_id, ctx.services.settings.session_ttl
    )
    if principal is None:
        raise FaultError(GLOBAL, "session_expired")
    return principal


# --- resource calls ---------------------------------------------------------------------------


def _resolve_path(principal: Principal, api_path: Any) -> ResourceMethod:
    method = METHODS.get(api_path) if isinstance(api_path, str) else None
    if method is None:
        raise FaultError(GLOBAL, "resource_path_invalid")
    if not allows(principal.resources, method.acl):
        raise FaultError(GLOBAL, "access_denied")
    return method


async def run_call(ctx: RequestContext, principal: Principal, api_path: Any, args: Any) -> Any:
    """Run one resource method: a write in its own transaction (a savepoint inside an atomic
    multiCall), a read as it is."""
    entry: dict[str, Any] = {"api_path": api_path if isinstance(api_path, str) else None}
    ctx.calls.append(entry)
    try:
        method = _resolve_path(principal, api_path)
        bound = bind_args(method, args)
        connection = await ctx.connection()
        call = CallContext(connection, principal, ctx.services.hasher)
        if not method.writes and not connection.is_in_transaction():
            # A read is one statement (or a few independent ones), each with its own snapshot;
            # BEGIN and COMMIT around it would only add two round trips.
            return await method.handler(call, **bound)
        async with connection.transaction():
            return await method.handler(call, **bound)
    except FaultError as error:
        entry["fault"] = error.fault.name
        raise
    except Exception as exc:
        entry["fault"] = "internal"
        raise ctx.internal_fault(exc) from exc


@_rpc_method("login")
async def login(ctx: RequestContext, username: Any, api_key: Any) -> str:
    if not isinstance(username, str) or not isinstance(api_key, str):
        raise _invalid_params("username and apiKey must be strings")
    principal = await _authenticate(ctx, username, api_key)
    connection = await ctx.connection()
    return await sessions.open_session(
        connection, principal.user_id, ctx.services.settings.session_ttl
    )


@_rpc_method("call")
async def call(ctx: RequestContext, session_id: Any, api_path: Any, args: Any = None) -> Any:
    principal = await principal_for(ctx, session_id)
    return await run_call(ctx, principal, api_path, args)


@_rpc_method("multiCall")
async def multi_call(
    ctx: RequestContext, session_id: Any, calls: Any, options: Any = None
) -> list[Any]:
    if not isinstance(calls, list):
        raise _invalid_params("calls must be a list of [apiPath, args]")
    if options is not None and not isinstance(options, dict):
        raise _invalid_params("options must be an object")
    options = options or {}
    principal = await principal_for(ctx, session_id)
    if options.get("atomic"):
        connection = await ctx.connection()
        results: list[Any] = []
        try:
            async with connection.transaction():
                results = await _run_calls(ctx, principal, calls, stop_at_fault=True)
                if results and _is_fault(results[-1]):
                    raise _RollBack
        except _RollBack:
            pass
        return results
    return await _run_calls(ctx, principal, calls, stop_at_fault=bool(options.get("break")))


class _RollBack(Exception):
    """Leaves an atomic multiCall's transaction so that it rolls back."""


def _is_fault(slot: Any) -> bool:
    return isinstance(slot, dict) and slot.get("isFault") is True


async def _run_calls(
    ctx: RequestContext, principal: Principal, calls: list[Any], *, stop_at_fault: bool
) -> list[Any]:
    results: list[Any] = []
    for entry in calls:
        ctx.services.deadlines.restart()  # each call of a batch gets the whole allowance
        try:
            if not isinstance(entry, list) or not entry or len(entry) > 2:
                raise FaultError(GLOBAL, "resource_path_invalid")
            results.append(
                await run_call(ctx, principal, entry[0], entry[1] if len(entry) > 1 else None)
            )
        except FaultError as error:
            results.append(multicall_slot(error))
            if stop_at_fault:
                break
    return results


@_rpc_method("endSession")
async def end_session(ctx: RequestContext, session_id: Any) -> bool:
    await sessions.end_session(await ctx.connection(), session_id)
    return True


@_rpc_method("resources")
async def list_resources(ctx: RequestContext, session_id: Any) -> list[dict[str, Any]]:
    principal = await principal_for(ctx, session_id)
    listing = []
    for resource in RESOURCES:
        methods = [
            {
                "name": m.name,
                "path": m.path,
                "title": m.title,
                "description": m.description or m.title,
                "aliases": [],
            }
            for m in METHODS.values()
            if m.resource is resource and allows(principal.resources, m.acl)
        ]
        if methods:
            listing.append(
                {
                    "name": resource.name,
                    "title": resource.title,
                    "description": resource.description,
                    "aliases": [],
                    "methods": methods,
                }
            )
    return listing


def _fault_list(resource: str) -> list[dict[str, Any]]:
    return [{"code": f.code, "name": f.name, "message": f.message} for f in faults_of(resource)]


@_rpc_method("resourceFaults")
async def resource_faults(
    ctx: RequestContext, session_id: Any, resource_name: Any
) -> list[dict[str, Any]]:
    principal = await principal_for(ctx, session_id)
    resource = next((r for r in RESOURCES if r.name == resource_name), None)
    if resource is None:
        raise FaultError(GLOBAL, "resource_path_invalid")
    if not any(
        m.resource is resource and allows(principal.resources, m.acl) for m in METHODS.values()
    ):
        raise FaultError(GLOBAL, "access_denied")
    return _fault_list(resource.name)


@_rpc_method("globalFaults")
async def global_faults(ctx: RequestContext, session_id: Any) -> list[dict[str, Any]]:
    await principal_for(ctx, session_id)
    return _fault_list(GLOBAL)


@_rpc_method("rpc.discover")
async def discover(ctx: RequestContext) -> dict[str, Any]:
    from gateway.openrpc import openrpc_document  # it reads this module's method table

    return openrpc_document()


def _shortcut(api_path: str) -> Callable[..., Awaitable[Any]]:
    """``{"method": "customer.info", "params": [SID, 5]}`` means
    ``call(SID, "customer.info", [5])``."""

    async def shortcut(
        ctx: RequestContext, session_id: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        if args and kwargs:
            raise _invalid_params("give the arguments by position or by name, not both")
        principal = await principal_for(ctx, session_id)
        return await run_call(ctx, principal, api_path, kwargs if kwargs else list(args))

    shortcut.__name__ = api_path.replace(".", "_")
    return shortcut


for _path in METHODS:
    _rpc_method(_path)(_shortcut(_path))
