"""What operators probe: liveness, readiness and Prometheus metrics."""

import asyncio

import asyncpg
from aiohttp import web

from gateway.http.exchange import METRICS, SERVICES

__all__ = ["add_routes"]


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and serving HTTP."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database answers; 503 while it does not."""
    pool = request.app[SERVICES].pool
    try:
        async with asyncio.timeout(2):
            async with pool.acquire() as connection:
                await connection.fetchval("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    return request.app[METRICS].render(request.app[SERVICES].pool)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
