"""Every HTTP request, whatever answers it (an API endpoint, the page, a CORS preflight, a 405),
gets a request id, its metrics and one structured log line (``account``); an API endpoint's
``exchange`` adds the request context that the core runs with, and gives its database
connection back at the end.

An ``Idempotency-Key`` header is read here for every front-end alike: ``expect_key`` hands it
to the core with the request's digest, ``keep`` stores the answer of a write request that
claimed it, and ``replayed`` sends a stored answer again."""

import itertools
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gateway.core import idempotency
from gateway.core.context import RequestContext, Services
from gateway.core.idempotency import KeyedRequest, Replay, StoredAnswer
from gateway.faults import FaultError
from gateway.http.access_log import AccessLog
from gateway.http.metrics import Metrics

__all__ = ["ACCESS_LOG", "METRICS", "SERVICES", "Handler", "account", "exchange", "replayed"]

SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)
ACCESS_LOG = web.AppKey("access_log", AccessLog)

_REQUEST_ID = web.RequestKey("request_id", str)
# Set by an API endpoint's exchange: its name (a metrics label) and its calls, for the log.
_ENDPOINT = web.RequestKey("endpoint", str)
_CALLS = web.RequestKey("calls", list)

# Request ids must be unique, not secret: a random prefix per process and a counter.
_ID_PREFIX = secrets.token_hex(6)
_id_counter = itertools.count(1)

# The headers of an answer that are part of it, kept with it for a replay.
_KEPT_HEADERS = frozenset({"Location", "Retry-After"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def account(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    request[_REQUEST_ID] = f"{_ID_PREFIX}{next(_id_counter):08x}"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as refused:
        status = refused.status
        raise
    finally:
        seconds = time.perf_counter() - started
        calls: list[dict[str, Any]] = request.get(_CALLS, [])
        app = request.app
        app[METRICS].observe(request.get(_ENDPOINT, "other"), status, seconds, calls)
        app[ACCESS_LOG].record(
            request[_REQUEST_ID], request.method, request.path, status, calls, seconds
        )


class exchange:
    """``context``: the request context an API endpoint runs the core with; on leaving, its
    database connection is given back. (A class rather than a generator: it is on every
    call's path.)"""

    __slots__ = ("_request", "context")

    def __init__(self, request: web.Request, endpoint: str) -> None:
        self._request = request
        self.context = RequestContext(
            request.app[SERVICES],
            request_id=request[_REQUEST_ID],
            client_address=request.remote,
            authorization=request.headers.get("Authorization"),
        )
        request[_ENDPOINT] = endpoint
        request[_CALLS] = self.context.calls

    def expect_key(self, body: bytes) -> None:
        """Hand the request's ``Idempotency-Key``, if it has one, to the core with the digest
        of the request (method, path and query, body): its first write will claim it."""
        request = self._request
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            digest = idempotency.request_digest(
                request.method.encode(), request.path_qs.encode(), body
            )
            self.context.keyed = KeyedRequest(key, digest)

    async def keep(
        self, response: web.Response, rendered: Callable[[FaultError], web.Response]
    ) -> web.Response:
        """What to send. For a request that claimed its key: ``response``, stored and committed
        with the request's writes; should that fail, nothing was written, and the answer is
        a fault in the wire's form (``rendered``): retryable, or ``limit_exceeded`` for an
        answer too large to keep."""
        keyed = self.context.keyed
        if keyed is None or not keyed.claimed:
            return response
        content_type = response.content_type
        if response.charset:
            content_type += f"; charset={response.charset}"
        body = response.body if isinstance(response.body, bytes) else b""
        headers = {str(k): v for k, v in response.headers.items() if k in _KEPT_HEADERS}
        answer = StoredAnswer(response.status, content_type, headers, body)
        try:
            await idempotency.keep(self.context, answer)
        except FaultError as error:
            return rendered(error)
        except Exception as exc:
            return rendered(self.context.fault_for(exc))
        return response

    async def __aenter__(self) -> "exchange":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.context.close()


def replayed(replay: Replay) -> web.Response:
    """The answer a keyed request got the first time, sent again and marked so."""
    answer = replay.answer
    headers = {
        **answer.headers,
        "Content-Type": answer.content_type,
        "Idempotent-Replayed": "true",
    }
    return web.Response(status=answer.status, body=answer.body, headers=headers)
