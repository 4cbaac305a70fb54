"""The OpenRPC 1.x document of the JSON-RPC API, built from what it is handed: the top-level
API methods (their signatures are their params, their declarations their summaries and
faults), the resources with their methods (each path also a shortcut method such as
``customer.info``, with its params' and result's JSON schemas and its declared faults), and
the shop's custom attributes' definitions (members of the entities' schemas)."""

import inspect
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from gateway.core.api import CALL_FAULTS, KEYED_FAULTS, ApiMethod
from gateway.faults import Fault
from gateway.resources.kit import Resource, ResourceMethod
from gateway.resources.kit.attributes import Definitions
from gateway.resources.kit.declarations import schema_for

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


class _TopLevel(NamedTuple):
    """What JSON-RPC documents of an API method beyond the core's declaration of it."""

    result: dict[str, Any]
    example: dict[str, Any]


_TOP_LEVEL: dict[str, _TopLevel] = {
    "login": _TopLevel(
        {"type": "string"}, {"username": "shopbot", "apiKey": "the key the gateway printed"}
    ),
    "call": _TopLevel({}, {"sessionId": EXAMPLE_SESSION, "apiPath": "customer.info", "args": [1]}),
    "multiCall": _TopLevel(
        _MULTICALL_RESULT,
        {
            "sessionId": EXAMPLE_SESSION,
            "calls": [["customer.info", [1]], ["customer_address.list", [1]]],
            "options": {"break": False},
        },
    ),
    "endSession": _TopLevel({"type": "boolean"}, {"sessionId": EXAMPLE_SESSION}),
    "resources": _TopLevel(_RESOURCE_LIST, {"sessionId": EXAMPLE_SESSION}),
    "resourceFaults": _TopLevel(
        _FAULT_LIST, {"sessionId": EXAMPLE_SESSION, "resourceName": "customer"}
    ),
    "globalFaults": _TopLevel(_FAULT_LIST, {"sessionId": EXAMPLE_SESSION}),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _examples(name: str, example: Mapping[str, Any]) -> list[dict[str, Any]]:
    params = [{"name": key, "value": value} for key, value in example.items()]
    return [{"name": f"{name} example", "params": params}]


def _errors(faults: Iterable[Fault]) -> list[dict[str, Any]]:
    unique = dict.fromkeys(faults)  # in order, once each
    return [{"code": f.code, "message": f.message, "data": {"fault": f.name}} for f in unique]


def _top_level_methods(top_level: Mapping[str, ApiMethod]) -> list[dict[str, Any]]:
    methods = []
    for name, method in top_level.items():
        documented = _TOP_LEVEL[name]
        parameters = list(inspect.signature(method.run).parameters.values())[1:]
        methods.append(
            {
                "name": name,
                "summary": method.summary,
                "paramStructure": "either",
                "params": [
                    {
                        "name": _camel(p.name),
                        "schema": _PARAM_SCHEMAS[p.name],
                        "required": p.default is inspect.Parameter.empty,
                    }
                    for p in parameters
                ],
                "result": {"name": "result", "schema": documented.result},
                "errors": _errors(method.faults),
                "examples": _examples(name, documented.example),
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


def _resource_method(method: ResourceMethod, path: str, definitions: Definitions) -> dict[str, Any]:
    """The shortcut method ``path`` (the method's own path, or one under an alias)."""
    keyed = KEYED_FAULTS if method.writes else ()
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
                    "schema": schema_for(p.schema, definitions),
                    "required": p.required,
                    **({"description": p.description} if p.description else {}),
                }
                for p in method.params
            ),
        ],
        "result": {"name": "result", "schema": schema_for(method.result_schema, definitions)},
        "errors": _errors((*CALL_FAULTS, *keyed, *method.faults)),
        "examples": _examples(path, {"sessionId": EXAMPLE_SESSION, **method.example}),
    }


def openrpc_document(
    top_level: Mapping[str, ApiMethod], resources: tuple[Resource, ...], definitions: Definitions
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
            *_top_level_methods(top_level),
            *(
                _resource_method(method, path, definitions)
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
