"""A crash: the gateway is killed with SIGKILL while clients stream writes. After a restart
the database holds only whole units, and every unit that was acknowledged; with
``Idempotency-Key`` the unacknowledged ones, sent again, are stored exactly once and each
retry gets the original answer."""

import itertools
import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from tests.conftest import TEST_KEY
from tests.helpers import ADDRESS
from tests.processes import free_port, post, run_apart, seed_database, start_gateway, wait_ready

pytestmark = pytest.mark.slow

# The customer every unit's address is created for (seed_database makes it).
ANCHOR = 1


def _customer(k: int, part: str) -> dict[str, Any]:
    return {"email": f"u{k}{part}@x.com", "firstname": "U", "lastname": str(k), "website_id": 1}


def _address(k: int) -> dict[str, Any]:
    return {**ADDRESS, "company": f"unit-{k}"}


def _atomic_unit(session_id: str, k: int) -> dict[str, Any]:
    """Two customers and an address, all or nothing."""
    calls = [
        ["customer.create", [_customer(k, "a")]],
        ["customer.create", [_customer(k, "b")]],
        ["customer_address.create", [ANCHOR, _address(k)]],
    ]
    return {
        "jsonrpc": "2.0",
        "method": "multiCall",
        "id": k,
        "params": [session_id, calls, {"atomic": True}],
    }


def _keyed_unit(session_id: str, k: int) -> dict[str, Any]:
    """A customer alone, an address alone, or an atomic multiCall, by turns."""
    if k % 3 == 0:
        return {
            "jsonrpc": "2.0",
            "method": "customer.create",
            "id": k,
            "params": [session_id, _customer(k, "a")],
        }
    if k % 3 == 1:
        return {
            "jsonrpc": "2.0",
            "method": "customer_address.create",
            "id": k,
            "params": [session_id, ANCHOR, _address(k)],
        }
    return _atomic_unit(session_id, k)


def _post(port: int, body: bytes, key: str | None) -> tuple[Any, bool]:
    """The answer, and whether it was a replay."""
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/jsonrpc", data=body, method="POST", headers=headers
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return json.loads(response.read()), response.headers.get("Idempotent-Replayed") == "true"


class Stream:
    """Clients sending units until the gateway is killed under them: what was sent, what was
    answered, and what was not."""

    def __init__(self, port: int, unit: Callable[[int], bytes], *, keyed: bool) -> None:
        self.port, self.unit, self.keyed = port, unit, keyed
        self.units = itertools.count(1)
        self.sent: dict[int, bytes] = {}
        self.answers: dict[int, Any] = {}
        self.unanswered: list[int] = []
        self.lock = threading.Lock()

    def key(self, k: int) -> str | None:
        return f"unit-{k}" if self.keyed else None

    def _send(self) -> None:
        while True:
            with self.lock:
                k = next(self.units)
                body = self.sent[k] = self.unit(k)
            try:
                answer, _ = _post(self.port, body, self.key(k))
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                with self.lock:
                    self.unanswered.append(k)
                return  # the gateway is gone
            with self.lock:
                self.answers[k] = answer

    def run_until_killed(self, server: subprocess.Popen[str], seconds: float = 1.5) -> None:
        senders = [threading.Thread(target=self._send) for _ in range(4)]
        for sender in senders:
            sender.start()
        time.sleep(seconds)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        for sender in senders:
            sender.join(timeout=30)


def _killed_mid_stream(
    url: str, test_key_hash: str, unit: Callable[[str, int], Any], *, keyed: bool
) -> tuple[int, Stream]:
    """A gateway on a fresh database, sent a stream of units (``unit(session_id, k)``) by
    four clients, and killed with SIGKILL in the middle: its port, and the stream."""
    seed_database(url, "crash", test_key_hash)
    port = free_port()
    server = start_gateway(url, port, output=subprocess.DEVNULL)
    wait_ready(port, server)
    session_id = _login(port)  # sessions live in the database: the same one after a restart
    stream = Stream(port, lambda k: json.dumps(unit(session_id, k)).encode(), keyed=keyed)
    stream.run_until_killed(server)
    return port, stream


def _login(port: int) -> str:
    body = {"jsonrpc": "2.0", "method": "login", "params": ["crash", TEST_KEY], "id": 0}
    session_id: str = post(port, body)["result"]
    return session_id


def _stored(url: str) -> tuple[dict[int, list[int]], dict[int, list[int]], int]:
    """The customers and addresses of each unit (their ids), and how many customers in all."""

    async def read() -> tuple[dict[int, list[int]], dict[int, list[int]], int]:
        connection = await asyncpg.connect(url)
        customers: dict[int, list[int]] = {}
        addresses: dict[int, list[int]] = {}
        rows = await connection.fetch(
            "SELECT customer_id, email FROM customer WHERE email LIKE 'u%' ORDER BY email"
        )
        for customer_id, email in rows:
            customers.setdefault(int(email[1:].split("@")[0][:-1]), []).append(customer_id)
        rows = await connection.fetch("SELECT address_id, company FROM customer_address")
        for address_id, company in rows:
            addresses.setdefault(int(company.removeprefix("unit-")), []).append(address_id)
        total = await connection.fetchval("SELECT count(*) FROM customer")
        await connection.close()
        return customers, addresses, total

    return run_apart(read())


def test_sigkill_during_atomic_multicalls_leaves_only_whole_units(
    fresh_database: Callable[[], str], test_key_hash: str
) -> None:
    url = fresh_database()
    port, stream = _killed_mid_stream(url, test_key_hash, _atomic_unit, keyed=False)

    restarted = start_gateway(url, port, output=subprocess.DEVNULL)
    try:
        wait_ready(port, restarted)
        count = {"jsonrpc": "2.0", "method": "call", "id": 1,
                 "params": [_login(port), "customer.count", []]}  # fmt: skip
        customers_via_api = post(port, count)["result"]
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)

    customers, addresses, total = _stored(url)
    acknowledged = set(stream.answers)
    for answer in stream.answers.values():
        slots = answer["result"]
        assert len(slots) == 3 and not any(isinstance(s, dict) for s in slots), slots
    assert acknowledged, "units must have been acknowledged before the kill"
    assert set(customers) == set(addresses), "a unit was stored in part"
    assert all(len(c) == 2 and len(addresses[k]) == 1 for k, c in customers.items())
    assert acknowledged <= set(customers), "an acknowledged unit was lost"
    assert customers_via_api == total == 1 + 2 * len(customers)
    print(
        f"\ncrash: SIGKILL after {len(stream.sent)} atomic units sent,"
        f" {len(acknowledged)} acknowledged; {len(customers)} whole units stored, 0 partial,"
        " 0 acknowledged lost"
    )


def _stored_answer(k: int, customers: dict[int, list[int]], addresses: dict[int, list[int]]) -> Any:
    """What unit ``k`` answered, as the database shows it was done."""
    if k % 3 == 0:
        return customers[k][0]
    if k % 3 == 1:
        return addresses[k][0]
    return [*customers[k], *addresses[k]]


def test_sigkill_during_keyed_writes_then_retries_store_each_unit_exactly_once(
    fresh_database: Callable[[], str], test_key_hash: str
) -> None:
    url = fresh_database()
    port, stream = _killed_mid_stream(url, test_key_hash, _keyed_unit, keyed=True)

    restarted = start_gateway(url, port, output=subprocess.DEVNULL)
    replayed = 0
    try:
        wait_ready(port, restarted)
        retried: dict[int, Any] = {}
        for k in stream.unanswered:
            answer, was_replayed = _post(port, stream.sent[k], stream.key(k))
            retried[k] = answer
            replayed += was_replayed
        # Acknowledged ones sent again are replayed, byte for byte the same answer.
        for k in list(stream.answers)[:5]:
            answer, was_replayed = _post(port, stream.sent[k], stream.key(k))
            assert was_replayed and answer == stream.answers[k]
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)

    customers, addresses, total = _stored(url)
    answers = {**stream.answers, **retried}
    assert stream.answers and stream.unanswered, "the kill must come mid-stream"
    assert set(answers) == set(stream.sent)
    for k, answer in answers.items():
        assert "result" in answer, answer
        expected = {0: (1, 0), 1: (0, 1), 2: (2, 1)}[k % 3]
        assert (len(customers.get(k, [])), len(addresses.get(k, []))) == expected, k
        assert answer["result"] == _stored_answer(k, customers, addresses), k
    assert total == 1 + sum(len(c) for c in customers.values())
    print(
        f"\ncrash: SIGKILL after {len(stream.sent)} keyed units sent (creates, address creates,"
        f" atomic multiCalls), {len(stream.unanswered)} unanswered and sent again"
        f" ({replayed} replayed: done before the kill); every unit stored exactly once"
    )
