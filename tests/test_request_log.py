"""The request log: one JSON line for every request, whatever answers it, and nothing but
JSON on standard error."""

import io
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from gateway.app import create_app
from gateway.http.exchange import ACCESS_LOG
from gateway.settings import Settings
from tests.processes import free_port, wait_ready

ALLOWED = "http://shop.example.test"


async def test_every_request_gets_one_line(
    aiohttp_client: Any, settings: Settings, pool: asyncpg.Pool
) -> None:
    log = io.BytesIO()
    logged = settings.model_copy(update={"log_level": "INFO", "cors_origins": [ALLOWED]})
    client = await aiohttp_client(create_app(logged, pool, access_log=log))
    preflight = {"Access-Control-Request-Method": "POST"}
    sent = [
        ("GET", "/", {}, 200),
        ("GET", "/api/openrpc.json", {}, 200),
        ("GET", "/healthz", {}, 200),
        ("OPTIONS", "/api/jsonrpc", {"Origin": ALLOWED, **preflight}, 200),
        ("OPTIONS", "/api/jsonrpc", {"Origin": "http://elsewhere.test", **preflight}, 403),
        ("GET", "/api/jsonrpc", {}, 405),
        ("PATCH", "/api/rest/customers", {}, 405),
        ("GET", "/nowhere", {}, 404),
    ]
    for method, path, headers, status in sent:
        response = await client.request(method, path, headers=headers)
        assert response.status == status, (method, path)
    client.app[ACCESS_LOG].flush()
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    assert [(line["http_method"], line["path"], line["status"]) for line in lines] == [
        (method, path, status) for method, path, status in ((m, p, s) for m, p, _, s in sent)
    ]
    assert len({line["request_id"] for line in lines}) == len(sent)


@pytest.mark.slow
def test_standard_error_holds_only_json_lines(tmp_path: Path) -> None:
    """An embedded PostgreSQL of its own (no DATABASE_URL), started as `make run` starts it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XDG_RUNTIME_DIR")}
    with (tmp_path / "stdout").open("w") as out, (tmp_path / "stderr").open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
            env={**env, "GATEWAY_DATA_DIR": str(tmp_path / "var")},
            stdout=out,
            stderr=err,
            text=True,
        )
        try:
            wait_ready(port, process)
            for path in ("/", "/api/openrpc.json"):
                url = f"http://127.0.0.1:{port}{path}"
                with urllib.request.urlopen(url, timeout=10):
                    pass
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
    lines = (tmp_path / "stderr").read_text().splitlines()
    assert lines, "nothing was logged"
    records = [json.loads(line) for line in lines]  # every line is JSON
    paths = [r["path"] for r in records if r.get("message") == "request"]
    assert "/" in paths and "/api/openrpc.json" in paths
    assert "Its API key, shown only this once" in (tmp_path / "stdout").read_text()
