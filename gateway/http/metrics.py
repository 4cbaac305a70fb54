"""Prometheus metrics, one set per application (so per worker process): HTTP requests, the
top-level methods and the API paths called (each once) with their faults, a latency
histogram, and the pool's size and use.

Requests are booked as plain tuples and counted in batches into plain counters, which
prometheus-client turns into its exposition format when /metrics is scraped (a custom
collector): its own Counter and Histogram lock on every increment (docs/performance.md).
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

__all__ = ["Metrics"]

_BATCH = 256
# (label, calls metric, faults metric, what is counted)
_CALL_FAMILIES = (
    ("method", "gateway_calls", "gateway_faults", "top-level methods"),
    ("api_path", "gateway_api_calls", "gateway_api_faults", "API paths"),
)
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics(Collector):
    """Labels are bounded: a method or API path not in the ``methods`` or ``api_paths`` it was
    given (whatever a client invented) is counted as "other"."""

    def __init__(self, methods: frozenset[str], api_paths: frozenset[str]) -> None:
        self._known = {"method": methods, "api_path": api_paths}
        self._requests: Counter[tuple[str, int]] = Counter()
        # by (kind, name): kind is "method" (a top-level method) or "api_path"
        self._calls: Counter[tuple[str, str]] = Counter()
        self._faults: Counter[tuple[str, str, str]] = Counter()
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
        """Book a finished request; requests are counted in batches, when scraped or every
        ``_BATCH`` requests."""
        self._finished.append((endpoint, status, seconds, calls))
        if len(self._finished) >= _BATCH:
            self._count_finished()

    def _count_finished(self) -> None:
        finished, self._finished = self._finished, []
        requests, latency, latency_sum = self._requests, self._latency, self._latency_sum
        calls, faults, known = self._calls, self._faults, self._known
        for endpoint, status, seconds, entries in finished:
            requests[endpoint, status] += 1
            latency[endpoint][bisect.bisect_left(_BUCKETS, seconds)] += 1
            latency_sum[endpoint] += seconds
            for entry in entries:
                kind = "api_path" if "api_path" in entry else "method"
                name = entry[kind] if entry[kind] in known[kind] else "other"
                calls[kind, name] += 1
                if "fault" in entry:
                    faults[kind, name, entry["fault"]] += 1

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
        for kind, calls_name, faults_name, what in _CALL_FAMILIES:
            calls = CounterMetricFamily(calls_name, f"{what} called", labels=[kind])
            faults = CounterMetricFamily(faults_name, f"Faults of {what}", labels=[kind, "fault"])
            for (counted_kind, name), count in sorted(self._calls.items()):
                if counted_kind == kind:
                    calls.add_metric([name], count)
            for (counted_kind, name, fault), count in sorted(self._faults.items()):
                if counted_kind == kind:
                    faults.add_metric([name, fault], count)
            yield calls
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
