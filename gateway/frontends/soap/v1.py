"""SOAP v1 (RPC/encoded): Magento's API methods of the core (``gateway.core.api``) as the
operations of Magento 1's ``/api/soap/``.

Parts are read by position, as Magento's server reads them (its own WSDL names
``resourceFaults``' parts in another order than its handler takes them), and decoded as PHP's
SoapClient encodes PHP values; answers are encoded the same way: maps for entities, arrays for
lists.
"""

from collections.abc import Callable
from typing import Any

from lxml import etree

from gateway.core.api import API
from gateway.core.context import RequestContext
from gateway.faults import FaultError
from gateway.frontends.rendering import fault_entries, multicall_slot
from gateway.frontends.soap.xml import decode, encode
from gateway.resources.kit import plain

__all__ = ["OPERATIONS", "dispatch"]

# Each operation's parts, in order (what the WSDL declares).
OPERATIONS: dict[str, tuple[str, ...]] = {
    "login": ("username", "apiKey"),
    "call": ("sessionId", "resourcePath", "args"),
    "multiCall": ("sessionId", "calls", "options"),
    "endSession": ("sessionId",),
    "startSession": (),
    "resources": ("sessionId",),
    "globalFaults": ("sessionId",),
    "resourceFaults": ("sessionId", "resourceName"),
}


def _slots(slots: list[Any]) -> list[Any]:
    return [multicall_slot(s) if isinstance(s, FaultError) else plain(s) for s in slots]


# How a result is encoded, where it is not the core's as it is.
_RENDERED: dict[str, Callable[[Any], Any]] = {
    "call": plain,
    "multiCall": _slots,
    "globalFaults": fault_entries,
    "resourceFaults": fault_entries,
}


def _calls(value: Any) -> Any:
    return value or []  # an empty SOAP array is no list of calls, but none


async def dispatch(ctx: RequestContext, name: str, parts: list[etree._Element]) -> str:
    """Run the operation ``name``; its answer part, encoded."""
    values = [decode(part) for part in parts]
    values += [None] * (len(OPERATIONS[name]) - len(values))
    if name == "multiCall":
        values[1] = _calls(values[1])
    result = await API[name].run(ctx, *values)
    render = _RENDERED.get(name)
    return encode(result if render is None else render(result), f"{name}Return")
