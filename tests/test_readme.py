"""The README, followed as written: every shell, Python, PHP and ``javascript`` example runs
against a real gateway (started as `make run` starts it, on a fresh database), and every
command it shows that is not run here is run by CI or named test. (``js`` blocks are
fragments, shown for their shape.)

The test fills in only what the README asks the reader to fill in: the key printed at the
first start (``KEY=...``) and, for the gateway's port, the test's own in place of 8080.
"""

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.processes import free_port, start_gateway, wait_ready
from tests.soap_clients import run_php

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, re.S | re.M)

# Commands the README shows that this test does not run, and what does.
RUN_ELSEWHERE = {
    "make run": "tests/test_request_log.py (the same command line, `python -m gateway serve`)",
    "make test": "CI (.ci/run)",
    "make chaos": "CI (.ci/run)",
    "make install": "make test",
    "make lint": "make test",
    "make bench": "tests/test_bench.py (a small run)",
    "make soak": "by hand, ~30 minutes (docs/reliability.md has its figures); its fuzzing runs"
    " short in make chaos",
    "make screenshots": "tests/test_page.py (the same test, without keeping the pictures)",
    ".venv/bin/python -m gateway serve": "tests/processes.py starts every test server so",
    "stress-ng --cpu 2": "by hand, beside the whole suite (the README says when it last passed)",
    ".venv/bin/pytest; kill": "by hand, the whole suite beside the CPU hog",
}


def commands(block: str) -> Iterator[str]:
    """The block's commands: continuation lines joined, comments and blanks left out."""
    text = re.sub(r"\\\n\s*", " ", block)
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        if line and not line.startswith("#"):
            yield line


def runs_elsewhere(command: str) -> bool:
    return any(command.startswith(prefix) for prefix in RUN_ELSEWHERE)


@pytest.fixture(scope="module")
def gateway(fresh_database: Callable[[], str]) -> Iterator[tuple[int, str, str]]:
    """A gateway on a fresh database, as a first start leaves it: (port, key, database URL)."""
    url = fresh_database()
    port = free_port()
    process = start_gateway(url, port, env={"GATEWAY_MIGRATE_ON_START": "true"})
    try:
        wait_ready(port, process)
        assert process.stdout is not None
        shown = process.stdout.readline() + process.stdout.readline()
        key = re.search(r"shown only this once: (\S+)", shown)
        assert key, shown
        yield port, key.group(1), url
    finally:
        process.terminate()
        process.communicate(timeout=30)


def fill_in(text: str, port: int, key: str) -> str:
    return text.replace(":8080", f":{port}").replace("KEY=...", f"KEY={key}")


def test_every_shell_command_runs_or_is_run_elsewhere(gateway: tuple[int, str, str]) -> None:
    port, key, url = gateway
    script = ["set -euo pipefail"]
    for language, block in BLOCKS:
        if language == "sh":
            # The commands run elsewhere are one line each: left out, the block still reads.
            kept = [line for line in block.splitlines() if not runs_elsewhere(line.strip())]
            script.append(fill_in("\n".join(kept), port, key))
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        input="a-key-for-shopbot\n",  # what `--api-key -` reads
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "PATH": f"{ROOT / '.venv/bin'}:{os.environ['PATH']}",
        },
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"error"' not in done.stdout, done.stdout
    assert '"result":1,"id":2' in done.stdout  # the create the README shows
    assert "HTTP/1.1 200 OK" in done.stdout and "Location: /api/rest/customers/" in done.stdout
    assert re.search(r"^shopbot\tactive\tcustomer/info,customer/address$", done.stdout, re.M)


def test_the_python_example_runs(gateway: tuple[int, str, str]) -> None:
    port, key, _ = gateway
    (example,) = [block for language, block in BLOCKS if language == "python"]
    done = subprocess.run(
        [sys.executable, "-c", fill_in(example, port, key)],
        capture_output=True,
        text=True,
        env={**os.environ, "KEY": key},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "102 customer_not_exists" in done.stdout


async def test_the_php_example_runs(gateway: tuple[int, str, str], tmp_path: Path) -> None:
    port, key, _ = gateway
    (example,) = [block for language, block in BLOCKS if language == "php"]
    run = await run_php(
        fill_in(example, port, key), f"http://127.0.0.1:{port}", tmp=tmp_path, env={"KEY": key}
    )
    assert run.fault is None, run.output
    assert "alan@example.com" in run.output
    assert "102 Customer not exists. customer_not_exists" in run.output


# The browser example runs in Node with jsdom's DOM (installed by `make test`, as is the
# json-rpc-2.0 client it imports): the page it assumes, then the README's code, then a look
# at the pickers before and after a country without regions is chosen.
PICKER_PAGE = """import { JSDOM } from "jsdom";
const dom = new JSDOM('<select id="country"></select><select id="region"></select>');
globalThis.document = dom.window.document;
globalThis.Option = dom.window.Option;
globalThis.KEY = process.env.KEY;
"""
PICKER_CHECK = """
const look = () => ({country: countries.value, countries: countries.options.length,
  regions: [...regions.options].map((o) => o.text), disabled: regions.disabled});
console.log(JSON.stringify(look()));
countries.value = "GB";
countries.dispatchEvent(new dom.window.Event("change"));
for (let waited = 0; !regions.disabled && waited < 5000; waited += 50) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(JSON.stringify(look()));
"""


def test_the_javascript_picker_example_runs(gateway: tuple[int, str, str], tmp_path: Path) -> None:
    port, key, _ = gateway
    (example,) = [block for language, block in BLOCKS if language == "javascript"]
    (tmp_path / "node_modules").symlink_to(ROOT / ".venv" / "npm" / "node_modules")
    script = tmp_path / "pickers.mjs"
    script.write_text(PICKER_PAGE + fill_in(example, port, key) + PICKER_CHECK)
    done = subprocess.run(
        ["node", str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, "KEY": key},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    first, after = (json.loads(line) for line in done.stdout.splitlines())
    assert first["country"] == "US" and first["countries"] > 200
    assert "California" in first["regions"] and not first["disabled"]
    assert after == {**first, "country": "GB", "regions": [], "disabled": True}


def test_what_is_not_run_here_is_run_elsewhere() -> None:
    shown = {c for language, b in BLOCKS if language == "sh" for c in commands(b)}
    elsewhere = {c for c in shown if runs_elsewhere(c)}
    assert elsewhere, "the README shows make commands"
    for prefix in RUN_ELSEWHERE:
        assert any(c.startswith(prefix) for c in shown), f"{prefix} is no longer in the README"
