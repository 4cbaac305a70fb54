"""SOAP v2: one typed operation per API method (``customerCustomerInfo``, ...), RPC/encoded or,
in WS-I compliance mode, document/literal with each operation's parts wrapped in one element
(``customerCustomerInfoRequestParam``) and its answer in another (``…ResponseParam``, holding
``result``). Both run the same core calls, from the tables of ``types``."""

from typing import Any

from lxml import etree

from gateway.core.api import API
from gateway.core.context import RequestContext
from gateway.frontends.soap.typed import read, write
from gateway.frontends.soap.types import OPERATIONS, Operation
from gateway.frontends.soap.xml import Malformed, local_name
from gateway.resources.kit import plain

__all__ = ["dispatch", "wsi_operation_of"]


def wsi_operation_of(element_name: str) -> Operation | None:
    """The operation a WS-I request element stands for: ``loginParam``, ``endSessionParam``,
    ``customerCustomerInfoRequestParam``..."""
    for suffix in ("RequestParam", "Param"):
        if element_name.endswith(suffix):
            return OPERATIONS.get(element_name.removesuffix(suffix))
    return None


def _arguments(
    op: Operation, parts: list[etree._Element], literal: bool
) -> tuple[Any, dict[str, Any]]:
    """The session id, and the operation's other parts by name: by position in RPC, by name
    in WS-I (where each part is a named element of the wrapper)."""
    declared = (("sessionId", "xsd:string"), *op.params) if op.session else op.params
    kinds = dict(declared)
    values: dict[str, Any] = {}
    if literal:
        for part in parts:
            name = local_name(part)
            if name not in kinds:
                raise Malformed(f"{op.name} has no part '{name}'.")
            values[name] = read(part, kinds[name])
    else:
        if len(parts) > len(declared):
            raise Malformed(f"{op.name} takes {len(declared)} parts, not {len(parts)}.")
        for (name, kind), part in zip(declared, parts, strict=False):
            values[name] = read(part, kind)
    return values.pop("sessionId", None), values


async def dispatch(
    ctx: RequestContext, op: Operation, parts: list[etree._Element], *, literal: bool
) -> str:
    """Run ``op``; its answer part, written by its declared type."""
    session_id, arguments = _arguments(op, parts, literal)
    result: Any
    if op.name == "login":
        result = await API["login"].run(ctx, arguments.get("username"), arguments.get("apiKey"))
    elif op.name == "endSession":
        result = await API["endSession"].run(ctx, session_id)
    else:
        assert op.api_path is not None
        result = plain(await API["call"].run(ctx, session_id, op.api_path, arguments))
    return write(result, op.result, "result" if literal else op.result_part, literal=literal)
