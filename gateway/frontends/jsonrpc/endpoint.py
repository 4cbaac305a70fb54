"""The JSON-RPC front-end over HTTP: ``POST /api/jsonrpc`` and the OpenRPC document.

The endpoint reads the body, hands it to the envelope, and writes the parts back, streaming
any long list as it is read from the database.
"""

import asyncio
import contextlib
import logging
import re
from contextvars import ContextVar
from typing import Any

from aiohttp import web
from jsonrpcserver.codes import ERROR_INVALID_REQUEST

from gateway.core.api import API
from gateway.core.context import RequestContext, Services
from gateway.core.streams import stream_rows
from gateway.faults import FaultError
from gateway.frontends.jsonrpc.envelope import Part, encode, handle
from gateway.frontends.jsonrpc.methods import TOP_LEVEL, methods_table
from gateway.frontends.jsonrpc.openrpc import openrpc_document, served_at
from gateway.frontends.rendering import rpc_error
from gateway.http.bodies import BodyRefused
from gateway.http.exchange import SERVICES
from gateway.http.pipeline import Codec, serve
from gateway.http.urls import public_url
from gateway.resources import RESOURCES
from gateway.resources.kit import RowStream

__all__ = ["METHOD_NAMES", "add_routes"]

log = logging.getLogger(__name__)

_JSON = "application/json"
_BATCH = re.compile(rb"\s*\[")

_TOP_LEVEL_API = {name: API[name] for name in TOP_LEVEL}


async def _document(services: Services) -> dict[str, Any]:
    """The OpenRPC document as the shop's custom attributes are now (made once for them)."""
    definitions = await services.definitions.read_with(services.pool)
    document: dict[str, Any] | None = definitions.memo.get("openrpc")
    if document is None:
        document = definitions.memo["openrpc"] = openrpc_document(
            _TOP_LEVEL_API, RESOURCES, definitions
        )
    return document


_ENDPOINT = "/api/jsonrpc"
# The request being answered, for rpc.discover to name the endpoint's absolute URL (built
# only then: few calls need it).
_REQUEST: ContextVar[web.Request] = ContextVar("request")


async def _discover(ctx: RequestContext) -> dict[str, Any]:
    return served_at(await _document(ctx.services), public_url(_REQUEST.get(), _ENDPOINT))


_METHODS = methods_table({"rpc.discover": _discover})
METHOD_NAMES = frozenset(_METHODS)


def add_routes(app: web.Application) -> None:
    app.router.add_post(_ENDPOINT, jsonrpc_endpoint)
    app.router.add_post(_ENDPOINT + "/", jsonrpc_endpoint)
    app.router.add_get("/api/openrpc.json", openrpc_json)


async def openrpc_json(request: web.Request) -> web.Response:
    document = await _document(request.app[SERVICES])
    return web.json_response(served_at(document, public_url(request, _ENDPOINT)))


async def _answer(request: web.Request, ctx: RequestContext, body: bytes) -> web.StreamResponse:
    ctx.may_stream = _BATCH.match(body) is None  # one call, not a batch
    _REQUEST.set(request)
    parts = await handle(
        body,
        _METHODS,
        ctx,
        max_batch=ctx.services.settings.max_batch,
        request_id_of_log=ctx.request_id,
    )
    if parts is None:
        return web.Response(status=204)
    if len(parts) == 1 and type(parts[0]) is bytes:
        return web.Response(body=parts[0], content_type=_JSON)
    return await _stream(request, ctx, parts)


def _refused(request: web.Request, refused: BodyRefused) -> web.Response:
    error = {"code": ERROR_INVALID_REQUEST, "message": refused.message}
    answer = encode({"jsonrpc": "2.0", "error": error, "id": None})[0]
    return web.Response(status=refused.status, body=answer, content_type=_JSON)


def _unkept(request: web.Request, error: FaultError) -> web.Response:
    failed = {"jsonrpc": "2.0", "error": rpc_error(error), "id": None}
    return web.Response(body=encode(failed)[0], content_type=_JSON)


_CODEC = Codec("jsonrpc", _answer, _refused, _unkept)


async def jsonrpc_endpoint(request: web.Request) -> web.StreamResponse:
    return await serve(request, _CODEC)


async def _stream(
    request: web.Request, ctx: RequestContext, parts: list[Part]
) -> web.StreamResponse:
    """Write a response with long lists in it as they are read, a chunk at a time. A client
    that takes a chunk slower than ``GATEWAY_WRITE_TIMEOUT``, or a database that fails
    halfway, ends the response cut short (never a shorter list that parses)."""
    response = web.StreamResponse(headers={"Content-Type": _JSON})
    response.enable_chunked_encoding()
    await response.prepare(request)
    write_timeout = ctx.services.settings.write_timeout
    try:
        for part in parts:
            if not isinstance(part, RowStream):
                await response.write(part)
                continue
            await response.write(b"[")
            separator = b""
            # aclosing: a stream cut short still ends its transaction and gives back its
            # connection at once.
            async with contextlib.aclosing(stream_rows(ctx, part)) as chunks:
                async for chunk in chunks:
                    async with asyncio.timeout(write_timeout):
                        await response.write(separator + ",".join(chunk).encode())
                    separator = b","
            await response.write(b"]")
        await response.write_eof()
    except Exception as exc:
        log.warning(
            "stream cut short",
            extra={"request_id": ctx.request_id, "error": type(exc).__name__},
        )
        response.force_close()
        if request.transport is not None:
            request.transport.abort()
    return response
