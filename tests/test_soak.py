"""The soak: a gateway process under a steady, bounded mix of reads, writes, lists, logins and
ended sessions for ``GATEWAY_SOAK_SECONDS`` (600 in `make soak`). Its memory must level off
(RSS at most 5 % above what it was after the warm-up) and every write must be stored exactly
once. Run by `make soak` only (marker ``soak``): its figures go in docs/reliability.md."""

import asyncio
import itertools
import os
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from gateway.auth import users
from gateway.client import GatewayClient, GatewayFault
from tests.conftest import TEST_KEY
from tests.helpers import ADDRESS
from tests.processes import free_port, start_gateway, wait_ready

pytestmark = [pytest.mark.soak, pytest.mark.slow]

SECONDS = float(os.environ.get("GATEWAY_SOAK_SECONDS", "600"))
WARM_UP = min(60.0, SECONDS / 5)
RATE = 200  # calls per second, all clients together
CLIENTS = 8


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Load:
    """What the clients did: calls by kind, faults, and the writes acknowledged."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.customers: dict[str, int] = {}  # email -> id, as acknowledged
        self.addresses: dict[str, int] = {}  # company -> id, as acknowledged
        self.serial = itertools.count(1)

    async def one_call(self, gw: GatewayClient) -> None:
        kind = random.choices(
            ["info", "list", "groups", "regions", "create", "update", "address"],
            weights=[40, 15, 5, 5, 10, 15, 10],
        )[0]
        self.calls[kind] += 1
        known = list(self.customers.values())
        try:
            if kind == "info" and known:
                await gw.call("customer.info", random.choice(known))
            elif kind == "list":
                await gw.call("customer.list", {"group_id": 1}, None, {"limit": 50})
            elif kind == "groups":
                await gw.call("customer_group.list")
            elif kind == "regions":
                await gw.call("directory_region.list", random.choice(["US", "DE", "GB"]))
            elif kind == "create" or not known:
                n = next(self.serial)
                email = f"soak{n}@example.com"
                data = {"email": email, "firstname": "S", "lastname": str(n), "website_id": 1}
                self.customers[email] = await gw.call("customer.create", data)
            elif kind == "update":
                await gw.call("customer.update", random.choice(known), {"lastname": "Updated"})
            else:
                company = f"soak-address-{next(self.serial)}"
                address = {**ADDRESS, "company": company}
                created = await gw.call("customer_address.create", random.choice(known), address)
                self.addresses[company] = created
        except GatewayFault as fault:
            self.faults[fault.fault or str(fault.code)] += 1


async def client(url: str, load: Load, until: float, period: float, offset: float) -> None:
    """Calls at ``1/period`` per second; every 200 calls, a new session (login, endSession).
    Clients start ``offset`` apart, as their logins then do: more than
    GATEWAY_LOGIN_MAX_FAILURES logins of one user from one address at the same instant are
    refused (each is counted before its key is checked)."""
    await asyncio.sleep(offset)
    while time.monotonic() < until:
        async with GatewayClient(url, "soak", TEST_KEY) as gw:
            load.calls["login"] += 1
            for _ in range(200):
                started = time.monotonic()
                if started >= until:
                    break
                await load.one_call(gw)
                await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))
        load.calls["endSession"] += 1


async def test_a_long_mixed_load_levels_off_and_loses_no_write(
    fresh_database: Callable[[], str], test_key_hash: str
) -> None:
    database = fresh_database()
    connection = await asyncpg.connect(database)
    await users.add_user(connection, "soak", test_key_hash, ["all"])
    port = free_port()
    process = start_gateway(database, port, output=subprocess.DEVNULL)
    load = Load()
    samples: list[tuple[float, int]] = []
    try:
        await asyncio.to_thread(wait_ready, port, process)
        url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        until = started + SECONDS
        clients = [
            asyncio.create_task(client(url, load, until, CLIENTS / RATE, n * 0.5))
            for n in range(CLIENTS)
        ]
        while not all(c.done() for c in clients):
            samples.append((time.monotonic() - started, rss_kib(process.pid)))
            await asyncio.sleep(5)
        await asyncio.gather(*clients)
        samples.append((time.monotonic() - started, rss_kib(process.pid)))
    finally:
        process.terminate()
        await asyncio.to_thread(process.communicate, timeout=30)

    stored_customers = dict(
        await connection.fetch("SELECT email, customer_id FROM customer WHERE email LIKE 'soak%'")
    )
    rows = await connection.fetch(
        "SELECT company, count(*), min(address_id) FROM customer_address GROUP BY company"
    )
    await connection.close()
    duplicated = [company for company, count, _ in rows if count != 1]
    stored_addresses = {company: first for company, _, first in rows}
    lost = set(load.customers.items()) - set(stored_customers.items())
    lost |= set(load.addresses.items()) - set(stored_addresses.items())
    unacknowledged = len(stored_customers) - len(load.customers)
    unacknowledged += len(stored_addresses) - len(load.addresses)

    after_warm_up = next(rss for at, rss in samples if at >= WARM_UP)
    final = samples[-1][1]
    growth = (final - after_warm_up) / after_warm_up
    calls = sum(load.calls.values())
    print(
        f"\nsoak: {SECONDS:.0f} s at {RATE} calls/s: {calls} calls"
        f" ({', '.join(f'{n} {k}' for k, n in sorted(load.calls.items()))});"
        f" faults {dict(load.faults) or 0};"
        f" RSS {after_warm_up / 1024:.1f} MB after {WARM_UP:.0f} s warm-up,"
        f" {max(r for _, r in samples) / 1024:.1f} MB at most, {final / 1024:.1f} MB at the end"
        f" ({growth:+.1%}); {len(load.customers)} customers and {len(load.addresses)} addresses"
        f" written: {len(lost)} lost, {len(duplicated)} duplicated, {unacknowledged} stored"
        " but not acknowledged"
    )
    assert not lost and not duplicated and unacknowledged == 0
    assert not load.faults
    assert growth <= 0.05
