"""Running one resource method: the API path resolved and allowed, the args bound, and the
transaction policy applied (``gateway.core.multicall`` runs several).

A write runs in a transaction of its own (a savepoint inside an atomic multiCall), which a
fault rolls back. A read runs as it is: one statement, or a few independent ones, each with its
own snapshot, so BEGIN and COMMIT around it would only add two round trips.
"""

import asyncio
import functools
import random
from typing import Any

import asyncpg
import orjson

from gateway.auth.acl import allows
from gateway.auth.users import Principal
from gateway.core import streams
from gateway.core.binding import bind_args
from gateway.core.context import RequestContext
from gateway.faults import (
    ACCESS_DENIED,
    LIMIT_EXCEEDED,
    RESOURCE_PATH_INVALID,
    FaultError,
)
from gateway.resources import METHODS
from gateway.resources.kit import CallContext, ResourceMethod, RowStream

__all__ = [
    "RETRY_PAUSE",
    "WRITE_ATTEMPTS",
    "answer_too_large",
    "call",
    "call_context",
    "resolve_path",
]


def resolve_path(principal: Principal, api_path: Any) -> ResourceMethod:
    """The method at ``api_path``, if the principal may call it."""
    method = METHODS.get(api_path) if isinstance(api_path, str) else None
    if method is None:
        raise RESOURCE_PATH_INVALID()
    if not allows(principal.resources, method.acl):
        raise ACCESS_DENIED()
    return method


async def call(
    ctx: RequestContext,
    principal: Principal,
    api_path: Any,
    args: Any,
    *,
    may_stream: bool | None = None,
    ahead: dict[Any, Any] | None = None,
) -> Any:
    """Run one resource method; its result, or a fault. ``may_stream`` (the request's own
    setting unless given) lets a long list be answered as a ``RowStream``; ``ahead`` is what a
    read-ahead found for this call (``_read_ahead``)."""
    # A path the client invented is booked as "other": the log stays bounded.
    known = isinstance(api_path, str) and api_path in METHODS
    entry: dict[str, Any] = {"api_path": api_path if known else "other"}
    ctx.calls.append(entry)
    try:
        method = resolve_path(principal, api_path)
        bound = bind_args(method, args)
        if ctx.answer_left <= 0:
            raise answer_too_large(ctx)
        if method.writes:
            await ctx.claim_key(principal)
        connection = await ctx.connection()
        handler_context = call_context(
            ctx,
            principal,
            connection,
            ctx.may_stream if may_stream is None else may_stream,
            {} if ahead is None else ahead,
        )
        if not method.writes and not connection.is_in_transaction():
            result = await method.handler(handler_context, **bound)
        elif ctx.atomic:
            # Inside an atomic multiCall: a savepoint; a deadlock there retries the whole.
            async with connection.transaction():
                result = await method.handler(handler_context, **bound)
        else:
            # Its own transaction, or a savepoint in a keyed request's.
            result = await _write(connection, method, handler_context, bound)
        _charge(ctx, method, handler_context, result)
        return result
    except FaultError as error:
        entry["fault"] = error.fault.name
        raise
    except Exception as exc:
        if isinstance(exc, asyncpg.TransactionRollbackError) and ctx.atomic:
            raise  # for the atomic multiCall around it to run again
        fault = ctx.fault_for(exc)
        entry["fault"] = fault.fault.name
        raise fault from exc


def call_context(
    ctx: RequestContext,
    principal: Principal,
    connection: asyncpg.Connection,
    may_stream: bool,
    ahead: dict[Any, Any],
) -> CallContext:
    settings = ctx.services.settings
    return CallContext(
        connection,
        principal,
        ctx.services.hasher,
        may_stream,
        settings.max_listed_rows,
        functools.partial(ctx.heavy_connection, settings.heavy_timeout, principal.user_id),
        functools.partial(streams.open_stream, ctx),
        ctx.services.stores,
        ctx.services.definitions,
        ahead,
    )


# A write that meets a deadlock or a serialization failure is run again, a few times, after a
# short random pause: two calls that locked each other out rarely do so twice.
WRITE_ATTEMPTS = 4
RETRY_PAUSE = 0.005


async def _write(
    connection: asyncpg.Connection,
    method: ResourceMethod,
    call_context: CallContext,
    bound: dict[str, Any],
) -> Any:
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            async with connection.transaction():
                return await method.handler(call_context, **bound)
        except asyncpg.TransactionRollbackError:
            if attempt == WRITE_ATTEMPTS:
                raise
            call_context.answered = 0
            await asyncio.sleep(random.uniform(0, RETRY_PAUSE * attempt))
    raise AssertionError("unreachable")


def _size(result: Any) -> int:
    if result is None or isinstance(result, bool | int | float):
        return 8
    return len(orjson.dumps(result))


def _charge(
    ctx: RequestContext, method: ResourceMethod, call_context: CallContext, result: Any
) -> None:
    """Count the result against the request's answer budget. A read over it is refused (it
    changed nothing); a write's answer is given whatever the budget: the write happened."""
    if isinstance(result, RowStream):
        return  # written while it is read, never held
    size = call_context.answered or _size(result)
    if size > ctx.answer_left and not method.writes:
        raise answer_too_large(ctx)
    ctx.answer_left -= size


def answer_too_large(ctx: RequestContext) -> FaultError:
    most = ctx.services.settings.max_answer
    return LIMIT_EXCEEDED(
        f"The answer would exceed {most} bytes; page the lists with options.limit.",
        limit="GATEWAY_MAX_ANSWER",
        value=most,
    )
