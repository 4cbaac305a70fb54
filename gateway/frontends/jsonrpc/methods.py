"""The JSON-RPC top-level methods (login, call, multiCall, ...) and the shortcut methods named
after API paths (``customer.info``), each a thin adapter onto the core.

Every fault leaves here as a ``JsonRpcError``, rendered by ``gateway.frontends.rendering``; a
top-level method given params of the wrong shape answers -32602.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from jsonrpcserver.codes import ERROR_INVALID_PARAMS
from jsonrpcserver.exceptions import JsonRpcError
from jsonrpcserver.methods import Methods

from gateway.core import authentication, catalogue, runner
from gateway.core.context import RequestContext
from gateway.faults import FaultError, MalformedParams
from gateway.frontends.rendering import fault_listing, multicall_slot, rpc_error
from gateway.resources import METHODS

__all__ = ["TOP_LEVEL", "jsonrpc_method", "methods_table"]

Method = Callable[..., Awaitable[Any]]


def jsonrpc_method(name: str, func: Method) -> Method:
    """``func`` as the JSON-RPC method ``name``: one operation of the request, its faults
    answered as JSON-RPC errors."""

    @functools.wraps(func)
    async def method(ctx: RequestContext, *args: Any, **kwargs: Any) -> Any:
        try:
            with ctx.operation(name):
                return await func(ctx, *args, **kwargs)
        except FaultError as error:
            raise JsonRpcError(**rpc_error(error)) from None
        except MalformedParams as error:
            raise JsonRpcError(
                code=ERROR_INVALID_PARAMS, message="Invalid params", data=str(error)
            ) from None

    return method


async def login(ctx: RequestContext, username: Any, api_key: Any) -> str:
    return await authentication.login(ctx, username, api_key)


async def call(ctx: RequestContext, session_id: Any, api_path: Any, args: Any = None) -> Any:
    principal = await authentication.principal_for(ctx, session_id)
    return await runner.call(ctx, principal, api_path, args)


async def multi_call(
    ctx: RequestContext, session_id: Any, calls: Any, options: Any = None
) -> list[Any]:
    batch = runner.MultiCall.of(calls, options, ctx.services.settings.max_batch)
    principal = await authentication.principal_for(ctx, session_id)
    slots = await runner.multi_call(ctx, principal, batch)
    return [multicall_slot(s) if isinstance(s, FaultError) else s for s in slots]


async def end_session(ctx: RequestContext, session_id: Any) -> bool:
    await authentication.end_session(ctx, session_id)
    return True


async def list_resources(ctx: RequestContext, session_id: Any) -> list[dict[str, Any]]:
    return catalogue.resources_for(await authentication.principal_for(ctx, session_id))


async def resource_faults(
    ctx: RequestContext, session_id: Any, resource_name: Any
) -> list[dict[str, Any]]:
    principal = await authentication.principal_for(ctx, session_id)
    return fault_listing(catalogue.resource_faults(principal, resource_name))


async def global_faults(ctx: RequestContext, session_id: Any) -> list[dict[str, Any]]:
    await authentication.principal_for(ctx, session_id)
    return fault_listing(catalogue.global_faults())


# The top-level methods by name; their signatures are their params (after the context).
TOP_LEVEL: dict[str, Method] = {
    "login": login,
    "call": call,
    "multiCall": multi_call,
    "endSession": end_session,
    "resources": list_resources,
    "resourceFaults": resource_faults,
    "globalFaults": global_faults,
}


def _shortcut(api_path: str) -> Method:
    """``{"method": "customer.info", "params": [SID, 5]}`` means
    ``call(SID, "customer.info", [5])``."""

    async def shortcut(
        ctx: RequestContext, session_id: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        if args and kwargs:
            raise MalformedParams("give the arguments by position or by name, not both")
        principal = await authentication.principal_for(ctx, session_id)
        return await runner.call(ctx, principal, api_path, kwargs if kwargs else list(args))

    shortcut.__name__ = api_path.replace(".", "_")
    return shortcut


def methods_table(extra: dict[str, Method]) -> Methods:
    """Every JSON-RPC method: the top-level ones, ``extra`` (such as ``rpc.discover``) and a
    shortcut per API path."""
    every = {**TOP_LEVEL, **extra, **{path: _shortcut(path) for path in METHODS}}
    return {name: jsonrpc_method(name, func) for name, func in every.items()}
