"""Many processes, one truth: two gateway processes on one database share sessions, and a
session ended or a user disabled through one is refused by the other within 100 ms (each
process's session cache hears PostgreSQL's NOTIFY)."""

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import asyncpg
import pytest

from gateway.auth import users
from tests.conftest import TEST_KEY
from tests.processes import free_port, post, run_apart, start_gateway, wait_ready

pytestmark = pytest.mark.slow

# The bound of the issue: a deadline the test waits for, not a benchmark.
WITHIN = 0.1


def call(port: int, session_id: str) -> dict[str, object]:
    body = {"jsonrpc": "2.0", "method": "call", "id": 1,
            "params": [session_id, "customer_group.list"]}  # fmt: skip
    answer: dict[str, object] = post(port, body)
    return answer


def refused_within(port: int, session_id: str, seconds: float) -> float:
    """Seconds until the session is refused on ``port``; fails past ``seconds``."""
    started = time.monotonic()
    while "result" in call(port, session_id):
        waited = time.monotonic() - started
        assert waited < seconds, f"still accepted after {waited:.3f} s"
        time.sleep(0.002)
    return time.monotonic() - started


def login(port: int, user: str) -> str:
    body = {"jsonrpc": "2.0", "method": "login", "params": [user, TEST_KEY], "id": 1}
    session_id: str = post(port, body)["result"]
    return session_id


@pytest.fixture(scope="module")
def two_gateways(
    fresh_database: Callable[[], str], test_key_hash: str
) -> Iterator[tuple[str, int, int]]:
    url = fresh_database()

    async def prepare() -> None:
        connection = await asyncpg.connect(url)
        for name in ("ada", "grace"):
            await users.add_user(connection, name, test_key_hash, ["all"])
        await connection.close()

    run_apart(prepare())
    ports = free_port(), free_port()
    processes = [start_gateway(url, port, output=subprocess.DEVNULL) for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_ready(port, process)
        time.sleep(0.5)  # both listening
        yield url, *ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_a_session_opened_through_one_is_used_through_the_other(
    two_gateways: tuple[str, int, int],
) -> None:
    _, first, second = two_gateways
    session_id = login(first, "ada")
    assert "result" in call(second, session_id)
    assert "result" in call(first, session_id)


def test_end_session_through_one_is_refused_by_the_other_within_100_ms(
    two_gateways: tuple[str, int, int],
) -> None:
    _, first, second = two_gateways
    session_id = login(first, "ada")
    assert "result" in call(second, session_id)  # now in the second one's memory
    body = {"jsonrpc": "2.0", "method": "endSession", "params": [session_id], "id": 1}
    assert post(first, body)["result"] is True
    refused_within(second, session_id, WITHIN)


def test_a_user_disabled_by_the_command_line_is_refused_by_both_within_100_ms(
    two_gateways: tuple[str, int, int],
) -> None:
    url, first, second = two_gateways
    session_id = login(first, "grace")
    assert "result" in call(first, session_id) and "result" in call(second, session_id)
    subprocess.run(
        [sys.executable, "-m", "gateway", "user", "disable", "grace"],
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    refused_within(first, session_id, WITHIN)
    refused_within(second, session_id, WITHIN)
