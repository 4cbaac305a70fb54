"""The OpenRPC 1.x document of this API, built from what the code declares: the top-level
methods' signatures, the resource method table (each path also a shortcut method such as
``customer.info``), the input models' JSON schemas and the fault catalogue."""

import inspect
from functools import cache
from typing import Any

from gateway.faults import GLOBAL, Fault, faults_of
from gateway.resources import METHODS, RESOURCES
from gateway.resources.base import ResourceMethod

__all__ = ["openrpc_document"]

VERSION = "0.1.0"
_ID = {"type": ["integer", "string"]}

# What the top-level methods take and give; their parameter lists come from their signatures.
_PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "username": {"type": "string"},
    "api_key": {"type": "string"},
    "session_id": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
    "api_path": {"type": "string", "pattern": "^[a-z_]+\\.[a-z_]+$"},
    "args": {},
    "calls": {"type": "array", "items": {"type": "array", "minItems": 1, "maxItems": 2}},
    "options": {
        "type": "object",
        "properties": {"break": {"type": "boolean"}, "atomic": {"type": "boolean"}},
    },
    "resource_name": {"type": "string"},
}
_FAULT_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "code": {"type": "integer"},
            "name": {"type": "string"},
            "message": {"type": "string"},
        },
    },
}
_TOP_LEVEL: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    # name: (summary, result schema, global faults it can raise)
    "login": ("Open a session: its id, 64 hex characters", {"type": "string"}, ("access_denied",)),
    "call": (
        "Call one resource method",
        {},
        (
            "session_expired",
            "resource_path_invalid",
            "access_denied",
            "invalid_request_param",
            "internal",
        ),
    ),
    "multiCall": (
        "Call several resource methods; options break and atomic",
        {"type": "array"},
        ("session_expired",),
    ),
    "endSession": ("End a session", {"type": "boolean"}, ()),
    "resources": (
        "The resources and methods this user may call",
        {"type": "array"},
        ("session_expired",),
    ),
    "resourceFaults": (
        "A resource's faults",
        _FAULT_LIST,
        ("session_expired", "resource_path_invalid", "access_denied"),
    ),
    "globalFaults": ("The global faults", _FAULT_LIST, ("session_expired",)),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _error(fault: Fault) -> dict[str, Any]:
    return {"code": fault.code, "message": fault.message, "data": {"fault": fault.name}}


def _global_errors(names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [_error(f) for f in faults_of(GLOBAL) if f.name in names]


def _top_level_methods() -> list[dict[str, Any]]:
    from gateway.api import METHODS_BY_NAME  # the functions themselves, for their signatures

    methods = []
    for name, (summary, result, faults) in _TOP_LEVEL.items():
        parameters = list(inspect.signature(METHODS_BY_NAME[name]).parameters.values())[1:]
        methods.append(
            {
                "name": name,
                "summary": summary,
                "paramStructure": "either",
                "params": [
                    {
                        "name": _camel(p.name),
                        "schema": _PARAM_SCHEMAS[p.name],
                        "required": p.default is inspect.Parameter.empty,
                    }
                    for p in parameters
                ],
                "result": {"name": "result", "schema": result},
                "errors": _global_errors(faults),
            }
        )
    methods.append(
        {
            "name": "rpc.discover",
            "summary": "This document",
            "params": [],
            "result": {"name": "OpenRPC document", "schema": {"type": "object"}},
        }
    )
    return methods


def _resource_method(method: ResourceMethod) -> dict[str, Any]:
    errors = _global_errors(
        ("session_expired", "access_denied", "invalid_request_param", "internal")
    ) + [_error(f) for f in faults_of(method.resource.name)]
    return {
        "name": method.path,
        "summary": method.title,
        "description": (
            f'The shortcut for call(sessionId, "{method.path}", args): the session id first, '
            f"then the method's arguments. Needs the ACL path {method.acl}."
        ),
        "tags": [{"name": method.resource.name}],
        "paramStructure": "either",
        "params": [
            {"name": "sessionId", "schema": _PARAM_SCHEMAS["session_id"], "required": True},
            *(
                {
                    "name": p.name,
                    "schema": p.schema,
                    "required": p.required,
                    **({"description": p.description} if p.description else {}),
                }
                for p in method.params
            ),
        ],
        "result": {"name": "result", "schema": method.result_schema},
        "errors": errors,
    }


@cache
def openrpc_document() -> dict[str, Any]:
    return {
        "openrpc": "1.2.6",
        "info": {
            "title": "Customer gateway",
            "version": VERSION,
            "description": "OpenMage's customer web-services API over JSON-RPC 2.0.",
        },
        "servers": [{"name": "gateway", "url": "/api/jsonrpc"}],
        "methods": [
            *_top_level_methods(),
            *(_resource_method(method) for method in METHODS.values()),
        ],
        "x-resources": [
            {"name": r.name, "title": r.title, "description": r.description} for r in RESOURCES
        ],
    }
