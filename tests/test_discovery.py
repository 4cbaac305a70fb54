"""rpc.discover and /api/openrpc.json, validated against the OpenRPC meta-schema with its
formats checked; the server it names, and the examples it gives, each run as shown."""

import json
import tarfile
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from gateway.app import create_app
from gateway.frontends.jsonrpc.openrpc import EXAMPLE_SESSION
from gateway.resources import METHODS, RESOURCES
from gateway.settings import Settings
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
    validator = jsonschema.Draft7Validator(
        meta_schema,
        registry=registry,
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )
    validator.validate(document)
    assert document["openrpc"].startswith("1.")
    # The validator bites: a document without its info, with a malformed method, or with a
    # server URL that is not absolute (format "uri") fails.
    assert not validator.is_valid({k: v for k, v in document.items() if k != "info"})
    assert not validator.is_valid({**document, "methods": [{"name": "x", "params": 5}]})
    assert not validator.is_valid({**document, "servers": [{"url": "/api/jsonrpc"}]})


def array_schemas_without_items(node: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "array" and "items" not in node:
            found.append(path)
        for key, value in node.items():
            found += array_schemas_without_items(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += array_schemas_without_items(value, f"{path}/{index}")
    return found


async def test_every_array_schema_says_what_its_items_are(api: Api) -> None:
    document = await api.result("rpc.discover")
    assert array_schemas_without_items(document) == []
    assert array_schemas_without_items({"result": {"type": "array"}}) == ["/result"]


async def test_the_server_is_the_endpoint_as_the_client_reached_it(api: Api) -> None:
    endpoint = str(api.client.make_url("/api/jsonrpc"))
    document = await api.result("rpc.discover")
    assert document["servers"] == [{"name": "gateway", "url": endpoint}]
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com"}
    response = await api.client.get("/api/openrpc.json", headers=forwarded)
    assert (await response.json())["servers"][0]["url"] == endpoint


async def test_behind_a_trusted_proxy_the_server_is_the_proxy(
    aiohttp_client: Any, settings: Settings, pool: asyncpg.Pool
) -> None:
    trusting = settings.model_copy(update={"trusted_proxies": ["127.0.0.0/8"]})
    client = await aiohttp_client(create_app(trusting, pool))
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com"}
    response = await client.get("/api/openrpc.json", headers=forwarded)
    assert (await response.json())["servers"][0]["url"] == "https://shop.example.com/api/jsonrpc"
    body = {"jsonrpc": "2.0", "method": "rpc.discover", "id": 1}
    response = await client.post("/api/jsonrpc", json=body, headers=forwarded)
    servers = (await response.json())["result"]["servers"]
    assert servers[0]["url"] == "https://shop.example.com/api/jsonrpc"


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
    # Each method lists the faults it declares it may raise, not all of its resource's.
    address_faults = {e["data"]["fault"] for e in address["errors"]}
    assert address_faults >= {"customer_not_exists", "data_invalid", "idempotency_key_reused"}
    assert "address_not_exists" not in address_faults


def trial_order(name: str) -> int:
    """The order a newcomer tries the examples in: log in, create, read and change, delete
    (an address before its customer), log out."""
    first = ["login", "customer.create", "customer_address.create"]
    last = ["customer_address.delete", "customer.delete", "endSession"]
    if name in first:
        return first.index(name)
    return len(first) + 1 + last.index(name) if name in last else len(first)


async def test_every_method_has_an_example_that_runs_as_shown(api: Api) -> None:
    await api.add_user("shopbot", ["all"])
    document = await api.result("rpc.discover")
    own_paths = {m.path for r in RESOURCES for m in r.methods}
    tried = [m for m in document["methods"] if m["name"] in TOP_LEVEL | own_paths]
    session = None
    for method in sorted(tried, key=lambda m: trial_order(m["name"])):
        (example,) = method["examples"]
        params = {p["name"]: p["value"] for p in example["params"]}
        assert set(params) <= {p["name"] for p in method["params"]}, method["name"]
        if "sessionId" in params:
            assert params["sessionId"] == EXAMPLE_SESSION
            params["sessionId"] = session
        if method["name"] == "login":
            params["apiKey"] = api.key
        answer = await api.request(method["name"], params)
        assert "result" in answer, (method["name"], answer)
        if method["name"] == "login":
            session = answer["result"]
    # Aliases show their method's example.
    by_name = {m["name"]: m for m in document["methods"]}
    assert (
        by_name["store.info"]["examples"][0]["params"]
        == (by_name["core_store.info"]["examples"][0]["params"])
    )


async def test_the_api_page_may_not_be_framed(api: Api) -> None:
    response = await api.client.get("/")
    assert response.status == 200
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
