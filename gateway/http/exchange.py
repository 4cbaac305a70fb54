"""Every HTTP request, whatever answers it (an API endpoint, the page, a CORS preflight, a 405),
gets a request id, its metrics and one structured log line (``account``); an API endpoint
books its name and operations for them (``book``, from ``gateway.http.pipeline``), and a
stored answer is sent again as it was (``replayed``)."""

import itertools
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gateway.core.context import Services
from gateway.core.idempotency import Replay
from gateway.http.access_log import AccessLog
from gateway.http.metrics import Metrics

__all__ = [
    "ACCESS_LOG",
    "METRICS",
    "SERVICES",
    "Handler",
    "account",
    "book",
    "replayed",
    "request_id",
]

SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)
ACCESS_LOG = web.AppKey("access_log", AccessLog)

_REQUEST_ID = web.RequestKey("request_id", str)
# Set by an API endpoint (book): its name (a metrics label) and its calls, for the log.
_ENDPOINT = web.RequestKey("endpoint", str)
_CALLS = web.RequestKey("calls", list)

# Request ids must be unique, not secret: a random prefix per process and a counter.
_ID_PREFIX = secrets.token_hex(6)
_id_counter = itertools.count(1)

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


def book(request: web.Request, endpoint: str, calls: list[dict[str, Any]]) -> None:
    """Name the API endpoint answering the request (a metrics label), and hand over the list
    its operations are booked in, for the log line and the metrics."""
    request[_ENDPOINT] = endpoint
    request[_CALLS] = calls


def request_id(request: web.Request) -> str:
    return request[_REQUEST_ID]


def replayed(replay: Replay) -> web.Response:
    """The answer a keyed request got the first time, sent again and marked so."""
    answer = replay.answer
    headers = {
        **answer.headers,
        "Content-Type": answer.content_type,
        "Idempotent-Replayed": "true",
    }
    return web.Response(status=answer.status, body=answer.body, headers=headers)
