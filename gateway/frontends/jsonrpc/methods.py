"""The JSON-RPC methods: Magento's API methods of the core (``gateway.core.api``) under their
names, and a shortcut per API path (``customer.info``), each one operation of the request.

What is JSON-RPC's own is here: which API methods it offers, how their results look (a
multiCall's fault slots, fault listings), and that every fault leaves as a ``JsonRpcError``
(rendered by ``gateway.frontends.rendering``); a method given params of the wrong shape
answers -32602.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from jsonrpcserver.codes import ERROR_INVALID_PARAMS
from jsonrpcserver.exceptions import JsonRpcError
from jsonrpcserver.methods import Methods

from gateway.core.api import API
from gateway.core.context import RequestContext
from gateway.faults import FaultError, MalformedParams
from gateway.frontends.rendering import fault_listing, multicall_slot, rpc_error
from gateway.resources import METHODS

__all__ = ["TOP_LEVEL", "jsonrpc_method", "methods_table"]

Method = Callable[..., Awaitable[Any]]

# The API methods JSON-RPC offers (OpenMage's JSON-RPC has no startSession).
_OFFERED = (
    "login",
    "call",
    "multiCall",
    "endSession",
    "resources",
    "resourceFaults",
    "globalFaults",
)


def _slots(slots: list[Any]) -> list[Any]:
    return [multicall_slot(s) if isinstance(s, FaultError) else s for s in slots]


# How a result looks in JSON-RPC, where it is not the core's as it is.
_RENDERED: dict[str, Callable[[Any], Any]] = {
    "multiCall": _slots,
    "resourceFaults": fault_listing,
    "globalFaults": fault_listing,
}


def jsonrpc_method(name: str, func: Method) -> Method:
    """``func`` as the JSON-RPC method ``name``: one operation of the request, its faults
    answered as JSON-RPC errors."""
    render = _RENDERED.get(name)

    @functools.wraps(func)
    async def method(ctx: RequestContext, *args: Any, **kwargs: Any) -> Any:
        try:
            with ctx.operation(name):
                result = await func(ctx, *args, **kwargs)
        except FaultError as error:
            raise JsonRpcError(**rpc_error(error)) from None
        except MalformedParams as error:
            raise JsonRpcError(
                code=ERROR_INVALID_PARAMS, message="Invalid params", data=str(error)
            ) from None
        return result if render is None else render(result)

    return method


# The top-level methods by name; their signatures are their params (after the context).
TOP_LEVEL: dict[str, Method] = {name: API[name].run for name in _OFFERED}


def _shortcut(api_path: str) -> Method:
    """``{"method": "customer.info", "params": [SID, 5]}`` means
    ``call(SID, "customer.info", [5])``."""

    async def shortcut(
        ctx: RequestContext, session_id: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        if args and kwargs:
            raise MalformedParams("give the arguments by position or by name, not both")
        return await API["call"].run(ctx, session_id, api_path, kwargs if kwargs else list(args))

    shortcut.__name__ = api_path.replace(".", "_")
    return shortcut


def methods_table(extra: dict[str, Method]) -> Methods:
    """Every JSON-RPC method: the top-level ones, ``extra`` (such as ``rpc.discover``) and a
    shortcut per API path."""
    every = {**TOP_LEVEL, **extra, **{path: _shortcut(path) for path in METHODS}}
    return {name: jsonrpc_method(name, func) for name, func in every.items()}
