"""The OpenRPC 1.x document of the JSON-RPC API, built from what it is handed: the top-level
methods (their signatures are their params), the resources with their methods (each path also
a shortcut method such as ``customer.info``, with its input models' JSON schemas) and faults."""

import inspect
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from gateway.faults import GLOBAL, Fault
from gateway.resources.kit import Resource, ResourceMethod

__all__ = ["openrpc_document", "served_at"]

VERSION = "0.1.0"
# The examples' session id: any 64 hex characters have its shape (a client uses its own).
EXAMPLE_SESSION = "5e4a6c0d" * 8

# What the top-level methods take and give; their parameter lists come from their signatures.
_PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "username": {"type": "string"},
    "api_key": {"type": "string"},
    "session_id": {"anyOf": [{"type": "string", "pattern": "^[0-9a-f]{64}$"}, {"type": "null"}]},
    "api_path": {"type": "string", "pattern": "^[a-z_]+\\.[a-z_]+$"},
    "args": {},
    "calls": {
        "type": "array",
        # [api path, args]: the args may be left out.
        "items": {"type": "array", "minItems": 1, "maxItems": 2, "items": {}},
    },
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
_RESOURCE_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "methods": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "path": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "aliases": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    },
}
# One slot per call: the call's result, or its fault as OpenMage shapes it.
_MULTICALL_RESULT = {"type": "array", "items": {}}


# What a write under an Idempotency-Key can answer besides.
_KEYED = ["idempotency_key_reused", "request_in_progress"]


class _TopLevel(NamedTuple):
    summary: str
    result: dict[str, Any]
    faults: tuple[str, ...]  # the global faults it can raise
    example: dict[str, Any]


_TOP_LEVEL: dict[str, _TopLevel] = {
    "login": _TopLevel(
        "Open a session: its id, 64 hex characters",
        {"type": "string"},
        ("access_denied",),
        {"username": "shopbot", "apiKey": "the key the gateway printed"},
    ),
    "call": _TopLevel(
        "Call one resource method",
        {},
        (
            "session_expired",
            "resource_path_invalid",
            "access_denied",
            "invalid_request_param",
            "internal",
            *_KEYED,
        ),
        {"sessionId": EXAMPLE_SESSION, "apiPath": "customer.info", "args": [1]},
    ),
    "multiCall": _TopLevel(
        "Call several resource methods; options break and atomic",
        _MULTICALL_RESULT,
        ("session_expired", *_KEYED),
        {
            "sessionId": EXAMPLE_SESSION,
            "calls": [["customer.info", [1]], ["customer_address.list", [1]]],
            "options": {"break": False},
        },
    ),
    "endSession": _TopLevel(
        "End a session", {"type": "boolean"}, (), {"sessionId": EXAMPLE_SESSION}
    ),
    "resources": _TopLevel(
        "The resources and methods this user may call",
        _RESOURCE_LIST,
        ("session_expired",),
        {"sessionId": EXAMPLE_SESSION},
    ),
    "resourceFaults": _TopLevel(
        "A resource's faults",
        _FAULT_LIST,
        ("session_expired", "resource_path_invalid", "access_denied"),
        {"sessionId": EXAMPLE_SESSION, "resourceName": "customer"},
    ),
    "globalFaults": _TopLevel(
        "The global faults", _FAULT_LIST, ("session_expired",), {"sessionId": EXAMPLE_SESSION}
    ),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _examples(name: str, example: Mapping[str, Any]) -> list[dict[str, Any]]:
    params = [{"name": key, "value": value} for key, value in example.items()]
    return [{"name": f"{name} example", "params": params}]


def _error(fault: Fault) -> dict[str, Any]:
    return {"code": fault.code, "message": fault.message, "data": {"fault": fault.name}}


Faults = Mapping[str, tuple[Fault, ...]]


def _global_errors(faults: Faults, names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [_error(f) for f in faults[GLOBAL] if f.name in names]


def _top_level_methods(
    top_level: Mapping[str, Callable[..., Any]], faults: Faults
) -> list[dict[str, Any]]:
    methods = []
    for name, (summary, result, fault_names, example) in _TOP_LEVEL.items():
        parameters = list(inspect.signature(top_level[name]).parameters.values())[1:]
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
                "errors": _global_errors(faults, fault_names),
                "examples": _examples(name, example),
            }
        )
    methods.append(
        {
            "name": "rpc.discover",
            "summary": "This document",
            "params": [],
            "result": {"name": "OpenRPC document", "schema": {"type": "object"}},
            "examples": _examples("rpc.discover", {}),
        }
    )
    return methods


def _resource_method(method: ResourceMethod, path: str, faults: Faults) -> dict[str, Any]:
    """The shortcut method ``path`` (the method's own path, or one under an alias)."""
    global_faults = ["session_expired", "access_denied", "invalid_request_param", "internal"]
    if method.writes:
        global_faults += _KEYED
    errors = _global_errors(faults, tuple(global_faults)) + [
        _error(f) for f in faults[method.resource.name]
    ]
    alias = f" Another name of {method.path}." if path != method.path else ""
    return {
        "name": path,
        "summary": method.title,
        "description": (
            f'The shortcut for call(sessionId, "{path}", args): the session id first, '
            f"then the method's arguments. Needs the ACL path {method.acl}.{alias}"
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
        "examples": _examples(path, {"sessionId": EXAMPLE_SESSION, **method.example}),
    }


def openrpc_document(
    top_level: Mapping[str, Callable[..., Any]],
    resources: tuple[Resource, ...],
    faults: Faults,
) -> dict[str, Any]:
    """The document for these top-level methods, resources and faults, without its server
    (see ``served_at``)."""
    return {
        "openrpc": "1.2.6",
        "info": {
            "title": "Customer gateway",
            "version": VERSION,
            "description": "OpenMage's customer web-services API over JSON-RPC 2.0.",
        },
        "methods": [
            *_top_level_methods(top_level, faults),
            *(
                _resource_method(method, path, faults)
                for r in resources
                for method in r.methods
                for path in (method.path, *method.alias_paths)
            ),
        ],
        "x-resources": [
            {"name": r.name, "title": r.title, "description": r.description} for r in resources
        ],
    }


def served_at(document: Mapping[str, Any], url: str) -> dict[str, Any]:
    """The document naming its server: the absolute URL of the endpoint, as the client that
    asked for the document reaches it."""
    return {**document, "servers": [{"name": "gateway", "url": url}]}
