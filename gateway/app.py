"""The application: every front-end and HTTP service wired onto the core, and the services
(database pool, hasher, deadlines) opened and closed with the application."""

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO

import asyncpg
from aiohttp import web

from gateway.core.context import Services
from gateway.database import (
    connect_directly,
    create_pool,
    database_url,
    directly_connected,
    upgrade,
)
from gateway.frontends.jsonrpc import endpoint as jsonrpc
from gateway.frontends.rest import routes as rest
from gateway.frontends.soap import endpoint as soap
from gateway.http import operations, pages
from gateway.http.access_log import AccessLog
from gateway.http.bodies import HANDLER_ARGS
from gateway.http.cors import enable_cors, refuse_foreign_origins
from gateway.http.exchange import ACCESS_LOG, METRICS, SERVICES, account
from gateway.http.metrics import Metrics
from gateway.http.proxies import behind_proxies
from gateway.resources import METHODS
from gateway.settings import Settings

__all__ = ["LISTENER_NAME", "create_app"]

# The notice listener's connection (gateway.notices), as pg_stat_activity names it.
LISTENER_NAME = "customer-gateway listener"


def create_app(
    settings: Settings, pool: asyncpg.Pool | None = None, access_log: BinaryIO | None = None
) -> web.Application:
    """The gateway; with ``pool`` given (tests do), it uses that pool and leaves it open. The
    request log goes to ``access_log`` (standard error unless given)."""
    app = web.Application(
        client_max_size=settings.max_body,
        # The proxies' word first: the log, the throttle and the origin check see the client.
        middlewares=[behind_proxies(settings.trusted_networks), account, refuse_foreign_origins],
        handler_args=HANDLER_ARGS,
    )
    app.cleanup_ctx.append(_lifetime(settings, pool))
    jsonrpc.add_routes(app)
    rest.add_routes(app)
    soap.add_routes(app)
    operations.add_routes(app)
    pages.add_routes(app)
    app[METRICS] = Metrics(
        methods=jsonrpc.METHOD_NAMES | rest.OPERATIONS | soap.OPERATION_NAMES,
        api_paths=frozenset(METHODS),
    )
    app[ACCESS_LOG] = AccessLog(
        access_log or sys.stderr.buffer,
        enabled=logging.getLevelName(settings.log_level.upper()) <= logging.INFO,
    )
    # Last: CORS attaches itself to every route there is.
    enable_cors(app, settings.cors_origins)
    return app


async def _migrate(settings: Settings, pool: asyncpg.Pool) -> None:
    """Apply the schema: through PostgreSQL's own URL when behind a pooler (migrations hold a
    session-level lock), else on a pooled connection."""
    if settings.direct_database_url:
        async with directly_connected(settings, settings.direct_database_url) as connection:
            await upgrade(connection)
        return
    async with pool.acquire() as connection:
        await upgrade(connection)


def _lifetime(
    settings: Settings, given_pool: asyncpg.Pool | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        pool = given_pool
        url = settings.database_url
        if pool is None:
            url = await asyncio.to_thread(database_url, settings)
            pool = await create_pool(settings, url)
        services = None
        try:
            if settings.migrate_on_start:
                await _migrate(settings, pool)
            services = app[SERVICES] = Services.open(settings, pool)
            listen_url = settings.direct_database_url or url
            if listen_url:
                services.listener.start(
                    lambda: connect_directly(settings, listen_url, LISTENER_NAME)
                )
            yield
        finally:
            if services is not None:
                await services.listener.stop()
            app[ACCESS_LOG].flush()
            if given_pool is None:
                await pool.close()

    return lifetime
