"""Regular-expression filters cannot stall the gateway: what PostgreSQL cannot bound is
refused, and what it runs is a heavy statement (a timeout of its own, and only a few at once,
none holding a connection while it waits), so that other callers keep their latency."""

import asyncio
import logging
import statistics
import time

import pytest

from gateway.resources.kit.regexps import regexp_problem
from gateway.settings import Settings
from tests.conftest import make_settings
from tests.helpers import Api, fault_name
from tests.timing import allowance

BACK_REFERENCES = r"^(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)\1\2\3\4\5\6\7\8\9$"
NESTED_BOUNDS = "(a{1,200}){1,200}"
# Allowed, but costly: about 40 us a row on this machine.
SLOW = "[a-z0-9]{0,40}[0-9]{0,40}[a-z0-9]{0,40}[0-9]{0,40}@x"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (BACK_REFERENCES, "back-references"),
        (NESTED_BOUNDS, "expand to 40000 atoms"),
        ("(((a)+)+)+", "nested at most 2 deep"),
        ("a" * 257, "at most 256 characters"),
        ("(unclosed", "unbalanced parentheses"),
        ("[unclosed", "unbalanced brackets"),
    ],
)
def test_what_postgresql_cannot_bound_is_refused(pattern: str, reason: str) -> None:
    problem = regexp_problem(pattern)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "pattern",
    [r"^\d{3}-\d{4}$", "@example\\.(com|org)$", "[[:alpha:]]+", "((ab)+c)*", "[]x]+", r"\\1"],
)
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert regexp_problem(pattern) is None


async def test_the_attackers_patterns_are_filters_invalid_naming_why(api: Api, sid: str) -> None:
    await api.add_user("reader", ["customer/info"])
    reader = await api.login("reader")
    for pattern, reason in ((BACK_REFERENCES, "back-references"), (NESTED_BOUNDS, "40000")):
        errors = await asyncio.gather(
            *(
                api.fault(reader, "customer.count", [{"email": {"regexp": pattern}}])
                for _ in range(10)
            )
        )
        for error in errors:
            assert (error["code"], fault_name(error)) == (101, "filters_invalid")
            assert reason in error["message"]


async def fill(api: Api, customers: int) -> None:
    await api.execute(
        "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
        f" SELECT 1, 1, 1, 'user' || n || '@example.com', 'F', 'L'"
        f" FROM generate_series(1, {customers}) AS n"
    )


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    heavy_timeout = getattr(request, "param", 2.0)
    return make_settings(database_url, heavy_timeout=heavy_timeout)


@pytest.mark.parametrize("settings", [0.2], indirect=True)
async def test_a_statement_timeout_is_query_timeout_not_retryable(
    api: Api, sid: str, caplog: pytest.LogCaptureFixture
) -> None:
    await fill(api, 20_000)
    with caplog.at_level(logging.WARNING):
        error = await api.fault(sid, "customer.count", [{"email": {"regexp": SLOW}}])
    assert (error["code"], fault_name(error)) == (8, "query_timeout")
    assert "retryable" not in error["data"]
    slow = [r for r in caplog.records if r.getMessage() == "slow query"]
    assert slow and slow[0].api_path == ["customer.count"]  # type: ignore[attr-defined]
    assert not [r for r in caplog.records if r.getMessage() == "database unavailable"]
    # The connection it ran on is fine for the next call.
    assert await api.call(sid, "customer.count", [{"email": {"like": "user1@%"}}]) == 1


@pytest.mark.slow
async def test_ten_slow_regexp_calls_leave_others_their_latency(api: Api, sid: str) -> None:
    await fill(api, 20_000)
    customer_id = await api.fetchval("SELECT min(customer_id) FROM customer")

    async def info_seconds() -> float:
        started = time.perf_counter()
        await api.call(sid, "customer.info", customer_id)
        return time.perf_counter() - started

    idle = statistics.median([await info_seconds() for _ in range(20)])
    await api.add_user("reader", ["customer/info"])
    reader = await api.login("reader")
    attack = [
        asyncio.ensure_future(
            api.request("call", [reader, "customer.count", [{"email": {"regexp": SLOW}}]])
        )
        for _ in range(10)
    ]
    await asyncio.sleep(0.2)  # the ten are running (or waiting for their turn)
    busy = [await info_seconds() for _ in range(5)]
    answers = await asyncio.gather(*attack)
    assert all("result" in a or a["error"]["data"]["fault"] == "query_timeout" for a in answers)
    assert max(busy) < allowance(0.25, idle, slack=20), (idle, busy)
