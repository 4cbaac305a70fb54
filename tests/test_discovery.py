"""rpc.discover and /api/openrpc.json, validated against the OpenRPC meta-schema."""

import json
import tarfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from gateway.resources import METHODS
from tests.helpers import Api

# Fetched by `make test` (and `make chaos`) from the npm package @open-rpc/meta-schema.
META_SCHEMA_PACKAGE = (
    Path(__file__).resolve().parent.parent / ".venv" / ("open-rpc-meta-schema-1.14.9.tgz")
)
TOP_LEVEL = {
    "login",
    "call",
    "multiCall",
    "endSession",
    "resources",
    "resourceFaults",
    "globalFaults",
    "rpc.discover",
}


@pytest.fixture(scope="module")
def meta_schema() -> dict[str, Any]:
    with tarfile.open(META_SCHEMA_PACKAGE) as package:
        source = package.extractfile("package/index.js")
        assert source is not None
        text = source.read().decode()
    prefix = "exports.openrpcDocument = {"
    line = next(line for line in text.splitlines() if line.startswith(prefix))
    schema: dict[str, Any] = json.loads("{" + line.removeprefix(prefix).rstrip().rstrip(";"))
    return schema


async def test_rpc_discover_is_a_valid_openrpc_document(
    api: Api, meta_schema: dict[str, Any]
) -> None:
    document = await api.result("rpc.discover")
    # The meta-schema refers to JSON Schema's own by URL: serve jsonschema's bundled draft 7.
    json_schema = Resource.from_contents(
        jsonschema.Draft7Validator.META_SCHEMA, default_specification=DRAFT7
    )
    registry: Registry[Any] = Registry().with_resources(
        [
            ("https://meta.json-schema.tools", json_schema),
            ("https://meta.json-schema.tools/", json_schema),
        ]
    )
    validator = jsonschema.Draft7Validator(meta_schema, registry=registry)
    validator.validate(document)
    assert document["openrpc"].startswith("1.")
    # The validator bites: a document without its info, or with a malformed method, fails.
    assert not validator.is_valid({k: v for k, v in document.items() if k != "info"})
    assert not validator.is_valid({**document, "methods": [{"name": "x", "params": 5}]})


async def test_it_is_also_served_over_get(api: Api) -> None:
    response = await api.client.get("/api/openrpc.json")
    assert response.status == 200
    assert await response.json() == await api.result("rpc.discover")


async def test_every_method_is_described(api: Api) -> None:
    document = await api.result("rpc.discover")
    names = {m["name"] for m in document["methods"]}
    assert names == TOP_LEVEL | set(METHODS)
    login = next(m for m in document["methods"] if m["name"] == "login")
    assert [(p["name"], p["required"]) for p in login["params"]] == [
        ("username", True),
        ("apiKey", True),
    ]
    call = next(m for m in document["methods"] if m["name"] == "call")
    assert [(p["name"], p["required"]) for p in call["params"]] == [
        ("sessionId", True),
        ("apiPath", True),
        ("args", False),
    ]


async def test_resource_methods_carry_their_params_models_and_faults(api: Api) -> None:
    document = await api.result("rpc.discover")
    create = next(m for m in document["methods"] if m["name"] == "customer.create")
    assert [p["name"] for p in create["params"]] == ["sessionId", "customerData", "store"]
    data_schema = create["params"][1]["schema"]
    assert {"email", "firstname", "lastname", "password", "website_id"} <= set(
        data_schema["properties"]
    )
    faults = {e["data"]["fault"] for e in create["errors"]}
    assert {"customer_exists", "customer_data_invalid", "session_expired"} <= faults
    address = next(m for m in document["methods"] if m["name"] == "customer_address.create")
    assert "street" in address["params"][2]["schema"]["properties"]
    assert {e["data"]["fault"] for e in address["errors"]} >= {"address_not_exists", "data_invalid"}
