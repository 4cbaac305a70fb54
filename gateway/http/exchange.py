"""Every HTTP request, whatever answers it (an API endpoint, the page, a CORS preflight, a 405),
gets a request id, its metrics and one structured log line (``account``); an API endpoint's
``exchange`` adds the request context that the core runs with, and gives its database
connection back at the end."""

import itertools
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gateway.core.context import RequestContext, Services
from gateway.http.access_log import AccessLog
from gateway.http.metrics import Metrics

__all__ = ["ACCESS_LOG", "METRICS", "SERVICES", "Handler", "account", "exchange"]

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

    __slots__ = ("context",)

    def __init__(self, request: web.Request, endpoint: str) -> None:
        self.context = RequestContext(
            request.app[SERVICES],
            request_id=request[_REQUEST_ID],
            client_address=request.remote,
            authorization=request.headers.get("Authorization"),
        )
        request[_ENDPOINT] = endpoint
        request[_CALLS] = self.context.calls

    async def __aenter__(self) -> "exchange":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.context.release()
