"""Prometheus metrics, one registry per application (so per worker process): requests and
faults by method and fault name, a latency histogram, and the pool's size and use."""

from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from gateway.resources import METHODS

__all__ = ["Metrics"]

_TOP_LEVEL = frozenset(
    {
        "login",
        "call",
        "multiCall",
        "endSession",
        "resources",
        "resourceFaults",
        "globalFaults",
        "rpc.discover",
    }
)


def _method_label(entry: dict[str, Any]) -> str:
    """A bounded label: a known method or API path, or "other" for whatever a client invented."""
    name = entry.get("api_path") or entry.get("method")
    return name if name in METHODS or name in _TOP_LEVEL else "other"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_http_requests",
            "HTTP requests by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.calls = Counter(
            "gateway_calls",
            "JSON-RPC methods and API paths called",
            ["method"],
            registry=self.registry,
        )
        self.faults = Counter(
            "gateway_faults",
            "Faults by method and fault name",
            ["method", "fault"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gateway_request_duration_seconds",
            "Time to answer an HTTP request",
            ["endpoint"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.pool_size = Gauge(
            "gateway_db_pool_connections",
            "Database connections open in the pool",
            registry=self.registry,
        )
        self.pool_in_use = Gauge(
            "gateway_db_pool_connections_in_use",
            "Database connections lent out",
            registry=self.registry,
        )
        self.pool_max = Gauge(
            "gateway_db_pool_max_connections", "The pool's upper limit", registry=self.registry
        )

    def observe(
        self, endpoint: str, status: int, seconds: float, calls: list[dict[str, Any]]
    ) -> None:
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)
        for entry in calls:
            method = _method_label(entry)
            self.calls.labels(method).inc()
            if "fault" in entry:
                self.faults.labels(method, entry["fault"]).inc()

    def render(self, pool: asyncpg.Pool) -> web.Response:
        size = pool.get_size()
        self.pool_size.set(size)
        self.pool_in_use.set(size - pool.get_idle_size())
        self.pool_max.set(pool.get_max_size())
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
