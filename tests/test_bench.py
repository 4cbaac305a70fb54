"""`make bench`, run small: every case measures and the table is printed. The figures
themselves are not judged here (benchmarks are not tests; docs/performance.md has them)."""

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CASES = (
    "call customer.info",
    "customer_address.list",
    "customer.create",
    "SOAP v2 customerCustomerInfo",
    "multiCall of 50 customer.info",
    "customer.list keyset",
    "call customer.info, random ids (3,000 vs 10,000)",
    "customer.list, no options",
    "--workers 2 vs 1",
)


def test_make_bench_runs_every_case(tmp_path: Path) -> None:
    small = {
        "BENCH_CUSTOMERS": "3000",
        "BENCH_ROUNDS": "1",
        "BENCH_SECONDS": "1",
        "BENCH_DATA_DIR": str(tmp_path / "bench"),
    }
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        ["make", "bench"],
        cwd=ROOT,
        env={**env, **small},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = done.stdout[done.stdout.index("case ") :]
    for case in CASES:
        assert case in table, case
    # Statements per call, counted on the wire: the session check is in memory.
    info_row = next(
        line for line in table.splitlines() if line.startswith("call customer.info, 32")
    )
    assert info_row.rstrip().endswith("1.00 / 2.00"), info_row
    # A multiCall of 50 customer.info reads them in one statement; one by one, 50.
    multicall_row = next(line for line in table.splitlines() if line.startswith("multiCall"))
    assert multicall_row.rstrip().endswith("1.00 / 50.00"), multicall_row
    # SOAP's call is the same core call, an info one statement at any size; the keyset page
    # filters on a like that may scan: a heavy statement, in a read-only transaction with its
    # own timeout (BEGIN, the timeout, the page, COMMIT), at any size.
    for start, statements in (
        ("SOAP v2", 1),
        ("customer.list keyset", 4),
        ("call customer.info, random ids (", 1),
    ):
        row = next(line for line in table.splitlines() if line.startswith(start))
        ours, theirs = (float(n) for n in row.split()[-3::2])
        # Now and then a first use on a fresh pooled connection adds a statement of its own.
        assert statements <= ours < statements + 0.1, row
        assert statements <= theirs < statements + 0.1, row
    assert "written to bench/results/" in table
