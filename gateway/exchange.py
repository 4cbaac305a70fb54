"""One HTTP exchange, whatever the endpoint: its request context, the connection given back
at the end, and the one structured log line every request gets."""

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

from gateway.access_log import AccessLog
from gateway.api import RequestContext, Services
from gateway.metrics import Metrics

__all__ = ["ACCESS_LOG", "METRICS", "SERVICES", "Exchange", "exchange"]

SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)
ACCESS_LOG = web.AppKey("access_log", AccessLog)


# Request ids must be unique, not secret: a random prefix per process and a counter cost far
# less than a uuid4 (a system call) per request.
_ID_PREFIX = secrets.token_hex(6)
_id_counter = itertools.count(1)


def _next_request_id() -> str:
    return f"{_ID_PREFIX}{next(_id_counter):08x}"


@dataclass(slots=True)
class Exchange:
    context: RequestContext
    status: int = 200
    started: float = field(default_factory=time.perf_counter)


class exchange:
    """The request's context on entering; on leaving, its connection given back, its metrics
    counted and its log line written. (A class: cheaper per request than a generator.)"""

    __slots__ = ("_current", "_endpoint", "_request")

    def __init__(self, request: web.Request, endpoint: str) -> None:
        self._request = request
        self._endpoint = endpoint
        context = RequestContext(
            request.app[SERVICES],
            request_id=_next_request_id(),
            client_address=request.remote,
            authorization=request.headers.get("Authorization"),
        )
        self._current = Exchange(context)

    async def __aenter__(self) -> Exchange:
        return self._current

    def deadline(self) -> asyncio.Timeout:
        """The bound on a REST verb, should the database stop answering."""
        return asyncio.timeout(self._current.context.services.settings.call_deadline)

    async def __aexit__(self, *_: object) -> None:
        request, current = self._request, self._current
        context = current.context
        await context.release()
        seconds = time.perf_counter() - current.started
        request.app[METRICS].observe(self._endpoint, current.status, seconds, context.calls)
        request.app[ACCESS_LOG].record(
            {
                "request_id": context.request_id,
                "http_method": request.method,
                "path": request.path,
                "status": current.status,
                "calls": context.calls,
                "duration_ms": round(seconds * 1000, 3),
            }
        )
