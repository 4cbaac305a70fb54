"""Running resource methods: the API path resolved and allowed, the args bound, and the
transaction policy applied; ``multi_call`` runs several, with ``break`` and ``atomic``.

A write runs in a transaction of its own (a savepoint inside an atomic multiCall), which a
fault rolls back. A read runs as it is: one statement, or a few independent ones, each with its
own snapshot, so BEGIN and COMMIT around it would only add two round trips.
"""

import functools
from dataclasses import dataclass
from typing import Any

from gateway.auth.acl import allows
from gateway.auth.users import Principal
from gateway.core.binding import bind_args
from gateway.core.context import RequestContext
from gateway.core.faults import (
    ACCESS_DENIED,
    RESOURCE_PATH_INVALID,
    FaultError,
    MalformedParams,
)
from gateway.resources import METHODS
from gateway.resources.kit import CallContext, ResourceMethod

__all__ = ["MultiCall", "call", "multi_call", "resolve_path"]


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
) -> Any:
    """Run one resource method; its result, or a fault. ``may_stream`` (the request's own
    setting unless given) lets a long list be answered as a ``RowStream``."""
    entry: dict[str, Any] = {"api_path": api_path if isinstance(api_path, str) else None}
    ctx.calls.append(entry)
    try:
        method = resolve_path(principal, api_path)
        bound = bind_args(method, args)
        connection = await ctx.connection()
        call_context = CallContext(
            connection,
            principal,
            ctx.services.hasher,
            ctx.may_stream if may_stream is None else may_stream,
            ctx.services.settings.max_listed_rows,
            functools.partial(ctx.heavy_connection, ctx.services.settings.regexp_timeout),
        )
        if not method.writes and not connection.is_in_transaction():
            return await method.handler(call_context, **bound)
        async with connection.transaction():
            return await method.handler(call_context, **bound)
    except FaultError as error:
        entry["fault"] = error.fault.name
        raise
    except Exception as exc:
        fault = ctx.fault_for(exc)
        entry["fault"] = fault.fault.name
        raise fault from exc


class _RollBack(Exception):
    """Leaves an atomic multiCall's transaction so that it rolls back."""


@dataclass(frozen=True, slots=True)
class MultiCall:
    """A multiCall's calls (``[apiPath, args]`` each) and options, checked for their shape."""

    calls: list[Any]
    stop_at_fault: bool
    atomic: bool

    @classmethod
    def of(cls, calls: Any, options: Any) -> "MultiCall":
        if not isinstance(calls, list):
            raise MalformedParams("calls must be a list of [apiPath, args]")
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise MalformedParams("options must be an object")
        return cls(calls, bool(options.get("break")), bool(options.get("atomic")))


async def multi_call(ctx: RequestContext, principal: Principal, batch: MultiCall) -> list[Any]:
    """One slot per call run: its result, or the ``FaultError`` it ended with. ``break``
    stops at the first fault; ``atomic`` also rolls back every call when one faults."""
    if not batch.atomic:
        return await _run_calls(ctx, principal, batch.calls, stop_at_fault=batch.stop_at_fault)
    connection = await ctx.connection()
    slots: list[Any] = []
    try:
        async with connection.transaction():
            slots = await _run_calls(ctx, principal, batch.calls, stop_at_fault=True)
            if slots and isinstance(slots[-1], FaultError):
                raise _RollBack
    except _RollBack:
        pass
    return slots


async def _run_calls(
    ctx: RequestContext, principal: Principal, calls: list[Any], *, stop_at_fault: bool
) -> list[Any]:
    slots: list[Any] = []
    for entry in calls:
        ctx.services.deadlines.restart()  # each call of a batch gets the whole allowance
        try:
            if not isinstance(entry, list) or not entry or len(entry) > 2:
                raise RESOURCE_PATH_INVALID()
            args = entry[1] if len(entry) > 1 else None
            slots.append(await call(ctx, principal, entry[0], args, may_stream=False))
        except FaultError as error:
            slots.append(error)
            if stop_at_fault:
                break
    return slots
