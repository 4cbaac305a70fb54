"""A crash: the gateway is killed with SIGKILL while clients stream atomic multiCalls (each
unit two customers and an address). After a restart the database holds only whole units, and
every unit that was acknowledged."""

import itertools
import signal
import subprocess
import threading
import time
import urllib.error
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from gateway.auth import users
from tests.conftest import TEST_KEY
from tests.processes import free_port, post, run_apart, start_gateway, wait_ready

pytestmark = pytest.mark.slow

ADDRESS = {
    "firstname": "A",
    "lastname": "B",
    "street": "S",
    "city": "C",
    "country_id": "US",
    "telephone": "1",
    "postcode": "2",
}


def _unit(session_id: str, k: int) -> dict[str, Any]:
    calls = [
        [
            "customer.create",
            [{"email": f"u{k}a@x.com", "firstname": "U", "lastname": str(k), "website_id": 1}],
        ],
        [
            "customer.create",
            [{"email": f"u{k}b@x.com", "firstname": "U", "lastname": str(k), "website_id": 1}],
        ],
        ["customer_address.create", [1, {**ADDRESS, "company": f"unit-{k}"}]],
    ]
    return {
        "jsonrpc": "2.0",
        "method": "multiCall",
        "id": k,
        "params": [session_id, calls, {"atomic": True}],
    }


def test_sigkill_during_atomic_multicalls_leaves_only_whole_units(
    fresh_database: Callable[[], str], test_key_hash: str
) -> None:
    url = fresh_database()

    async def prepare() -> None:
        connection = await asyncpg.connect(url)
        await users.add_user(connection, "crash", test_key_hash, ["all"])
        await connection.execute(
            "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
            " VALUES (1, 1, 1, 'anchor@x.com', 'Anchor', 'A')"
        )
        await connection.close()

    run_apart(prepare())
    port = free_port()
    server = start_gateway(url, port, output=subprocess.DEVNULL)
    wait_ready(port, server)
    session_id = post(
        port, {"jsonrpc": "2.0", "method": "login", "params": ["crash", TEST_KEY], "id": 0}
    )["result"]
    units = itertools.count(1)
    acknowledged: list[int] = []
    lock = threading.Lock()

    def stream() -> None:
        while True:
            with lock:
                k = next(units)
            try:
                slots = post(port, _unit(session_id, k))["result"]
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                return  # the gateway is gone
            assert len(slots) == 3 and not any(isinstance(s, dict) for s in slots), slots
            with lock:
                acknowledged.append(k)

    senders = [threading.Thread(target=stream) for _ in range(4)]
    for sender in senders:
        sender.start()
    time.sleep(1.5)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=30)
    for sender in senders:
        sender.join(timeout=30)
    sent = next(units) - 1

    restarted = start_gateway(url, port, output=subprocess.DEVNULL)
    try:
        wait_ready(port, restarted)
        session_id = post(
            port, {"jsonrpc": "2.0", "method": "login", "params": ["crash", TEST_KEY], "id": 0}
        )["result"]
        answer = post(
            port,
            {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": [session_id, "customer.count", []],
            },
        )
        customers_via_api = answer["result"]
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)

    async def stored_units() -> tuple[dict[int, int], int]:
        connection = await asyncpg.connect(url)
        parts: dict[int, int] = {}
        for (email,) in await connection.fetch("SELECT email FROM customer WHERE email LIKE 'u%'"):
            k = int(email[1:].split("@")[0][:-1])
            parts[k] = parts.get(k, 0) + 1
        for (company,) in await connection.fetch("SELECT company FROM customer_address"):
            k = int(company.removeprefix("unit-"))
            parts[k] = parts.get(k, 0) + 1
        total = await connection.fetchval("SELECT count(*) FROM customer")
        await connection.close()
        return parts, total

    parts, total = run_apart(stored_units())
    assert acknowledged, "units must have been acknowledged before the kill"
    assert all(count == 3 for count in parts.values()), "a unit was stored in part"
    assert set(acknowledged) <= set(parts), "an acknowledged unit was lost"
    assert customers_via_api == total == 1 + 2 * len(parts)
    print(
        f"\ncrash: SIGKILL after {sent} atomic units sent, {len(acknowledged)} acknowledged;"
        f" {len(parts)} whole units stored, 0 partial, 0 acknowledged lost"
    )
