"""``make bench``: the performance cases, each beside its baseline in the same run.

The machine is shared and noisy, so every comparison interleaves its two sides over several
rounds and reports medians and ratios, not single absolute numbers. Results are printed as one
table and written to ``bench/results/`` as JSON. See docs/performance.md.

Knobs: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_CUSTOMERS (1000000), BENCH_DATA_DIR
(var/bench: where its embedded PostgreSQL keeps the data between runs).

The statements column counts, on the wire between each server and PostgreSQL, what one call
sends (gateway / baseline); CPU per call is read from /proc for each server process and for
PostgreSQL's processes.
"""

import asyncio
import datetime as dt
import functools
import http.client
import json
import os
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.dataset import BENCH_KEY, BENCH_USER, BENCH_WRITER, prepare
from bench.tools import Load, ensure_wrk, free_port, peak_rss_mb, post, server, wrk
from bench.wire import counting_proxy, cpu_seconds, postgres_pids

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "1000000"))
SMALL = 10_000
MIDDLE = 100_000
_RPC = "/api/jsonrpc"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", ROOT / "var" / "bench"))
EXTRA_ENV = dict(e.split("=", 1) for e in os.environ.get("BENCH_GATEWAY_ENV", "").split() if e)


@dataclass
class Result:
    case: str
    measure: str
    gateway: float
    baseline: float | None
    ratio: float | None
    target: str
    met: bool
    note: str = ""
    # Statements each call sends PostgreSQL, counted on the wire: gateway / baseline.
    statements: str = ""


@dataclass
class Endpoint:
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/jsonrpc"


@contextmanager
def gateway(
    database_url: str, workers: int = 1, direct_url: str | None = None
) -> Iterator[Endpoint]:
    """A gateway on ``database_url``; ``direct_url`` for its notice listener, when the first
    is a relay that counts statements (the listener's pings are not calls' statements)."""
    port = free_port()
    command = ["-m", "gateway", "serve", "--port", str(port), "--workers", str(workers)]
    env = {
        "DATABASE_URL": database_url,
        **({"GATEWAY_DIRECT_DATABASE_URL": direct_url} if direct_url else {}),
        "GATEWAY_POOL_MIN_SIZE": "10",
        **EXTRA_ENV,
        "GATEWAY_POOL_MAX_SIZE": "10",
    }
    with server(command, env, port) as process:
        yield Endpoint(port, process.pid)


@contextmanager
def baseline(database_url: str) -> Iterator[Endpoint]:
    port = free_port()
    command = ["-m", "bench.baseline", "--port", str(port), "--database-url", database_url]
    with server(command, {}, port) as process:
        yield Endpoint(port, process.pid)


def rpc(endpoint: Endpoint, method: str, params: Any) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).encode()
    answer = json.loads(post(endpoint.url, body))
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def login(endpoint: Endpoint, user: str = BENCH_USER) -> str:
    session_id: str = rpc(endpoint, "login", [user, BENCH_KEY])
    return session_id


def interleaved(sides: dict[str, Callable[[], Load]]) -> dict[str, list[Load]]:
    """Run each side once per round, alternating, so that noise falls on both alike."""
    runs: dict[str, list[Load]] = {name: [] for name in sides}
    for _ in range(ROUNDS):
        for name, run in sides.items():
            load = run()
            if load.errors:
                raise RuntimeError(f"{name}: {load.errors} failed requests")
            runs[name].append(load)
    return runs


def median(loads: list[Load], field: str) -> float:
    return float(statistics.median(getattr(load, field) for load in loads))


def statements_per_call(
    start: Callable[[str], Any],
    database_url: str,
    script: str,
    env: dict[str, str],
    path: str = _RPC,
) -> float:
    """Statements per call of a server (started on a URL) under ``script`` sent to ``path``,
    counted between it and PostgreSQL after a warm-up."""
    with counting_proxy(database_url) as (url, statements), start(url) as side:
        target = f"http://127.0.0.1:{side.port}{path}"
        wrk(target, script, connections=4, seconds=1, env=env)
        statements.reset()
        load = wrk(target, script, connections=4, seconds=2, env=env)
        return statements.count / load.requests


def gateway_statements(database_url: str, script: str, env: dict[str, str], path: str) -> str:
    """Statements per call of a gateway of its own, formatted for the table."""
    start = functools.partial(gateway, direct_url=database_url)
    return f"{statements_per_call(start, database_url, script, env, path):.2f}"


def _cpu_per_call(run: Callable[[], Load], pids: list[int]) -> tuple[Load, float]:
    """A run, and the CPU microseconds its processes spent per request."""
    before = cpu_seconds(pids)
    load = run()
    return load, (cpu_seconds(pids) - before) / load.requests * 1e6


def throughput_case(
    case: str,
    script: str,
    gw: Endpoint,
    base: Endpoint,
    env: dict[str, str],
    floor: float,
    database_url: str,
) -> Result:
    postgres = postgres_pids(DATA_DIR / "postgres")
    cpu: dict[str, list[tuple[float, float]]] = {gw.url: [], base.url: []}

    def measured(side: Endpoint) -> Load:
        own_before, pg_before = cpu_seconds([side.pid]), cpu_seconds(postgres)
        load = wrk(side.url, script, connections=32, seconds=SECONDS, env=env)
        own, pg = cpu_seconds([side.pid]) - own_before, cpu_seconds(postgres) - pg_before
        cpu[side.url].append((own / load.requests * 1e6, pg / load.requests * 1e6))
        return load

    runs = interleaved({side.url: (lambda side=side: measured(side)) for side in (gw, base)})
    ours, theirs = (
        median(runs[gw.url], "requests_per_second"),
        median(runs[base.url], "requests_per_second"),
    )
    ratio = ours / theirs
    starts = (functools.partial(gateway, direct_url=database_url), baseline)
    statements = [statements_per_call(start, database_url, script, env) for start in starts]

    def cpu_of(side: Endpoint) -> str:
        own = statistics.median(c[0] for c in cpu[side.url])
        pg = statistics.median(c[1] for c in cpu[side.url])
        return f"{own:.0f} µs + PostgreSQL {pg:.0f} µs"

    return Result(
        case,
        "requests/s",
        round(ours),
        round(theirs),
        round(ratio, 2),
        f">= {floor} x baseline",
        ratio >= floor,
        f"p99 {median(runs[gw.url], 'p99_ms'):.1f} ms "
        f"(baseline {median(runs[base.url], 'p99_ms'):.1f} ms); CPU per call: gateway "
        f"{cpu_of(gw)}, baseline {cpu_of(base)}",
        f"{statements[0]:.2f} / {statements[1]:.2f}",
    )


def soap_case(gw: Endpoint, env: dict[str, str], database_url: str) -> Result:
    """SOAP v2 customerCustomerInfo beside JSON-RPC's customer.info, on the same gateway."""
    soap_url = f"http://127.0.0.1:{gw.port}/api/v2_soap/"
    runs = interleaved(
        {
            "soap": lambda: wrk(
                soap_url, "soap_info.lua", connections=32, seconds=SECONDS, env=env
            ),
            "jsonrpc": lambda: wrk(gw.url, "info.lua", connections=32, seconds=SECONDS, env=env),
        }
    )
    soap, jsonrpc = (
        median(runs["soap"], "requests_per_second"),
        median(runs["jsonrpc"], "requests_per_second"),
    )
    ratio = soap / jsonrpc
    return Result(
        "SOAP v2 customerCustomerInfo, 32 connections, random ids",
        "requests/s",
        round(soap),
        round(jsonrpc),
        round(ratio, 2),
        ">= 0.5 x JSON-RPC customer.info",
        ratio >= 0.5,
        "baseline column: the gateway's JSON-RPC customer.info in the same run",
        gateway_statements(database_url, "soap_info.lua", env, "/api/v2_soap/")
        + " / "
        + gateway_statements(database_url, "info.lua", env, _RPC),
    )


def multicall_case(gw: Endpoint, session_id: str, database_url: str) -> Result:
    timings: dict[str, list[float]] = {"sequential": [], "multiCall": []}
    _multicalls_and_calls(gw, session_id, 10 * ROUNDS, timings)
    one, many = statistics.median(timings["multiCall"]), statistics.median(timings["sequential"])
    ratio = many / one
    # Statements on the wire, counted on a gateway of its own, after a warm-up.
    counts: dict[str, float] = {}
    with (
        counting_proxy(database_url) as (url, statements),
        gateway(url, direct_url=database_url) as counted,
    ):
        counted_session = login(counted)
        _multicalls_and_calls(counted, counted_session, 1, {})
        for kind in ("multiCall", "sequential"):
            statements.reset()
            _multicalls_and_calls(counted, counted_session, 4, {}, only=kind)
            counts[kind] = statements.count / 4
    return Result(
        "multiCall of 50 customer.info",
        "ms per 50",
        round(one * 1000, 2),
        round(many * 1000, 2),
        round(ratio, 1),
        ">= 5 x faster than 50 calls",
        ratio >= 5,
        "baseline column: 50 sequential calls on one connection",
        f"{counts['multiCall']:.2f} / {counts['sequential']:.2f}",
    )


def _multicalls_and_calls(
    gw: Endpoint,
    session_id: str,
    rounds: int,
    timings: dict[str, list[float]],
    only: str | None = None,
) -> None:
    """``rounds`` times, 50 customer.info one by one and then in one multiCall, timed into
    ``timings`` (``only``: just one of the two)."""
    connection = http.client.HTTPConnection("127.0.0.1", gw.port)
    ids = list(range(1, 51))

    def call(body: dict[str, Any]) -> None:
        connection.request(
            "POST",
            "/api/jsonrpc",
            body=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        answer = json.loads(connection.getresponse().read())
        assert "result" in answer, answer

    def sequential() -> float:
        started = time.perf_counter()
        for customer_id in ids:
            call(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": [session_id, "customer.info", [customer_id]],
                }
            )
        return time.perf_counter() - started

    def batched() -> float:
        started = time.perf_counter()
        call(
            {
                "jsonrpc": "2.0",
                "method": "multiCall",
                "id": 1,
                "params": [session_id, [["customer.info", [i]] for i in ids]],
            }
        )
        return time.perf_counter() - started

    runs = {"sequential": sequential, "multiCall": batched}
    for _ in range(rounds):
        for kind, run in runs.items():
            if only in (None, kind):
                timings.setdefault(kind, []).append(run())
    connection.close()


def by_size(
    sides: dict[int, tuple[Endpoint, str]], script: str, connections: int, field: str
) -> dict[int, float]:
    """A script's median ``field`` on each size's gateway, the sizes interleaved."""

    def run(rows: int) -> Load:
        side, sid = sides[rows]
        env = {"SID": sid, "MAX_ID": str(rows)}
        return wrk(side.url, script, connections=connections, seconds=SECONDS, env=env)

    runs = interleaved({str(rows): (lambda rows=rows: run(rows)) for rows in sides})
    return {rows: median(runs[str(rows)], field) for rows in sides}


def statements_by_size(
    sides: dict[int, tuple[Endpoint, str]], urls: dict[int, str], script: str
) -> str:
    """Statements per call at the largest size and at the smallest."""
    return " / ".join(
        gateway_statements(urls[rows], script, {"SID": sides[rows][1], "MAX_ID": str(rows)}, _RPC)
        for rows in (CUSTOMERS, SMALL)
    )


def keyset_case(sides: dict[int, tuple[Endpoint, str]], urls: dict[int, str]) -> Result:
    """The keyset list's p50 at each size; the ratio of the largest to the smallest."""
    p50 = by_size(sides, "list_keyset.lua", 1, "p50_ms")
    statements = statements_by_size(sides, urls, "list_keyset.lua")
    at_big, at_small = p50[CUSTOMERS], p50[SMALL]
    ratio = at_big / at_small
    return Result(
        f"customer.list keyset, group + like, limit 100 ({CUSTOMERS:,} vs {SMALL:,})",
        "p50 ms",
        round(at_big, 2),
        round(at_small, 2),
        round(ratio, 2),
        "p50 <= 15 ms; ratio <= 2",
        at_big <= 15 and ratio <= 2,
        "baseline column: the same query at 10k customers; "
        + ", ".join(f"{rows:,}: {p50[rows]:.2f} ms" for rows in sorted(p50)),
        statements,
    )


def info_scale_case(sides: dict[int, tuple[Endpoint, str]], urls: dict[int, str]) -> Result:
    """customer.info's throughput at each size: flat, or the table's size shows."""
    rate = by_size(sides, "info.lua", 32, "requests_per_second")
    ratio = rate[CUSTOMERS] / rate[SMALL]
    return Result(
        f"call customer.info, random ids ({CUSTOMERS:,} vs {SMALL:,})",
        "requests/s",
        round(rate[CUSTOMERS]),
        round(rate[SMALL]),
        round(ratio, 2),
        "flat: ratio >= 0.8",
        ratio >= 0.8,
        "baseline column: the same calls at 10k customers; "
        + ", ".join(f"{rows:,}: {rate[rows]:.0f}/s" for rows in sorted(rate)),
        statements_by_size(sides, urls, "info.lua"),
    )


def stream_case(database_url: str) -> Result:
    token = b'{"customer_id"'
    with gateway(database_url) as gw:
        session_id = login(gw)
        connection = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=600)
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": [session_id, "customer.list", []],
            }
        )
        started = time.perf_counter()
        connection.request(
            "POST", "/api/jsonrpc", body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        count, tail, size = 0, b"", 0
        while chunk := response.read(1 << 20):
            window = tail + chunk
            count += window.count(token)
            tail = window[-(len(token) - 1) :]
            size += len(chunk)
        seconds = time.perf_counter() - started
        rss = peak_rss_mb(gw.pid)
        connection.close()
    complete = count == CUSTOMERS
    return Result(
        f"customer.list, no options, {CUSTOMERS:,} customers",
        "peak RSS MB",
        round(rss, 1),
        None,
        None,
        "completes; RSS <= 250 MB",
        complete and rss <= 250,
        f"{count:,} customers, {size / 1e6:.0f} MB in {seconds:.1f} s",
    )


def workers_case(database_url: str) -> Result:
    env_of: dict[int, dict[str, str]] = {}
    rates: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(ROUNDS):
        for workers in (1, 2):
            with gateway(database_url, workers) as gw:
                env_of[workers] = {"SID": login(gw), "MAX_ID": str(CUSTOMERS)}
                load = wrk(gw.url, "info.lua", connections=32, seconds=SECONDS, env=env_of[workers])
                rates[workers].append(load.requests_per_second)
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    return Result(
        "customer.info, --workers 2 vs 1",
        "requests/s",
        round(two),
        round(one),
        round(two / one, 2),
        "reported",
        True,
        "baseline column: --workers 1; 2 cores shared with PostgreSQL and wrk",
    )


def print_table(results: list[Result]) -> None:
    header = ("case", "measure", "gateway", "baseline", "ratio", "target", "met", "statements")
    rows = [header] + [
        (
            r.case,
            r.measure,
            f"{r.gateway:g}",
            "-" if r.baseline is None else f"{r.baseline:g}",
            "-" if r.ratio is None else f"{r.ratio:g}",
            r.target,
            "yes" if r.met else "NO",
            r.statements or "-",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    for result in results:
        if result.note:
            print(f"- {result.case}: {result.note}")


def main() -> None:
    ensure_wrk()
    sizes = {"bench_big": CUSTOMERS, "bench_middle": MIDDLE, "bench_small": SMALL}
    urls = asyncio.run(prepare(DATA_DIR, sizes))
    big = urls["bench_big"]
    results: list[Result] = []
    with gateway(big) as gw, baseline(big) as base:
        session_id = login(gw)
        info_env = {"SID": session_id, "MAX_ID": str(CUSTOMERS)}
        results.append(
            throughput_case(
                "call customer.info, 32 connections, random ids",
                "info.lua",
                gw,
                base,
                info_env,
                1.0,
                big,
            )
        )
        results.append(
            throughput_case(
                "customer_address.list, 10 addresses, 32 connections",
                "address_list.lua",
                gw,
                base,
                info_env,
                0.6,
                big,
            )
        )
        create_env = {"SID": login(gw, BENCH_WRITER), "RUN": secrets.token_hex(4)}
        results.append(
            throughput_case(
                "customer.create with password_hash, 32 connections",
                "create.lua",
                gw,
                base,
                create_env,
                0.5,
                big,
            )
        )
        results.append(soap_case(gw, info_env, big))
        results.append(multicall_case(gw, session_id, big))
        with gateway(urls["bench_middle"]) as middle, gateway(urls["bench_small"]) as small:
            sides = {
                CUSTOMERS: (gw, session_id),
                MIDDLE: (middle, login(middle)),
                SMALL: (small, login(small)),
            }
            by_rows = {CUSTOMERS: big, MIDDLE: urls["bench_middle"], SMALL: urls["bench_small"]}
            results.append(keyset_case(sides, by_rows))
            results.append(info_scale_case(sides, by_rows))
    # The create case added customers: back to the table as made before streaming it all.
    asyncio.run(prepare(DATA_DIR, {"bench_big": CUSTOMERS}))
    results.append(stream_case(urls["bench_big"]))
    results.append(workers_case(urls["bench_big"]))
    # Leave the big table as it was for the next run.
    asyncio.run(prepare(DATA_DIR, {"bench_big": CUSTOMERS}))

    print()
    print_table(results)
    folder = ROOT / "bench" / "results"
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "rounds": ROUNDS,
        "seconds": SECONDS,
        "customers": CUSTOMERS,
        "results": [asdict(r) for r in results],
    }
    (folder / f"{stamp}.json").write_text(json.dumps(report, indent=2))
    print(f"\nwritten to bench/results/{stamp}.json")


if __name__ == "__main__":
    main()
