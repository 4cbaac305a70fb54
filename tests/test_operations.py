"""Migrations, the command line, and servers starting together, as an operator runs them."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from gateway.database import SCHEMA_DIR, create_pool, upgrade
from tests.conftest import make_settings
from tests.processes import free_port, post, start_gateway, wait_ready

pytestmark = pytest.mark.slow

Fresh = Callable[[], str]


def gateway(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
        timeout=120,
        check=False,
    )


async def test_applying_migrations_twice_changes_nothing(fresh_database: Fresh) -> None:
    connection = await asyncpg.connect(fresh_database())
    try:
        before = await connection.fetch("SELECT name, applied_at FROM schema_migration")
        counts = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM directory_country) AS countries,"
            " (SELECT count(*) FROM directory_region) AS regions,"
            " (SELECT count(*) FROM core_store) AS stores"
        )
        assert await upgrade(connection) == []
        assert await connection.fetch("SELECT name, applied_at FROM schema_migration") == before
        assert (
            await connection.fetchrow(
                "SELECT (SELECT count(*) FROM directory_country) AS countries,"
                " (SELECT count(*) FROM directory_region) AS regions,"
                " (SELECT count(*) FROM core_store) AS stores"
            )
            == counts
        )
        assert counts["regions"] == 484
        assert len(before) == len(list(SCHEMA_DIR.glob("*.sql")))
    finally:
        await connection.close()


async def test_regions_keep_magento_ids(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT region_id, country_id, code, name FROM directory_region"
            " WHERE region_id IN (12, 39, 43) ORDER BY region_id"
        )
    finally:
        await connection.close()
    assert [tuple(r) for r in rows] == [
        (12, "US", "CA", "California"),
        (39, "US", "NV", "Nevada"),
        (43, "US", "NY", "New York"),
    ]


def test_db_upgrade_command(fresh_database: Fresh) -> None:
    url = fresh_database()
    done = gateway(url, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "schema is up to date" in done.stdout


def test_user_commands(fresh_database: Fresh) -> None:
    url = fresh_database()
    added = gateway(
        url,
        "user",
        "add",
        "bot",
        "--api-key",
        "-",
        "--allow",
        "customer/info",
        stdin="bot-key-123\n",
    )
    assert added.returncode == 0, added.stderr
    imported = gateway(
        url,
        "user",
        "add",
        "old",
        "--api-key-hash",
        "cccfb3ecf54c9644a34106783148eff2:sp",
        "--allow",
        "all",
    )
    assert imported.returncode == 0, imported.stderr
    assert gateway(url, "user", "add", "bot", "--api-key", "x").returncode == 1
    assert gateway(url, "user", "add", "x", "--api-key", "k", "--allow", "cust").returncode == 2
    assert gateway(url, "user", "add", "x", "--api-key-hash", "plain").returncode == 2
    assert gateway(url, "user", "disable", "bot").returncode == 0
    listing = gateway(url, "user", "list").stdout.splitlines()
    assert listing == ["bot\tdisabled\tcustomer/info", "old\tactive\tall"]
    assert gateway(url, "user", "remove", "old").returncode == 0
    assert gateway(url, "user", "remove", "old").returncode == 1
    assert "bot-key-123" not in added.stdout + added.stderr


def test_two_servers_starting_together_both_come_up(fresh_database: Fresh) -> None:
    # A database with nothing in it: both processes migrate it and race for the first user.
    url = fresh_database()

    async def empty_it() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            await connection.close()

    asyncio.run(empty_it())
    ports = [free_port(), free_port()]
    servers = [start_gateway(url, port) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_ready(port, server)
        answers = [
            post(port, {"jsonrpc": "2.0", "method": "login", "params": ["admin", "x"], "id": 1})
            for port in ports
        ]
        assert [a["error"]["data"]["fault"] for a in answers] == ["access_denied"] * 2
    finally:
        for server in servers:
            server.terminate()
        outputs = [server.communicate(timeout=30)[0] for server in servers]
    # Exactly one of them created the first user and showed its key.
    assert sum("shown only this once" in out for out in outputs) == 1


def test_workers_share_one_port_and_stop_together(fresh_database: Fresh) -> None:
    url = fresh_database()
    port = free_port()
    server = start_gateway(url, port, "--workers", "2")
    try:
        wait_ready(port, server)
        key = ""
        deadline = time.monotonic() + 10
        while not key and time.monotonic() < deadline:
            # The key line is printed before the workers start.
            line = server.stdout.readline() if server.stdout else ""
            if "shown only this once" in line:
                key = line.rsplit(" ", 1)[-1].strip()
        session = post(
            port, {"jsonrpc": "2.0", "method": "login", "params": ["admin", key], "id": 1}
        )
        for n in range(20):
            answer = post(
                port,
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": n,
                    "params": [session["result"], "customer_group.list"],
                },
            )
            assert len(answer["result"]) == 4
        workers = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(workers) == 2
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert server.returncode == 0


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``, now."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.add(int(stat.parent.name))
    return children


def _gone(pids: set[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("after", [0.0, 0.3, 0.8, 1.5])
def test_a_stop_while_the_workers_start_ends_every_process(
    fresh_database: Fresh, after: float
) -> None:
    server = start_gateway(fresh_database(), free_port(), "--workers", "2")
    workers: set[int] = set()
    try:
        while True:
            # The key line is printed just before the workers are forked.
            line = server.stdout.readline() if server.stdout else ""
            if "shown only this once" in line or not line:
                break
        stop_at = time.monotonic() + after
        while time.monotonic() < stop_at:
            workers |= _children(server.pid)
            time.sleep(0.02)
        server.terminate()
        server.communicate(timeout=120)  # a bound on a hung stop, not on a slow one
    finally:
        server.kill()
    assert server.returncode == 0
    assert _gone(workers, 30), "a worker outlived its master"


def test_workers_end_when_their_master_dies(fresh_database: Fresh) -> None:
    port = free_port()
    server = start_gateway(fresh_database(), port, "--workers", "2")
    try:
        wait_ready(port, server)
        deadline = time.monotonic() + 60
        while len(workers := _children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 2
    finally:
        server.kill()  # kill -9: the master has no chance to stop them
        server.communicate(timeout=30)
    assert _gone(workers, 60), "a worker outlived its master"


def test_shutdown_finishes_requests_in_flight(fresh_database: Fresh) -> None:
    url = fresh_database()
    port = free_port()
    # Each failed login is answered after GATEWAY_LOGIN_SLOWDOWN seconds: a slow request.
    server = start_gateway(url, port, env={"GATEWAY_LOGIN_SLOWDOWN": "2"})
    try:
        wait_ready(port, server)
        with ThreadPoolExecutor(1) as thread:
            slow = thread.submit(
                post, port, {"jsonrpc": "2.0", "method": "login", "params": ["a", "b"], "id": 1}
            )
            time.sleep(0.8)
            server.send_signal(signal.SIGTERM)
            answer = slow.result(timeout=30)
        assert answer["error"]["data"]["fault"] == "access_denied"
        server.communicate(timeout=30)  # it stops by itself once the answer is out
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0


async def test_idle_pool_connections_close_only_when_asked(database_url: str) -> None:
    async def same_connection_after_idling(max_idle: float) -> bool:
        pool = await create_pool(
            make_settings(database_url, pool_min_size=0, pool_max_idle=max_idle), database_url
        )
        try:
            before = await pool.fetchval("SELECT pg_backend_pid()")
            await asyncio.sleep(1.0)
            return bool(await pool.fetchval("SELECT pg_backend_pid()") == before)
        finally:
            await pool.close()

    assert await same_connection_after_idling(0), "by default an idle connection stays open"
    assert not await same_connection_after_idling(0.2), "GATEWAY_POOL_MAX_IDLE closes it"


def _embedded(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
        env={**env, "GATEWAY_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _postmaster(data_dir: Path) -> int | None:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().split()[0])
    return pid if Path(f"/proc/{pid}").exists() else None


def test_the_embedded_database_stops_with_the_gateway_after_a_kill_and_restart(
    tmp_path: Path,
) -> None:
    port = free_port()
    first = _embedded(tmp_path, port)
    wait_ready(port, first)
    first.kill()  # kill -9: no clean-up at all
    first.wait(timeout=30)
    assert _postmaster(tmp_path) is not None  # the database outlived it, as it may
    second = _embedded(tmp_path, port)
    wait_ready(port, second)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=60) == 0
    deadline = time.monotonic() + 10
    while _postmaster(tmp_path) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _postmaster(tmp_path) is None


async def test_emails_stored_before_the_folding_rule_are_folded_and_collisions_marked(
    fresh_database: Fresh,
) -> None:
    connection = await asyncpg.connect(fresh_database())
    try:
        # The database as it was before migration 013, with customers it let in.
        await connection.execute(
            "DROP INDEX customer_email_key_per_website;"
            " DROP TRIGGER customer_email_key ON customer;"
            " DROP FUNCTION customer_email_key();"
            " ALTER TABLE customer DROP COLUMN email_key;"
            " CREATE UNIQUE INDEX customer_email_per_website"
            " ON customer (website_id, lower(email));"
            " DELETE FROM schema_migration WHERE name = '013_email_keys.sql'"
        )
        emails = [
            "stra\u00dfe@example.com",
            "STRASSE@example.com",
            "\uff46\uff55\uff4c\uff4c@example.com",  # fullwidth
            "full@example.com",
            "plain@example.com",
        ]
        for email in emails:
            await connection.execute(
                "INSERT INTO customer (website_id, store_id, group_id, email, firstname,"
                " lastname) VALUES (1, 1, 1, $1, 'F', 'L')",
                email,
            )
        assert await upgrade(connection) == ["013_email_keys.sql"]
        keys = dict(await connection.fetch("SELECT email, email_key FROM customer"))
    finally:
        await connection.close()
    assert keys["plain@example.com"] == "plain@example.com"
    # Every email kept; of each colliding pair, one holds the key, the other a marked one.
    for pair, key in (
        (emails[:2], "strasse@example.com"),
        (emails[2:4], "full@example.com"),
    ):
        assert sorted(keys[email] == key for email in pair) == [False, True], keys
        marked = next(keys[email] for email in pair if keys[email] != key)
        assert marked.startswith(key + "\n")
