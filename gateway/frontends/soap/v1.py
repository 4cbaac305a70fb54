"""SOAP v1 (RPC/encoded): ``login``, ``call``, ``multiCall`` and the session and catalogue
operations, as Magento 1's ``/api/soap/`` offers them.

Parts are read by position, as Magento's server reads them (its own WSDL names
``resourceFaults``' parts in another order than its handler takes them), and decoded as PHP's
SoapClient encodes PHP values; answers are encoded the same way: maps for entities, arrays for
lists.
"""

import secrets
from typing import Any

from lxml import etree

from gateway.core import authentication, catalogue, runner
from gateway.core.context import RequestContext
from gateway.faults import FaultError
from gateway.frontends.rendering import multicall_slot
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


def _faults(faults: Any) -> list[dict[str, Any]]:
    return [{"code": f.code, "message": f.message, "fault": f.name} for f in faults]


async def dispatch(ctx: RequestContext, name: str, parts: list[etree._Element]) -> str:
    """Run the operation ``name``; its answer part, encoded."""
    values = [decode(part) for part in parts]
    values += [None] * (len(OPERATIONS[name]) - len(values))
    result: Any
    if name == "login":
        result = await authentication.login(ctx, values[0], values[1])
    elif name == "startSession":
        # Magento starts a session nobody is logged in to, which every call refuses; this
        # gateway keeps no such sessions, so the id it answers is one no call will accept.
        result = secrets.token_hex(32)
    elif name == "endSession":
        await authentication.end_session(ctx, values[0])
        result = True
    else:
        principal = await authentication.principal_for(ctx, values[0])
        if name == "call":
            result = plain(await runner.call(ctx, principal, values[1], values[2]))
        elif name == "multiCall":
            batch = runner.MultiCall.of(values[1] or [], values[2], ctx.services.settings.max_batch)
            slots = await runner.multi_call(ctx, principal, batch)
            result = [multicall_slot(s) if isinstance(s, FaultError) else plain(s) for s in slots]
        elif name == "resources":
            result = catalogue.resources_for(principal)
        elif name == "globalFaults":
            result = _faults(catalogue.global_faults())
        else:
            result = _faults(catalogue.resource_faults(principal, values[1]))
    return encode(result, f"{name}Return")
