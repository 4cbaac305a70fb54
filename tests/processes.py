"""Real gateway processes for the tests that need one (operations, crash, fuzzing, logs):
started on a database, waited for, spoken to over HTTP; and coroutines run apart from a
test's own event loop."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, TypeVar

import asyncpg

from gateway.auth import users

__all__ = ["free_port", "post", "run_apart", "seed_database", "start_gateway", "wait_ready"]

T = TypeVar("T")


def run_apart(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` on a loop of its own, even when a test's loop is running."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


def seed_database(url: str, username: str, key_hash: str) -> None:
    """On a fresh database: an API user allowed everything, and customer 1."""

    async def seed() -> None:
        connection = await asyncpg.connect(url)
        try:
            await users.add_user(connection, username, key_hash, ["all"])
            await connection.execute(
                "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
                " VALUES (1, 1, 1, 'first@example.com', 'First', 'Customer')"
            )
        finally:
            await connection.close()

    run_apart(seed())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gateway(
    database_url: str,
    port: int,
    *args: str,
    env: dict[str, str] | None = None,
    output: int | IO[Any] | None = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """``python -m gateway serve`` on ``port`` (not yet ready: see wait_ready)."""
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port), *args],
        env={**os.environ, "DATABASE_URL": database_url, **(env or {})},
        stdout=output,
        stderr=output,
        text=True,
    )


def post(port: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/jsonrpc",
        data=json.dumps(body).encode(),
        method="POST",
        headers=headers or {},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


# How long a gateway process may take to start answering: a wait for liveness (it ends as
# soon as it answers, or the process exits), long enough for a machine under load.
READY_WITHIN = 300.0


def wait_ready(port: int, process: subprocess.Popen[str], seconds: float = READY_WITHIN) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"the server on port {port} never became ready")
