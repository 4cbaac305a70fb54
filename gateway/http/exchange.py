"""One HTTP exchange, whatever the endpoint: its request context, the connection given back
at the end, its metrics, and the one structured log line every request gets."""

import itertools
import secrets
import time

from aiohttp import web

from gateway.core.context import RequestContext, Services
from gateway.http.access_log import AccessLog
from gateway.http.metrics import Metrics

__all__ = ["ACCESS_LOG", "METRICS", "SERVICES", "exchange"]

SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)
ACCESS_LOG = web.AppKey("access_log", AccessLog)


# Request ids must be unique, not secret: a random prefix per process and a counter.
_ID_PREFIX = secrets.token_hex(6)
_id_counter = itertools.count(1)


class exchange:
    """The request's context (``context``) and answer status (``status``, for the log) while
    inside; on leaving, its connection given back, its metrics counted and its log line
    written. (A class rather than a generator: it is on every request's path.)"""

    __slots__ = ("_endpoint", "_request", "_started", "context", "status")

    def __init__(self, request: web.Request, endpoint: str) -> None:
        self._request = request
        self._endpoint = endpoint
        self._started = time.perf_counter()
        self.status = 200
        self.context = RequestContext(
            request.app[SERVICES],
            request_id=f"{_ID_PREFIX}{next(_id_counter):08x}",
            client_address=request.remote,
            authorization=request.headers.get("Authorization"),
        )

    async def __aenter__(self) -> "exchange":
        return self

    async def __aexit__(self, *_: object) -> None:
        request, context = self._request, self.context
        await context.release()
        seconds = time.perf_counter() - self._started
        app = request.app
        app[METRICS].observe(self._endpoint, self.status, seconds, context.calls)
        app[ACCESS_LOG].record(
            context.request_id, request.method, request.path, self.status, context.calls, seconds
        )
