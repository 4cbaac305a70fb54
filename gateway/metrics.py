"""Prometheus metrics, one set per application (so per worker process): requests and faults
by method and fault name, a latency histogram, and the pool's size and use.

Requests are booked as plain tuples, counted in batches into plain counters; prometheus-client
turns those into its exposition format when /metrics is scraped (a custom collector). Its own
Counter and Histogram take a lock per increment, which cost more than a tenth of a request's
time on the hot path.
"""

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from gateway.api import METHODS_BY_NAME

__all__ = ["Metrics"]

_BATCH = 256
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _method_label(entry: dict[str, Any]) -> str:
    """A bounded label: a known method or API path, or "other" for whatever a client invented."""
    name = entry.get("api_path") or entry.get("method")
    # METHODS_BY_NAME holds the top-level methods and every API path's shortcut.
    return name if name in METHODS_BY_NAME else "other"


class Metrics(Collector):
    def __init__(self) -> None:
        self._requests: Counter[tuple[str, int]] = Counter()
        self._calls: Counter[str] = Counter()
        self._faults: Counter[tuple[str, str]] = Counter()
        # per endpoint: a count per bucket (the last for +Inf), and the sum of seconds
        self._latency: defaultdict[str, list[int]] = defaultdict(lambda: [0] * (len(_BUCKETS) + 1))
        self._latency_sum: defaultdict[str, float] = defaultdict(float)
        self._pool: asyncpg.Pool | None = None
        self._finished: list[tuple[str, int, float, list[dict[str, Any]]]] = []
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def observe(
        self, endpoint: str, status: int, seconds: float, calls: list[dict[str, Any]]
    ) -> None:
        """Book a finished request. Requests are counted in batches, when scraped or every
        ``_BATCH`` requests: counting many at once costs a fraction of counting each at the end
        of its request."""
        self._finished.append((endpoint, status, seconds, calls))
        if len(self._finished) >= _BATCH:
            self._count_finished()

    def _count_finished(self) -> None:
        finished, self._finished = self._finished, []
        requests, latency, latency_sum = self._requests, self._latency, self._latency_sum
        calls, faults = self._calls, self._faults
        for endpoint, status, seconds, entries in finished:
            requests[endpoint, status] += 1
            latency[endpoint][bisect.bisect_left(_BUCKETS, seconds)] += 1
            latency_sum[endpoint] += seconds
            for entry in entries:
                method = _method_label(entry)
                calls[method] += 1
                if "fault" in entry:
                    faults[method, entry["fault"]] += 1

    def collect(self) -> Iterator[Any]:
        self._count_finished()
        requests = CounterMetricFamily(
            "gateway_http_requests",
            "HTTP requests by endpoint and status",
            labels=["endpoint", "status"],
        )
        for (endpoint, status), count in sorted(self._requests.items()):
            requests.add_metric([endpoint, str(status)], count)
        yield requests
        calls = CounterMetricFamily(
            "gateway_calls", "JSON-RPC methods and API paths called", labels=["method"]
        )
        for method, count in sorted(self._calls.items()):
            calls.add_metric([method], count)
        yield calls
        faults = CounterMetricFamily(
            "gateway_faults", "Faults by method and fault name", labels=["method", "fault"]
        )
        for (method, fault), count in sorted(self._faults.items()):
            faults.add_metric([method, fault], count)
        yield faults
        latency = HistogramMetricFamily(
            "gateway_request_duration_seconds",
            "Time to answer an HTTP request",
            labels=["endpoint"],
        )
        for endpoint, counts in sorted(self._latency.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*map(str, _BUCKETS), "+Inf"), counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric([endpoint], buckets, self._latency_sum[endpoint])
        yield latency
        if self._pool is not None:
            size = self._pool.get_size()
            yield GaugeMetricFamily(
                "gateway_db_pool_connections", "Database connections open in the pool", value=size
            )
            yield GaugeMetricFamily(
                "gateway_db_pool_connections_in_use",
                "Database connections lent out",
                value=size - self._pool.get_idle_size(),
            )
            yield GaugeMetricFamily(
                "gateway_db_pool_max_connections",
                "The pool's upper limit",
                value=self._pool.get_max_size(),
            )

    def render(self, pool: asyncpg.Pool) -> web.Response:
        self._pool = pool
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
