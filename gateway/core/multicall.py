"""A multiCall: several resource methods in one request, one slot each (its result, or the
fault it ended with), with ``break`` (stop at the first fault) and the gateway's ``atomic``
(all in one transaction, rolled back whole at the first fault); a run of reads of one method
may be read ahead in one statement."""

import asyncio
import contextlib
import random
from dataclasses import dataclass
from typing import Any

import asyncpg

from gateway.auth.acl import allows
from gateway.auth.users import Principal
from gateway.core.binding import bind_args
from gateway.core.call import (
    RETRY_PAUSE,
    WRITE_ATTEMPTS,
    call,
    call_context,
    resolve_path,
)
from gateway.core.context import RequestContext
from gateway.faults import LIMIT_EXCEEDED, RESOURCE_PATH_INVALID, FaultError, MalformedParams
from gateway.resources import METHODS

__all__ = ["MultiCall", "multi_call"]


class _RollBack(Exception):
    """Leaves an atomic multiCall's transaction so that it rolls back."""


def _flag(options: dict[str, Any], name: str) -> bool:
    value = options.get(name, False)
    if not isinstance(value, bool):
        raise MalformedParams(f"options.{name} must be true or false")
    return value


@dataclass(frozen=True, slots=True)
class MultiCall:
    """A multiCall's calls (``[apiPath, args]`` each) and options, checked for their shape
    and against the gateway's bound on calls per request."""

    calls: list[Any]
    stop_at_fault: bool
    atomic: bool

    def writes_for(self, principal: Principal) -> bool:
        """Whether any of the calls names a method that writes and that the principal may
        call: only such a multiCall claims an idempotency key."""
        return any(
            isinstance(entry, list)
            and entry
            and isinstance(entry[0], str)
            and (method := METHODS.get(entry[0])) is not None
            and method.writes
            and allows(principal.resources, method.acl)
            for entry in self.calls
        )

    @classmethod
    def of(cls, calls: Any, options: Any, max_calls: int) -> "MultiCall":
        if not isinstance(calls, list):
            raise MalformedParams("calls must be a list of [apiPath, args]")
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise MalformedParams("options must be an object")
        unknown = sorted(set(options) - {"break", "atomic"})
        if unknown:
            raise MalformedParams(f"unknown option '{unknown[0]}'")
        if len(calls) > max_calls:
            raise LIMIT_EXCEEDED(
                f"A multiCall may hold at most {max_calls} calls.",
                limit="GATEWAY_MAX_BATCH",
                value=max_calls,
            )
        return cls(calls, _flag(options, "break"), _flag(options, "atomic"))


async def multi_call(ctx: RequestContext, principal: Principal, batch: MultiCall) -> list[Any]:
    """One slot per call run: its result, or the ``FaultError`` it ended with. ``break``
    stops at the first fault; ``atomic`` also rolls back every call when one faults (and is
    run again whole, a few times, after a deadlock). The whole multiCall runs under one call
    deadline. One with no write its user may run opens no transaction (there is nothing to
    roll back, and a transaction would hold a connection through every call): ``atomic`` is
    then ``break``."""
    writes = batch.writes_for(principal)
    if writes:
        # Before the first call: an atomic multiCall's transaction goes inside the key's.
        await ctx.claim_key(principal)
    if not (batch.atomic and writes):
        stop_at_fault = batch.stop_at_fault or batch.atomic
        return await _run_calls(ctx, principal, batch.calls, stop_at_fault=stop_at_fault)
    connection = await ctx.connection()
    budget = ctx.answer_left
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        slots: list[Any] = []
        try:
            ctx.atomic = True
            async with connection.transaction():
                slots = await _run_calls(ctx, principal, batch.calls, stop_at_fault=True)
                if slots and isinstance(slots[-1], FaultError):
                    raise _RollBack
        except _RollBack:
            pass
        except asyncpg.TransactionRollbackError as exc:
            if attempt == WRITE_ATTEMPTS:
                raise ctx.fault_for(exc) from None
            ctx.answer_left = budget
            await asyncio.sleep(random.uniform(0, RETRY_PAUSE * attempt))
            continue
        finally:
            ctx.atomic = False
        return slots
    raise AssertionError("unreachable")


async def _run_calls(
    ctx: RequestContext, principal: Principal, calls: list[Any], *, stop_at_fault: bool
) -> list[Any]:
    slots: list[Any] = []
    ahead: dict[Any, Any] = {}
    ahead_until = 0
    for index, entry in enumerate(calls):
        try:
            if not _is_call(entry):
                raise RESOURCE_PATH_INVALID()
            if index >= ahead_until:
                ahead, ahead_until = await _read_ahead(ctx, principal, calls, index)
            args = entry[1] if len(entry) > 1 else None
            slots.append(await call(ctx, principal, entry[0], args, may_stream=False, ahead=ahead))
        except FaultError as error:
            slots.append(error)
            if stop_at_fault or error.fault is LIMIT_EXCEEDED:
                break
    return slots


def _is_call(entry: Any) -> bool:
    return isinstance(entry, list) and 1 <= len(entry) <= 2


async def _read_ahead(
    ctx: RequestContext, principal: Principal, calls: list[Any], start: int
) -> tuple[dict[Any, Any], int]:
    """For the run of calls of one API path from ``start`` on: what its method's read-ahead
    found for them in one statement (nothing, if it has none), and where the run ends. Only
    reads read ahead, and a run is never broken by a write, so each call reads what it would
    have read alone."""
    path = calls[start][0]
    end = start + 1
    while end < len(calls) and _is_call(calls[end]) and calls[end][0] == path:
        end += 1
    found: dict[Any, Any] = {}
    try:
        method = resolve_path(principal, path)
    except FaultError:
        return found, end
    if method.read_ahead is None or method.writes or end - start < 2:
        return found, end
    bound = []
    for entry in calls[start:end]:
        with contextlib.suppress(FaultError):  # such a call faults in its turn, on its own
            bound.append(bind_args(method, entry[1] if len(entry) > 1 else None))
    if len(bound) < 2:
        return found, end
    connection = await ctx.connection()
    try:
        async with contextlib.AsyncExitStack() as stack:
            if connection.is_in_transaction():
                await stack.enter_async_context(connection.transaction())
            await method.read_ahead(call_context(ctx, principal, connection, False, found), bound)
    except asyncpg.TransactionRollbackError:
        if ctx.atomic:
            raise  # for the atomic multiCall around it to run again
        found.clear()
    except Exception:
        # Each call then reads alone, and meets the error in its turn, as its own fault.
        found.clear()
    return found, end
