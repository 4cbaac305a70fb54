"""What operators probe: liveness, readiness and Prometheus metrics."""

import asyncio

import asyncpg
from aiohttp import web

from gateway.http.exchange import METRICS, SERVICES

__all__ = ["add_routes"]


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and serving HTTP."""
    return web.json_response({"status": "ok"})


_READY_TIMEOUT = 2.0


async def readyz(request: web.Request) -> web.Response:
    """The database answers within two seconds; 503 while it does not."""
    pool = request.app[SERVICES].pool
    connection: asyncpg.Connection | None = None
    ready = False
    try:
        async with asyncio.timeout(_READY_TIMEOUT):
            connection = await pool.acquire()
            await connection.fetchval("SELECT 1")
        ready = True
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        if connection is not None:
            # Given back as it is, the pool would wait for a server that does not answer.
            connection.terminate()
    finally:
        if connection is not None:
            await pool.release(connection)
    if not ready:
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    return request.app[METRICS].render(request.app[SERVICES].pool)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
