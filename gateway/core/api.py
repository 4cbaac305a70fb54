"""Magento's API methods, once, for every front-end: ``login``, ``startSession``,
``endSession``, ``call``, ``multiCall``, ``resources``, ``resourceFaults``, ``globalFaults``
(OpenMage's ``Mage_Api`` handler), each with its rules: who the caller is (a session, or HTTP
Basic for a null session id), what a multiCall may hold, what the catalogue shows the caller.

A front-end is a codec over ``API``: it turns its wire's request into one of these calls (by
position, or by these names), and renders the result (a multiCall's fault slots, fault
listings) in its own shape. Each method declares the global faults it may answer with, for
the documents that list them (OpenRPC).
"""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.core import authentication, call, catalogue, multicall
from gateway.core.context import RequestContext
from gateway.faults import (
    ACCESS_DENIED,
    BUSY,
    IDEMPOTENCY_KEY_REUSED,
    INTERNAL,
    INVALID_REQUEST_PARAM,
    LIMIT_EXCEEDED,
    REQUEST_IN_PROGRESS,
    RESOURCE_PATH_INVALID,
    SESSION_EXPIRED,
    Fault,
)

__all__ = ["API", "CALL_FAULTS", "KEYED_FAULTS", "ApiMethod"]

# What a write under an Idempotency-Key can answer besides.
KEYED_FAULTS = (IDEMPOTENCY_KEY_REUSED, REQUEST_IN_PROGRESS, LIMIT_EXCEEDED)
# What any call of a resource method can answer, besides its own faults.
CALL_FAULTS = (SESSION_EXPIRED, ACCESS_DENIED, INVALID_REQUEST_PARAM, INTERNAL)


async def login(ctx: RequestContext, username: Any, api_key: Any) -> str:
    """A new session for the API user with this name and key: its id."""
    return await authentication.login(ctx, username, api_key)


async def start_session(ctx: RequestContext) -> str:
    """Magento starts a session nobody is logged in to, which every call refuses; this gateway
    keeps no such sessions, so the id it answers is one no call will accept."""
    return secrets.token_hex(32)


async def end_session(ctx: RequestContext, session_id: Any) -> bool:
    await authentication.end_session(ctx, session_id)
    return True


async def call_method(ctx: RequestContext, session_id: Any, api_path: Any, args: Any = None) -> Any:
    principal = await authentication.principal_for(ctx, session_id)
    return await call.call(ctx, principal, api_path, args)


async def multi_call(
    ctx: RequestContext, session_id: Any, calls: Any, options: Any = None
) -> list[Any]:
    """One slot per call run: its result, or the ``FaultError`` it ended with (each wire
    renders those in its own shape)."""
    batch = multicall.MultiCall.of(calls, options, ctx.services.settings.max_batch)
    principal = await authentication.principal_for(ctx, session_id)
    return await multicall.multi_call(ctx, principal, batch)


async def list_resources(ctx: RequestContext, session_id: Any) -> list[dict[str, Any]]:
    return catalogue.resources_for(await authentication.principal_for(ctx, session_id))


async def resource_faults(
    ctx: RequestContext, session_id: Any, resource_name: Any
) -> tuple[Fault, ...]:
    principal = await authentication.principal_for(ctx, session_id)
    return catalogue.resource_faults(principal, resource_name)


async def global_faults(ctx: RequestContext, session_id: Any) -> tuple[Fault, ...]:
    await authentication.principal_for(ctx, session_id)
    return catalogue.global_faults()


@dataclass(frozen=True, slots=True)
class ApiMethod:
    """One of Magento's API methods: its name on the wire, what it runs (its parameters after
    the context are its params, in order), a summary, and the global faults it may raise."""

    name: str
    run: Callable[..., Awaitable[Any]]
    summary: str
    faults: tuple[Fault, ...]


def _table(*methods: ApiMethod) -> dict[str, ApiMethod]:
    return {method.name: method for method in methods}


API = _table(
    ApiMethod("login", login, "Open a session: its id, 64 hex characters", (ACCESS_DENIED, BUSY)),
    ApiMethod("startSession", start_session, "A session id nobody is logged in to", ()),
    ApiMethod("endSession", end_session, "End a session", ()),
    ApiMethod(
        "call",
        call_method,
        "Call one resource method",
        (*CALL_FAULTS, RESOURCE_PATH_INVALID, *KEYED_FAULTS),
    ),
    ApiMethod(
        "multiCall",
        multi_call,
        "Call several resource methods; options break and atomic",
        (SESSION_EXPIRED, *KEYED_FAULTS),
    ),
    ApiMethod(
        "resources",
        list_resources,
        "The resources and methods this user may call",
        (SESSION_EXPIRED,),
    ),
    ApiMethod(
        "resourceFaults",
        resource_faults,
        "A resource's faults",
        (SESSION_EXPIRED, RESOURCE_PATH_INVALID, ACCESS_DENIED),
    ),
    ApiMethod("globalFaults", global_faults, "The global faults", (SESSION_EXPIRED,)),
)
