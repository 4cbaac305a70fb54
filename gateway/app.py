"""The HTTP side: the application factory and the JSON-RPC endpoint.

The endpoint reads bytes, hands them to the envelope, writes the parts back (streaming any
long list as it is produced) and logs one line. It knows nothing of customers.
"""

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO

import asyncpg
from aiohttp import web

from gateway import operations, pages, rest
from gateway.access_log import AccessLog
from gateway.api import METHODS_BY_NAME, Services
from gateway.auth.passwords import SecretHasher
from gateway.cors import enable_cors
from gateway.database import create_pool, database_url, upgrade
from gateway.deadlines import Deadlines
from gateway.exchange import ACCESS_LOG, METRICS, SERVICES, exchange
from gateway.jsonrpc import JsonStream, Part, encode, handle
from gateway.metrics import Metrics
from gateway.settings import Settings

__all__ = ["SERVICES", "create_app"]


_JSON = "application/json"


def create_app(
    settings: Settings, pool: asyncpg.Pool | None = None, access_log: BinaryIO | None = None
) -> web.Application:
    """The gateway; with ``pool`` given (tests do), it uses that pool and leaves it open. The
    request log goes to ``access_log`` (standard error unless given)."""
    app = web.Application(client_max_size=settings.max_body)
    app.cleanup_ctx.append(_lifetime(settings, pool))
    app.router.add_post("/api/jsonrpc", jsonrpc_endpoint)
    app.router.add_post("/api/jsonrpc/", jsonrpc_endpoint)
    rest.add_routes(app)
    operations.add_routes(app)
    pages.add_routes(app)
    app[METRICS] = Metrics()
    app[ACCESS_LOG] = AccessLog(
        access_log or sys.stderr.buffer,
        enabled=logging.getLevelName(settings.log_level.upper()) <= logging.INFO,
    )
    # Last: CORS attaches itself to every route there is.
    enable_cors(app, settings.cors_origins)
    return app


def _lifetime(
    settings: Settings, given_pool: asyncpg.Pool | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        pool = given_pool
        if pool is None:
            url = await asyncio.to_thread(database_url, settings)
            pool = await create_pool(settings, url)
        try:
            if settings.migrate_on_start:
                async with pool.acquire() as connection:
                    await upgrade(connection)
            app[SERVICES] = Services(
                settings,
                pool,
                SecretHasher(settings.hash_concurrency),
                Deadlines(settings.call_deadline),
            )
            yield
        finally:
            app[ACCESS_LOG].flush()
            if given_pool is None:
                await pool.close()

    return lifetime


async def jsonrpc_endpoint(request: web.Request) -> web.StreamResponse:
    async with exchange(request, "jsonrpc") as current:
        ctx = current.context
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            current.status = 413
            too_large = {
                "jsonrpc": "2.0",
                "error": {"code": -32600, "message": "Request body too large"},
                "id": None,
            }
            return web.Response(status=413, body=encode(too_large)[0], content_type=_JSON)
        parts = await handle(
            body,
            METHODS_BY_NAME,
            ctx,
            max_batch=ctx.services.settings.max_batch,
            request_id_of_log=ctx.request_id,
        )
        if parts is None:
            current.status = 204
            return web.Response(status=204)
        if len(parts) == 1 and type(parts[0]) is bytes:
            return web.Response(body=parts[0], content_type=_JSON)
        return await _stream(request, parts)


async def _stream(request: web.Request, parts: list[Part]) -> web.StreamResponse:
    """Write a response with long lists in it as they are produced, in chunks."""
    response = web.StreamResponse(headers={"Content-Type": _JSON})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for part in parts:
        if isinstance(part, JsonStream):
            # aclosing: a client that goes away still ends the stream's transaction.
            async with contextlib.aclosing(part.chunks) as chunks:
                async for chunk in chunks:
                    await response.write(chunk)
        else:
            await response.write(part)
    await response.write_eof()
    return response
