"""gateway.client against the real server."""

import pytest

from gateway.client import GatewayClient, GatewayFault
from tests.helpers import Api


@pytest.fixture
async def url(api: Api) -> str:
    await api.add_user("bot", ["all"])
    return str(api.client.make_url("/"))


def person(n: int) -> dict[str, object]:
    return {
        "email": f"p{n}@x.com",
        "firstname": "P",
        "lastname": str(n),
        "website_id": 1,
        "group_id": 1 + n % 2,
    }


async def test_call_and_call_named(api: Api, url: str) -> None:
    async with GatewayClient(url, "bot", api.key) as gw:
        customer_id = await gw.call("customer.create", person(1))
        assert (await gw.call("customer.info", customer_id))["email"] == "p1@x.com"
        named = await gw.call_named("customer.info", customerId=customer_id, attributes=["email"])
        assert named == {"customer_id": customer_id, "email": "p1@x.com"}
    # Leaving the block ended the session.
    assert await api.fetchval("SELECT count(*) FROM api_session") == 0


async def test_faults_are_one_exception_type(api: Api, url: str) -> None:
    async with GatewayClient(url, "bot", api.key) as gw:
        with pytest.raises(GatewayFault) as caught:
            await gw.call("customer.create", {"website_id": 1})
    fault = caught.value
    assert (fault.code, fault.fault) == (100, "customer_data_invalid")
    assert {d["field"] for d in fault.details} == {"email", "firstname", "lastname"}
    assert fault.message


async def test_bad_credentials_raise_access_denied(api: Api, url: str) -> None:
    with pytest.raises(GatewayFault) as caught:
        async with GatewayClient(url, "bot", "wrong"):
            pass
    assert caught.value.fault == "access_denied"


async def test_multi_call(api: Api, url: str) -> None:
    async with GatewayClient(url, "bot", api.key) as gw:
        slots = await gw.multi_call([("customer.create", [person(1)]), ("customer.info", [404])])
        assert slots[0] == 1 and slots[1]["fault"] == "customer_not_exists"
        slots = await gw.multi_call(
            [("customer.create", [person(2)]), ("customer.info", [404])], atomic=True
        )
        assert slots[1]["isFault"]
    assert await api.fetchval("SELECT count(*) FROM customer") == 1


async def test_iter_customers_pages_by_keyset(api: Api, url: str) -> None:
    async with GatewayClient(url, "bot", api.key) as gw:
        for n in range(1, 26):
            await gw.call("customer.create", person(n))
        everyone = [c["customer_id"] async for c in gw.iter_customers(page_size=7)]
        assert everyone == list(range(1, 26))
        evens = [c["lastname"] async for c in gw.iter_customers({"group_id": 1}, page_size=4)]
        assert evens == [str(n) for n in range(2, 26, 2)]
        some = [
            c["customer_id"]
            async for c in gw.iter_customers({"customer_id": {"gt": 20}}, page_size=2)
        ]
        assert some == [21, 22, 23, 24, 25]


async def test_a_session_that_expires_mid_run_is_renewed_once(api: Api, url: str) -> None:
    async with GatewayClient(url, "bot", api.key) as gw:
        first_session = gw.session_id
        await gw.call("customer.create", person(1))
        await api.expire_sessions()
        assert (await gw.call("customer.info", 1))["customer_id"] == 1
        assert gw.session_id != first_session
        pages = gw.iter_customers(page_size=1)
        assert (await anext(pages))["customer_id"] == 1
        await api.expire_sessions()
        await gw.call("customer.create", person(2))
        assert [c["customer_id"] async for c in pages] == [2]
