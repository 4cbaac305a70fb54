"""The steps every API endpoint shares, once: the request context the core runs with, the
body read whole and bounded (``gateway.http.bodies``), the ``Idempotency-Key`` handed to the
core with the request's digest, a stored answer replayed, the answer of a request that claimed
its key kept with its writes, and the context's connection given back at the end.

A front-end is a ``Codec``: how its wire answers a refused body, a request, and a fault
met while keeping the answer. An endpoint is then ``serve(request, codec)``."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from gateway.core import idempotency
from gateway.core.context import RequestContext
from gateway.core.idempotency import KeyedRequest, Replay, StoredAnswer
from gateway.faults import FaultError
from gateway.http.bodies import BodyRefused, read_body
from gateway.http.exchange import SERVICES, book, replayed, request_id

__all__ = ["Codec", "serve"]

# The headers of an answer that are part of it, kept with it for a replay.
_KEPT_HEADERS = frozenset({"Location", "Retry-After"})


def _always(_: web.Request) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Codec:
    """A wire: ``name`` (its endpoint in the metrics), ``answer`` (the request, its context
    and body to the response), ``refused`` (a body too large, too slow or unreadable, as its
    error), ``unkept`` (a fault met while keeping a keyed answer: nothing was written), and
    ``has_body`` (whether this request's body is read at all)."""

    name: str
    answer: Callable[[web.Request, RequestContext, bytes], Awaitable[web.StreamResponse]]
    refused: Callable[[web.Request, BodyRefused], web.Response]
    unkept: Callable[[web.Request, FaultError], web.Response]
    has_body: Callable[[web.Request], bool] = _always


async def serve(request: web.Request, codec: Codec) -> web.StreamResponse:
    ctx = RequestContext(
        request.app[SERVICES],
        request_id=request_id(request),
        client_address=request.remote,
        authorization=request.headers.get("Authorization"),
    )
    book(request, codec.name, ctx.calls)
    try:
        try:
            body = await read_body(request) if codec.has_body(request) else b""
        except BodyRefused as refused:
            response = codec.refused(request, refused)
            response.force_close()  # the rest of the body may still be on its way
            return response
        _expect_key(request, ctx, body)
        try:
            answered = await codec.answer(request, ctx, body)
        except Replay as replay:
            ctx.note(replayed=True)
            return replayed(replay)
        if not isinstance(answered, web.Response):
            return answered  # streamed: a read of a single call, which never claims a key
        return await _keep(request, ctx, answered, codec)
    finally:
        await ctx.close()


def _expect_key(request: web.Request, ctx: RequestContext, body: bytes) -> None:
    """Hand the request's ``Idempotency-Key``, if it has one, to the core with the digest of
    the request (method, path and query, body): its first write will claim it."""
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        digest = idempotency.request_digest(request.method.encode(), request.path_qs.encode(), body)
        ctx.keyed = KeyedRequest(key, digest)


async def _keep(
    request: web.Request, ctx: RequestContext, response: web.Response, codec: Codec
) -> web.Response:
    """What to send. For a request that claimed its key: ``response``, stored and committed
    with the request's writes; should that fail, nothing was written, and the answer is the
    fault in the wire's form: retryable, or ``limit_exceeded`` for an answer too large to
    keep."""
    keyed = ctx.keyed
    if keyed is None or not keyed.claimed:
        return response
    content_type = response.content_type
    if response.charset:
        content_type += f"; charset={response.charset}"
    body = response.body if isinstance(response.body, bytes) else b""
    headers = {str(k): v for k, v in response.headers.items() if k in _KEPT_HEADERS}
    try:
        await ctx.keep_answer(StoredAnswer(response.status, content_type, headers, body))
    except FaultError as error:
        return codec.unkept(request, error)
    except Exception as exc:
        return codec.unkept(request, ctx.fault_for(exc))
    return response
