"""Permissions for each ACL path, and what resources / resourceFaults / globalFaults show."""

from typing import Any

import pytest

from gateway.resources import METHODS
from tests.helpers import Api, fault_name

# Arguments that get each method past argument checks, so only the permission decides.
SAMPLE_ARGS: dict[str, Any] = {
    "customer.list": [],
    "customer.count": [],
    "customer.info": [1],
    "customer.create": [{"email": "p@x.com", "firstname": "P", "lastname": "Q", "website_id": 1}],
    "customer.update": [1, {"firstname": "R"}],
    "customer.delete": [1],
    "customer_group.list": [],
    "customer_address.list": [1],
    "customer_address.info": [1],
    "customer_address.create": [1, {}],
    "customer_address.update": [1, {}],
    "customer_address.delete": [1],
    "core_store.list": [],
    "core_store.info": [1],
    "core_magento.info": [],
    "directory_country.list": [],
    "directory_region.list": ["US"],
}
# The same methods under their resources' aliases.
SAMPLE_ARGS.update(
    {alias: SAMPLE_ARGS[m.path] for m in METHODS.values() for alias in m.alias_paths}
)


@pytest.mark.parametrize("path", sorted(METHODS))
async def test_each_acl_path_is_enforced(api: Api, path: str) -> None:
    method = METHODS[path]
    unrelated = (
        "customer/address/info"
        if not method.acl.startswith("customer/address")
        else ("customer/info")
    )
    await api.add_user("denied", [unrelated])
    await api.add_user("allowed", [method.acl])
    denied = await api.login("denied")
    error = await api.fault(denied, path, SAMPLE_ARGS[path])
    assert (error["code"], fault_name(error)) == (2, "access_denied")
    allowed = await api.login("allowed")
    answer = await api.request("call", [allowed, path, SAMPLE_ARGS[path]])
    assert answer.get("error", {}).get("data", {}).get("fault") != "access_denied"


async def test_a_parent_allows_its_children(api: Api) -> None:
    await api.add_user("parent", ["customer"])
    session = await api.login("parent")
    customer_id = await api.call(session, "customer.create", SAMPLE_ARGS["customer.create"])
    assert await api.call(session, "customer.delete", customer_id) is True
    assert await api.call(session, "customer_group.list")


async def test_unknown_api_path(api: Api, sid: str) -> None:
    for path in ("customer.nope", "nope.list", "customer", "", 5):
        error = await api.fault(sid, path)  # type: ignore[arg-type]
        assert (error["code"], fault_name(error)) == (3, "resource_path_invalid")


async def test_resources_lists_only_what_the_user_may_call(api: Api) -> None:
    await api.add_user("reader", ["customer/info"])
    reader = await api.login("reader")
    listing = await api.result("resources", [reader])
    assert [r["name"] for r in listing] == ["customer"]
    customer = listing[0]
    assert set(customer) == {"name", "title", "description", "aliases", "methods"}
    assert [m["path"] for m in customer["methods"]] == [
        "customer.list",
        "customer.info",
        "customer.count",
    ]
    assert set(customer["methods"][0]) == {"name", "path", "title", "description", "aliases"}


async def test_resources_for_all(api: Api, sid: str) -> None:
    listing = await api.result("resources", [sid])
    paths = {m["path"] for r in listing for m in r["methods"]}
    aliases = {a for r in listing for m in r["methods"] for a in m["aliases"]}
    assert paths | aliases == set(METHODS)


async def test_resources_in_openmage_s_order_with_its_titles_and_aliases(
    api: Api, sid: str
) -> None:
    listing = await api.result("resources", [sid])
    assert [(r["name"], r["title"], r["aliases"]) for r in listing] == [
        ("core_store", "Store API", ["store"]),
        ("core_magento", "Magento info API", ["magento"]),
        ("directory_country", "Country API", ["country"]),
        ("directory_region", "Region API", ["region"]),
        ("customer", "Customer API", []),
        ("customer_group", "Customer's Groups API", []),
        ("customer_address", "Customer Address API", []),
    ]
    customer = listing[4]["methods"]
    assert [(m["name"], m["title"]) for m in customer] == [
        ("list", "Retrieve customers"),
        ("create", "Create customer"),
        ("info", "Retrieve customer data"),
        ("update", "Update customer data"),
        ("delete", "Delete customer"),
        ("count", "Count the customers that match filters"),  # the gateway's own, after
    ]
    assert [m["title"] for m in listing[6]["methods"]] == [
        "Retrieve customer addresses",
        "Create customer address",
        "Retrieve address data",
        "Update customer address data",
        "Delete customer address",
    ]
    assert listing[0]["methods"][0]["aliases"] == ["store.list"]


async def test_resource_faults(api: Api, sid: str) -> None:
    faults = await api.result("resourceFaults", [sid, "customer"])
    assert {"code": 102, "name": "customer_not_exists", "message": "Customer not exists."} in (
        faults
    )
    assert {f["name"] for f in faults} >= {
        "data_invalid",
        "customer_data_invalid",
        "customer_exists",
        "website_not_exists",
        "group_not_exists",
        "store_not_exists",
        "filters_invalid",
        "not_deleted",
    }
    assert (
        await api.result("resourceFaults", {"sessionId": sid, "resourceName": "customer_group"})
        == []
    )
    error = await api.error("resourceFaults", [sid, "nope"])
    assert fault_name(error) == "resource_path_invalid"


async def test_resource_faults_need_access_to_the_resource(api: Api) -> None:
    await api.add_user("groups", ["customer/address/info"])
    session = await api.login("groups")
    error = await api.error("resourceFaults", [session, "customer"])
    assert fault_name(error) == "access_denied"


async def test_global_faults(api: Api, sid: str) -> None:
    faults = await api.result("globalFaults", [sid])
    assert [(f["code"], f["name"]) for f in faults] == [
        (0, "unknown"),
        (1, "internal"),
        (2, "access_denied"),
        (3, "resource_path_invalid"),
        (4, "resource_path_not_callable"),
        (5, "session_expired"),
        (6, "invalid_request_param"),
        (7, "limit_exceeded"),
        (8, "query_timeout"),
        (9, "idempotency_key_reused"),
        (10, "request_in_progress"),
        (11, "busy"),
    ]
