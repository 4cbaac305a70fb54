"""One HTTP exchange, whatever the endpoint: its request context, the connection given back
at the end, and the one structured log line every request gets."""

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from gateway.api import RequestContext, Services
from gateway.metrics import Metrics

__all__ = ["METRICS", "SERVICES", "Exchange", "exchange"]

access_log = logging.getLogger("gateway.access")

SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)


@dataclass(slots=True)
class Exchange:
    context: RequestContext
    status: int = 200
    started: float = field(default_factory=time.perf_counter)


@asynccontextmanager
async def exchange(request: web.Request, endpoint: str) -> AsyncIterator[Exchange]:
    context = RequestContext(
        request.app[SERVICES],
        request_id=uuid.uuid4().hex,
        client_address=request.remote,
        authorization=request.headers.get("Authorization"),
    )
    current = Exchange(context)
    try:
        yield current
    finally:
        await context.release()
        seconds = time.perf_counter() - current.started
        request.app[METRICS].observe(endpoint, current.status, seconds, context.calls)
        access_log.info(
            "request",
            extra={
                "request_id": context.request_id,
                "http_method": request.method,
                "path": request.path,
                "status": current.status,
                "calls": context.calls,
                "duration_ms": round(seconds * 1000, 3),
            },
        )
