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

from gateway.core.context import RequestContext
from gateway.core.idempotency import Replay
from gateway.core.streams import stream_rows
from gateway.faults import FaultError
from gateway.frontends.jsonrpc.envelope import Part, encode, handle
from gateway.frontends.jsonrpc.methods import TOP_LEVEL, methods_table
from gateway.frontends.jsonrpc.openrpc import openrpc_document, served_at
from gateway.frontends.rendering import rpc_error
from gateway.http.bodies import BodyRefused, read_body
from gateway.http.exchange import exchange, replayed
from gateway.http.urls import public_url
from gateway.resources import FAULTS, RESOURCES
from gateway.resources.kit import RowStream

__all__ = ["METHOD_NAMES", "add_routes"]

log = logging.getLogger(__name__)

_JSON = "application/json"
_BATCH = re.compile(rb"\s*\[")

_DOCUMENT = openrpc_document(TOP_LEVEL, RESOURCES, FAULTS)
_ENDPOINT = "/api/jsonrpc"
# The request being answered, for rpc.discover to name the endpoint's absolute URL (built
# only then: few calls need it).
_REQUEST: ContextVar[web.Request] = ContextVar("request")


async def _discover(ctx: RequestContext) -> dict[str, Any]:
    return served_at(_DOCUMENT, public_url(_REQUEST.get(), _ENDPOINT))


_METHODS = methods_table({"rpc.discover": _discover})
METHOD_NAMES = frozenset(_METHODS)


def add_routes(app: web.Application) -> None:
    app.router.add_post(_ENDPOINT, jsonrpc_endpoint)
    app.router.add_post(_ENDPOINT + "/", jsonrpc_endpoint)
    app.router.add_get("/api/openrpc.json", openrpc_json)


async def openrpc_json(request: web.Request) -> web.Response:
    return web.json_response(served_at(_DOCUMENT, public_url(request, _ENDPOINT)))


async def jsonrpc_endpoint(request: web.Request) -> web.StreamResponse:
    async with exchange(request, "jsonrpc") as current:
        ctx = current.context
        try:
            body = await read_body(request)
        except BodyRefused as refused:
            error = {"code": ERROR_INVALID_REQUEST, "message": refused.message}
            answer = encode({"jsonrpc": "2.0", "error": error, "id": None})[0]
            response = web.Response(status=refused.status, body=answer, content_type=_JSON)
            response.force_close()  # the rest of the body may still be on its way
            return response
        current.expect_key(body)
        ctx.may_stream = _BATCH.match(body) is None  # one call, not a batch
        _REQUEST.set(request)
        try:
            parts = await handle(
                body,
                _METHODS,
                ctx,
                max_batch=ctx.services.settings.max_batch,
                request_id_of_log=ctx.request_id,
            )
        except Replay as replay:
            return replayed(replay)
        if parts is None:
            response = web.Response(status=204)
        elif len(parts) == 1 and type(parts[0]) is bytes:
            response = web.Response(body=parts[0], content_type=_JSON)
        else:
            # A streamed list is a read of a single call: it never claims a key.
            return await _stream(request, ctx, parts)
        return await current.keep(response, _unkept)


def _unkept(error: FaultError) -> web.Response:
    failed = {"jsonrpc": "2.0", "error": rpc_error(error), "id": None}
    return web.Response(body=encode(failed)[0], content_type=_JSON)


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
