"""A multiCall (and a batch) is bounded: in calls, in the size of its answer, and in time as
a whole; its options are booleans."""

import time

import pytest

from gateway.settings import Settings
from tests.conftest import make_settings
from tests.helpers import Api, fault_name
from tests.timing import allowance, idle_seconds

NEW = {"firstname": "M", "lastname": "N", "website_id": 1}
MAX_ANSWER = 30_000


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        max_batch=5,
        max_answer=MAX_ANSWER,
        db_connect_timeout=0.5,
        db_command_timeout=1.0,
        heavy_timeout=1.0,
    )


async def test_more_calls_than_the_limit_run_none(api: Api, sid: str) -> None:
    calls = [["customer.create", [{**NEW, "email": f"{n}@x.com"}]] for n in range(6)]
    error = await api.error("multiCall", [sid, calls])
    assert (error["code"], fault_name(error)) == (7, "limit_exceeded")
    assert error["data"]["limit"] == "GATEWAY_MAX_BATCH" and error["data"]["value"] == 5
    assert await api.fetchval("SELECT count(*) FROM customer") == 0


async def test_an_answer_over_the_limit_stops_at_the_call_that_would_exceed_it(
    api: Api, sid: str
) -> None:
    await api.execute(
        "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
        " SELECT 1, 1, 1, 'user' || n || '@example.com', repeat('F', 100), 'L'"
        " FROM generate_series(1, 40) AS n"
    )
    calls = [["customer.list", []], ["customer.list", []], ["customer.count", []]]
    slots = await api.result("multiCall", [sid, calls])
    assert len(slots[0]) == 40
    assert (
        slots[1]["fault"] == "limit_exceeded"
        and "GATEWAY_MAX_ANSWER" not in slots[1]["faultMessage"]
    )
    assert str(MAX_ANSWER) in slots[1]["faultMessage"]
    assert len(slots) == 2  # nothing runs after it


async def test_a_batch_shares_one_answer_budget(api: Api, sid: str) -> None:
    await api.execute(
        "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
        " SELECT 1, 1, 1, 'user' || n || '@example.com', repeat('F', 100), 'L'"
        " FROM generate_series(1, 40) AS n"
    )
    batch = [
        {"jsonrpc": "2.0", "method": "call", "params": [sid, "customer.list", []], "id": n}
        for n in (1, 2)
    ]
    _, answers = await api.post(batch)
    assert len(answers[0]["result"]) == 40
    assert answers[1]["error"]["data"]["fault"] == "limit_exceeded"


@pytest.mark.parametrize("options", [{"atomic": "false"}, {"break": 1}, {"atomik": True}])
async def test_options_must_be_known_booleans(api: Api, sid: str, options: object) -> None:
    calls = [["customer.create", [{**NEW, "email": "a@x.com"}]]]
    error = await api.error("multiCall", [sid, calls, options])
    assert error["code"] == -32602
    assert await api.fetchval("SELECT count(*) FROM customer") == 0


@pytest.mark.slow
async def test_a_multicall_as_a_whole_ends_at_its_deadline(
    api: Api, sid: str, settings: Settings
) -> None:
    await api.execute(
        "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
        " SELECT 1, 1, 1, 'user' || n || '@example.com', 'F', 'L'"
        " FROM generate_series(1, 100000) AS n"
    )  # enough that five such counts outlast the deadline, even on a fast machine
    slow = "[a-z0-9]{0,40}[0-9]{0,40}[a-z0-9]{0,40}[0-9]{0,40}@x"
    calls = [["customer.count", [{"email": {"regexp": slow}}]] for _ in range(5)]
    # The room a timer firing late may need on this machine now.
    late = allowance(0.5, await idle_seconds(lambda: api.call(sid, "customer_group.list")))
    started = time.perf_counter()
    error = await api.error("multiCall", [sid, calls])
    took = time.perf_counter() - started
    assert fault_name(error) in ("internal", "query_timeout")
    assert took < settings.call_deadline * 1.1 + late, took
