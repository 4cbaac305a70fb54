"""A crash: the gateway is killed with SIGKILL while clients stream atomic multiCalls (each
unit two customers and an address). After a restart the database holds only whole units, and
every unit that was acknowledged."""

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg

from gateway.auth import users
from tests.conftest import TEST_KEY
from tests.test_operations import _free_port, _post, _wait_ready

ADDRESS = {
    "firstname": "A",
    "lastname": "B",
    "street": "S",
    "city": "C",
    "country_id": "US",
    "telephone": "1",
    "postcode": "2",
}


def _run(work: Any) -> Any:
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


def _serve(url: str, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


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

    _run(prepare())
    port = _free_port()
    server = _serve(url, port)
    _wait_ready(port, server)
    session_id = _post(
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
                slots = _post(port, _unit(session_id, k))["result"]
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

    restarted = _serve(url, port)
    try:
        _wait_ready(port, restarted)
        session_id = _post(
            port, {"jsonrpc": "2.0", "method": "login", "params": ["crash", TEST_KEY], "id": 0}
        )["result"]
        answer = _post(
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

    parts, total = _run(stored_units())
    assert acknowledged, "units must have been acknowledged before the kill"
    assert all(count == 3 for count in parts.values()), "a unit was stored in part"
    assert set(acknowledged) <= set(parts), "an acknowledged unit was lost"
    assert customers_via_api == total == 1 + 2 * len(parts)
    print(
        f"\ncrash: SIGKILL after {sent} atomic units sent, {len(acknowledged)} acknowledged;"
        f" {len(parts)} whole units stored, 0 partial, 0 acknowledged lost"
    )
