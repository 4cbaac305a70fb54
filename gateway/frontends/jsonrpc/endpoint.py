"""The JSON-RPC front-end over HTTP: ``POST /api/jsonrpc`` and the OpenRPC document.

The endpoint reads the body, hands it to the envelope, and writes the parts back, streaming
any long list as it is read from the database.
"""

import contextlib
import re
from typing import Any

from aiohttp import web

from gateway.core.context import RequestContext
from gateway.frontends.jsonrpc.envelope import Part, encode, handle
from gateway.frontends.jsonrpc.methods import TOP_LEVEL, methods_table
from gateway.frontends.jsonrpc.openrpc import openrpc_document
from gateway.http.exchange import exchange
from gateway.resources import FAULTS, RESOURCES
from gateway.resources.kit import RowStream

__all__ = ["METHOD_NAMES", "add_routes"]

_JSON = "application/json"
_BATCH = re.compile(rb"\s*\[")

_DOCUMENT = openrpc_document(TOP_LEVEL, RESOURCES, FAULTS)


async def _discover(ctx: RequestContext) -> dict[str, Any]:
    return _DOCUMENT


_METHODS = methods_table({"rpc.discover": _discover})
METHOD_NAMES = frozenset(_METHODS)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/jsonrpc", jsonrpc_endpoint)
    app.router.add_post("/api/jsonrpc/", jsonrpc_endpoint)
    app.router.add_get("/api/openrpc.json", openrpc_json)


async def openrpc_json(request: web.Request) -> web.Response:
    return web.json_response(_DOCUMENT)


async def jsonrpc_endpoint(request: web.Request) -> web.StreamResponse:
    async with exchange(request, "jsonrpc") as current:
        ctx = current.context
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            too_large = {
                "jsonrpc": "2.0",
                "error": {"code": -32600, "message": "Request body too large"},
                "id": None,
            }
            return web.Response(status=413, body=encode(too_large)[0], content_type=_JSON)
        ctx.may_stream = _BATCH.match(body) is None  # one call, not a batch
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


async def _stream(
    request: web.Request, ctx: RequestContext, parts: list[Part]
) -> web.StreamResponse:
    """Write a response with long lists in it as they are read, a chunk at a time."""
    response = web.StreamResponse(headers={"Content-Type": _JSON})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for part in parts:
        if isinstance(part, RowStream):
            await _write_rows(response, ctx, part)
        else:
            await response.write(part)
    await response.write_eof()
    return response


async def _write_rows(response: web.StreamResponse, ctx: RequestContext, rows: RowStream) -> None:
    await response.write(b"[")
    separator = b""
    # aclosing: a client that goes away still ends the stream's transaction.
    async with contextlib.aclosing(rows.chunks(await ctx.connection())) as chunks:
        async for chunk in chunks:
            await response.write(separator + ",".join(chunk).encode())
            separator = b","
    await response.write(b"]")
