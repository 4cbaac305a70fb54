"""Custom attributes: defined in the database, answered by customer.info, customer.list and the
address calls on every front-end, checked on write (type, options, required), filterable and
sortable, in every wire's documents; a definition added or removed shows in every process
within the notice's trip, without a restart."""

import os
import subprocess
import sys
from typing import Any

import pytest

from gateway.http.exchange import SERVICES
from gateway.resources.kit.attributes import Attribute, add_attribute, remove_attribute
from tests.helpers import ADA, ADDRESS, Api, fault_name, until
from tests.test_soap import envelope, soap, string

ATTRIBUTES = (
    Attribute(0, "customer", "loyalty_number", "varchar", "Loyalty Number"),
    Attribute(0, "customer", "vip_since", "datetime", "VIP Since"),
    Attribute(0, "customer", "tier", "select", "Tier", options=((3, "Bronze"), (4, "Silver"))),
    Attribute(0, "customer", "newsletter_opt_in", "boolean", "Newsletter Opt-in"),
    Attribute(0, "customer", "credit_limit", "decimal", "Credit Limit"),
    Attribute(0, "customer", "interests", "multiselect", "", options=((7, "Golf"), (8, "Tea"))),
    Attribute(0, "customer_address", "delivery_notes", "text", "Delivery Notes"),
)
VALUES = {
    "loyalty_number": "LN-0042",
    "vip_since": "2024-05-01",
    "tier": 4,
    "newsletter_opt_in": True,
    "credit_limit": "1234.5",
    "interests": [7, 8],
}
ANSWERED = {
    **VALUES,
    "vip_since": "2024-05-01 00:00:00",
    "credit_limit": 1234.5,
    "interests": "7,8",
}


async def define(api: Api, *attributes: Attribute) -> None:
    """Define the attributes, and wait until the gateway has heard of it."""
    async with api.pool.acquire() as connection:
        for attribute in attributes:
            await add_attribute(connection, attribute)
    cache = api.client.app[SERVICES].definitions
    await until(lambda: cache.listening, "the definitions are never kept in memory")


@pytest.fixture
async def shop(api: Api, sid: str) -> Api:
    await define(api, *ATTRIBUTES)
    return api


async def test_values_are_written_answered_and_typed(shop: Api, sid: str) -> None:
    customer_id = await shop.call(sid, "customer.create", [{**ADA, **VALUES}])
    customer = await shop.call(sid, "customer.info", customer_id)
    assert {k: customer[k] for k in VALUES} == ANSWERED
    listed = await shop.call(sid, "customer.list")
    assert {k: listed[0][k] for k in VALUES} == ANSWERED
    other = await shop.call(sid, "customer.create", [{**ADA, "email": "b@example.com"}])
    unset = await shop.call(sid, "customer.info", other)
    assert all(unset[k] is None for k in VALUES)
    # Partial updates: one changes, null clears, the rest stay.
    change = {"tier": "3", "loyalty_number": None}
    assert await shop.call(sid, "customer.update", [customer_id, change])
    customer = await shop.call(sid, "customer.info", customer_id)
    assert (customer["tier"], customer["loyalty_number"]) == (3, None)
    assert customer["credit_limit"] == 1234.5 and customer["interests"] == "7,8"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tier", 5, "not an option"),
        ("tier", "gold", "option"),
        ("interests", [7, 9], "not an option"),
        ("credit_limit", "lots", "decimal"),
        ("vip_since", "May 2024", "date"),
        ("newsletter_opt_in", "maybe", "bool"),
        ("loyalty_number", "x" * 256, "255"),
    ],
)
async def test_a_wrong_value_is_customer_data_invalid_naming_the_field(
    shop: Api, sid: str, field: str, value: Any, message: str
) -> None:
    error = await shop.fault(sid, "customer.create", [{**ADA, field: value}])
    assert (error["code"], fault_name(error)) == (100, "customer_data_invalid")
    problem = next(d for d in error["data"]["details"] if d["field"] == field)
    assert message in problem["message"], problem
    assert await shop.fetchval("SELECT count(*) FROM customer") == 0


async def test_a_required_attribute_is_needed_on_create(api: Api, sid: str) -> None:
    await define(api, Attribute(0, "customer", "account_code", "varchar", required=True))
    error = await api.fault(sid, "customer.create", [ADA])
    assert {"field": "account_code", "message": "is required"} in error["data"]["details"]
    customer_id = await api.call(sid, "customer.create", [{**ADA, "account_code": "A1"}])
    error = await api.fault(sid, "customer.update", [customer_id, {"account_code": None}])
    assert {"field": "account_code", "message": "is required"} in error["data"]["details"]


async def test_attributes_filter_with_every_operator_and_sort(shop: Api, sid: str) -> None:
    for n, tier in enumerate((3, 4, 4)):
        data = {**ADA, "email": f"c{n}@example.com", "loyalty_number": f"LN-{n}", "tier": tier}
        await shop.call(sid, "customer.create", [{**data, "credit_limit": n * 100}])

    async def ids(filters: Any, options: Any = None) -> list[int]:
        return [
            c["customer_id"]
            for c in await shop.call(sid, "customer.list", [filters, None, options])
        ]

    assert await ids({"loyalty_number": "ln-1"}) == [2]  # text compares without case
    assert await ids({"loyalty_number": {"like": "LN-%"}, "tier": {"in": [4]}}) == [2, 3]
    assert await ids({"credit_limit": {"gteq": 100}}) == [2, 3]
    assert await ids({"tier": {"neq": 4}}) == [1]
    assert await ids({"vip_since": {"null": True}}) == [1, 2, 3]
    assert await ids(None, {"order": "credit_limit", "dir": "desc"}) == [3, 2, 1]
    error = await shop.fault(sid, "customer.list", [{"credit_limit": {"gt": "lots"}}])
    assert fault_name(error) == "filters_invalid"


async def test_address_attributes_on_the_address_calls(shop: Api, sid: str) -> None:
    customer_id = await shop.call(sid, "customer.create", [ADA])
    notes = "Ring twice.\nBack door."
    address_id = await shop.call(
        sid, "customer_address.create", [customer_id, {**ADDRESS, "delivery_notes": notes}]
    )
    assert (await shop.call(sid, "customer_address.info", address_id))["delivery_notes"] == notes
    listed = await shop.call(sid, "customer_address.list", customer_id)
    assert listed[0]["delivery_notes"] == notes
    assert await shop.call(sid, "customer_address.update", [address_id, {"delivery_notes": None}])
    assert (await shop.call(sid, "customer_address.info", address_id))["delivery_notes"] is None
    error = await shop.fault(
        sid, "customer_address.update", [address_id, {"delivery_notes": ["a list"]}]
    )
    assert fault_name(error) == "data_invalid"
    assert error["data"]["details"][0]["field"] == "delivery_notes"


async def test_every_wire_answers_them_and_documents_them(shop: Api, sid: str) -> None:
    customer_id = await shop.call(sid, "customer.create", [{**ADA, **VALUES}])
    # SOAP v1: the map holds them.
    status, root = await soap(
        shop,
        "/api/soap/",
        envelope(
            "call",
            string("sessionId", sid)
            + string("resourcePath", "customer.info")
            + f'<args xsi:type="xsd:int">{customer_id}</args>',
        ),
    )
    keys = [item.findtext("key") for item in root.iter("item")]
    assert status == 200 and "loyalty_number" in keys and "tier" in keys
    # SOAP v2: the WSDL's entity has them as typed members, and the answer holds them.
    wsdl = await (await shop.client.get("/api/v2_soap/?wsdl")).text()
    assert 'name="loyalty_number" type="xsd:string"' in wsdl
    assert 'name="tier" type="xsd:int"' in wsdl
    status, root = await soap(
        shop,
        "/api/v2_soap/",
        envelope(
            "customerCustomerInfo",
            string("sessionId", sid) + f'<customerId xsi:type="xsd:int">{customer_id}</customerId>',
        ),
    )
    assert root.findtext(".//loyalty_number") == "LN-0042" and root.findtext(".//tier") == "4"
    # REST, JSON and XML.
    response = await shop.client.get(
        f"/api/rest/customers/{customer_id}",
        headers={"Authorization": f"Bearer {sid}", "Accept": "application/json"},
    )
    rest = await response.json()
    assert (rest["loyalty_number"], rest["tier"], rest["credit_limit"]) == (
        "LN-0042",
        "4",
        "1234.5",
    )
    response = await shop.client.get(
        f"/api/rest/customers/{customer_id}", headers={"Authorization": f"Bearer {sid}"}
    )
    assert "<loyalty_number>LN-0042</loyalty_number>" in await response.text()
    # OpenRPC: typed members of the entity and of customerData.
    document = await shop.result("rpc.discover")
    info = next(m for m in document["methods"] if m["name"] == "customer.info")
    tier = info["result"]["schema"]["properties"]["tier"]
    assert tier == {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "Tier"}
    create = next(m for m in document["methods"] if m["name"] == "customer.create")
    assert "loyalty_number" in create["params"][1]["schema"]["properties"]


async def test_a_definition_added_or_removed_shows_without_a_restart(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [ADA])
    assert "loyalty_number" not in await api.call(sid, "customer.info", customer_id)
    cache = api.client.app[SERVICES].definitions
    await until(lambda: cache.listening, "the definitions are never kept in memory")
    async with api.pool.acquire() as connection:
        await add_attribute(connection, ATTRIBUTES[0])
    await until_answered(api, sid, customer_id, present=True)
    assert await api.call(sid, "customer.update", [customer_id, {"loyalty_number": "X"}])
    async with api.pool.acquire() as connection:
        assert await remove_attribute(connection, "customer", "loyalty_number")
    await until_answered(api, sid, customer_id, present=False)
    error = await api.fault(sid, "customer.update", [customer_id, {"loyalty_number": "X"}])
    assert error["data"]["details"][0]["message"] == "is not a known field"


async def until_answered(api: Api, sid: str, customer_id: int, *, present: bool) -> None:
    for _ in range(500):
        if ("loyalty_number" in await api.call(sid, "customer.info", customer_id)) is present:
            return
    raise AssertionError(f"loyalty_number present: {not present}")


def test_the_attribute_command(fresh_database: Any) -> None:
    url = fresh_database()

    def gateway(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gateway", "attribute", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "DATABASE_URL": url},
            timeout=120,
            check=False,
        )

    assert (
        gateway(
            "add",
            "customer",
            "tier",
            "--type",
            "select",
            "--option",
            "3=Bronze",
            "--option",
            "4=Silver",
            "--label",
            "Tier",
        ).returncode
        == 0
    )
    assert gateway("add", "customer_address", "notes", "--type", "text").returncode == 0
    assert gateway("add", "customer", "email", "--type", "varchar").returncode == 2  # its own
    assert gateway("add", "customer", "Bad-Code", "--type", "varchar").returncode == 2
    assert gateway("add", "customer", "size", "--type", "select").returncode == 2  # no options
    listing = gateway("list").stdout.splitlines()
    assert listing == [
        "customer\ttier\tselect\toptional\tTier\t3=Bronze,4=Silver",
        "customer_address\tnotes\ttext\toptional\t-\t-",
    ]
    assert gateway("remove", "customer", "tier").returncode == 0
    assert gateway("remove", "customer", "tier").returncode == 1
