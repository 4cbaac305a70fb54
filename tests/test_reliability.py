"""Races, injection and authentication: each proves a figure, printed (run `make chaos` to see
them)."""

import asyncio
import random
import re
from typing import Any

import pytest

from gateway.settings import Settings
from tests.conftest import make_settings
from tests.helpers import ADDRESS, Api, fault_name

pytestmark = pytest.mark.slow

BASE = {"firstname": "R", "lastname": "S", "website_id": 1}


async def test_100_concurrent_creates_of_one_email(api: Api, sid: str) -> None:
    answers = await asyncio.gather(
        *(
            api.request("call", [sid, "customer.create", [{**BASE, "email": "race@x.com"}]])
            for _ in range(100)
        )
    )
    created = [a["result"] for a in answers if "result" in a]
    refused = [a["error"] for a in answers if "error" in a]
    assert len(created) == 1
    assert len(refused) == 99
    assert {fault_name(e) for e in refused} == {"customer_exists"}
    assert {e["data"]["customer_id"] for e in refused} == set(created)
    assert await api.fetchval("SELECT count(*) FROM customer") == 1
    print(
        f"\nraces: 100 concurrent creates of one email -> {len(created)} id, "
        f"{len(refused)} customer_exists, 1 row"
    )


async def test_concurrent_updates_never_mix(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [{**BASE, "email": "u@x.com"}])
    writes = [{"firstname": f"F{n}", "lastname": f"L{n}", "taxvat": f"T{n}"} for n in range(60)]
    answers = await asyncio.gather(
        *(api.request("call", [sid, "customer.update", [customer_id, write]]) for write in writes)
    )
    assert all(a.get("result") is True for a in answers)
    final = await api.call(sid, "customer.info", customer_id)
    numbers = {re.sub(r"\D", "", final[k]) for k in ("firstname", "lastname", "taxvat")}
    assert len(numbers) == 1, final
    print(
        f"races: 60 concurrent updates of one customer -> the row is write #{numbers.pop()}, whole"
    )


async def test_concurrent_default_moves_leave_exactly_one_default(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [{**BASE, "email": "d@x.com"}])
    address = {
        "firstname": "A",
        "lastname": "B",
        "street": "S",
        "city": "C",
        "country_id": "US",
        "telephone": "1",
        "postcode": "2",
    }
    address_ids = [
        await api.call(sid, "customer_address.create", [customer_id, address]) for _ in range(10)
    ]
    moves = [random.choice(address_ids) for _ in range(80)]
    answers = await asyncio.gather(
        *(
            api.request(
                "call",
                [
                    sid,
                    "customer_address.update",
                    [target, {"is_default_billing": True, "is_default_shipping": True}],
                ],
            )
            for target in moves
        )
    )
    assert all(a.get("result") is True for a in answers)
    listed = await api.call(sid, "customer_address.list", customer_id)
    billing = [a["customer_address_id"] for a in listed if a["is_default_billing"]]
    shipping = [a["customer_address_id"] for a in listed if a["is_default_shipping"]]
    assert len(billing) == 1 and len(shipping) == 1
    print(
        f"races: 80 concurrent default moves over 10 addresses -> {len(billing)} default "
        "billing, 1 default shipping"
    )


async def test_default_changes_from_both_sides_never_fault(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [{**BASE, "email": "d@x.com"}])
    a, b = [await api.call(sid, "customer_address.create", [customer_id, ADDRESS]) for _ in "ab"]
    calls = [
        ["customer.update", [customer_id, {"default_billing": a}]]
        if n % 2
        else ["customer_address.update", [b, {"is_default_billing": True}]]
        for n in range(80)
    ]
    answers = await asyncio.gather(*(api.request("call", [sid, *call]) for call in calls))
    assert [x.get("error") for x in answers] == [None] * 80
    default = (await api.call(sid, "customer.info", customer_id))["default_billing"]
    assert default in (a, b)


async def test_a_default_set_to_an_address_being_deleted_never_faults_internally(
    api: Api, sid: str
) -> None:
    customer_id = await api.call(sid, "customer.create", [{**BASE, "email": "d@x.com"}])
    outcomes = []
    for _ in range(20):
        address_id = await api.call(sid, "customer_address.create", [customer_id, ADDRESS])
        update, delete = await asyncio.gather(
            api.request(
                "call", [sid, "customer.update", [customer_id, {"default_billing": address_id}]]
            ),
            api.request("call", [sid, "customer_address.delete", [address_id]]),
        )
        assert delete.get("result") is True, delete
        if "error" in update:
            assert update["error"]["data"]["fault"] == "customer_data_invalid", update
        outcomes.append("error" in update)
        # Whatever the order, no default points at an address that is gone.
        assert (await api.call(sid, "customer.info", customer_id))["default_billing"] is None


INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE customer; --",
    '" OR ""="',
    "1; DELETE FROM customer",
    "1) OR (1=1",
    "' UNION SELECT password_hash FROM customer --",
    "customer_id; SELECT pg_sleep(5)",
    "$1",
    "lower(email)",
    "email ASC, (SELECT 1)",
    "ASC; DROP TABLE api_user",
    "%' --",
    "\\'; --",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE Students;--",
]


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_injection_strings_are_refused_or_stored_literally(
    api: Api, sid: str, payload: str
) -> None:
    customer_id = await api.call(
        sid,
        "customer.create",
        [
            {
                **BASE,
                "email": "inj@x.com",
                "firstname": payload,
                "lastname": payload,
                "taxvat": payload,
            }
        ],
    )
    stored = await api.call(sid, "customer.info", customer_id)
    assert (stored["firstname"], stored["lastname"], stored["taxvat"]) == (payload,) * 3
    # As a value it is only ever compared, never run.
    found = await api.call(sid, "customer.list", [{"firstname": payload}])
    assert [c["customer_id"] for c in found] == [customer_id]
    assert await api.call(sid, "customer.list", [{"email": {"like": payload}}]) == []
    # As a field, an operator, an order or a direction it is refused.
    for filters, options in (
        ({payload: 1}, None),
        ({"email": {payload: 1}}, None),
        (None, {"order": payload}),
        (None, {"dir": payload}),
    ):
        error = await api.fault(sid, "customer.list", [filters, None, options])
        assert fault_name(error) == "filters_invalid"
    assert await api.fetchval("SELECT count(*) FROM customer") == 1
    assert await api.fetchval("SELECT count(*) FROM api_user") == 1


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The shipped throttle defaults, without the slow-down so that the test is quick.
    return make_settings(database_url)


async def test_brute_force_against_login_is_throttled(api: Api, settings: Settings) -> None:
    await api.add_user("victim", ["all"])
    checked = 0
    for attempt in range(30):
        error = await api.error("login", ["victim", f"guess-{attempt}"])
        assert fault_name(error) == "access_denied"
        if "retry_after" not in error["data"] or attempt == settings.login_max_failures - 1:
            checked += 1
    assert checked == settings.login_max_failures
    refused_for = max(settings.login_lockout, settings.login_failure_window)
    per_minute = checked / (settings.login_failure_window / 60)
    print(
        f"auth: brute force -> {checked} guesses checked, then refused for up to "
        f"{refused_for:.0f} s: at most {per_minute:.2f} guesses per minute "
        "per username and client address (parallel guesses included)"
    )


async def test_session_ids_are_256_bit_and_distinct(api: Api) -> None:
    await api.add_user("bot", ["all"])
    session_ids = {await api.login("bot") for _ in range(50)}
    assert len(session_ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in session_ids)
    print("auth: 50 logins -> 50 distinct 256-bit session ids; only their sha256 is stored")


async def test_password_hash_never_leaves_without_its_permission(api: Api, sid: str) -> None:
    customer_id = await api.call(
        sid, "customer.create", [{**BASE, "email": "h@x.com", "password": "s3cret-pass"}]
    )
    stored_hash = await api.fetchval("SELECT password_hash FROM customer")
    await api.add_user("reader", ["customer", "customer/address"])
    reader = await api.login("reader")
    answers: list[Any] = [
        await api.call(reader, "customer.info", customer_id),
        await api.call(reader, "customer.info", [customer_id, ["password_hash"]]),
        await api.call(reader, "customer.list"),
        await api.result("multiCall", [reader, [["customer.info", [customer_id]]]]),
    ]
    response = await api.client.get(
        f"/api/rest/customers/{customer_id}",
        headers={"Authorization": f"Bearer {reader}", "Accept": "application/json"},
    )
    answers.append(await response.text())
    assert stored_hash not in str(answers)
    assert "password_hash" not in str(answers)
