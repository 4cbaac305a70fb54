"""No key, password, hash or session id appears in any log line: a full run of a real server
process, at DEBUG level, with its whole log searched afterwards."""

import base64
import hashlib
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from gateway.auth import users
from tests.conftest import TEST_KEY
from tests.processes import free_port, post, run_apart, start_gateway, wait_ready

pytestmark = pytest.mark.slow

LEGACY_KEY = "legacy-secret-key-42"
CUSTOMER_PASSWORD = "customer-pass-123"
NEW_PASSWORD = "changed-pass-456"
IMPORTED_HASH = hashlib.md5(b"imported-password").hexdigest()
WRONG_KEY = "wrong-key-guess-789"


def _fetch_secrets(url: str) -> list[str]:
    async def work() -> list[str]:
        connection = await asyncpg.connect(url)
        try:
            rows = await connection.fetch(
                "SELECT password_hash AS secret FROM customer WHERE password_hash IS NOT NULL"
                " UNION ALL SELECT api_key_hash FROM api_user"
            )
            return [row["secret"] for row in rows]
        finally:
            await connection.close()

    return run_apart(work())


def test_no_secret_appears_in_the_log_of_a_full_run(
    fresh_database: Callable[[], str], test_key_hash: str, tmp_path: Path
) -> None:
    url = fresh_database()

    async def prepare() -> None:
        connection = await asyncpg.connect(url)
        await users.add_user(connection, "admin", test_key_hash, ["all", "customer/password_hash"])
        legacy = hashlib.md5(b"salt" + LEGACY_KEY.encode()).hexdigest() + ":salt"
        await users.add_user(connection, "legacy", legacy, ["customer"])
        await connection.close()

    run_apart(prepare())
    port = free_port()
    log = tmp_path / "gateway.log"
    with log.open("w") as sink:
        server = start_gateway(
            url,
            port,
            env={"GATEWAY_LOG_LEVEL": "DEBUG", "GATEWAY_LOGIN_SLOWDOWN": "0"},
            output=sink,
        )
    secrets: list[str] = [
        TEST_KEY,
        LEGACY_KEY,
        CUSTOMER_PASSWORD,
        NEW_PASSWORD,
        IMPORTED_HASH,
        WRONG_KEY,
    ]
    try:
        wait_ready(port, server)

        def rpc(method: str, params: Any, headers: dict[str, str] | None = None) -> Any:
            body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
            return post(port, body, headers)

        sid = rpc("login", ["admin", TEST_KEY])["result"]
        legacy_sid = rpc("login", ["legacy", LEGACY_KEY])["result"]
        rpc("login", ["admin", WRONG_KEY])
        secrets += [sid, legacy_sid]
        customer = rpc(
            "call",
            [
                sid,
                "customer.create",
                [
                    {
                        "email": "s@x.com",
                        "firstname": "S",
                        "lastname": "T",
                        "website_id": 1,
                        "password": CUSTOMER_PASSWORD,
                    }
                ],
            ],
        )["result"]
        rpc(
            "call",
            [
                sid,
                "customer.create",
                [
                    {
                        "email": "i@x.com",
                        "firstname": "I",
                        "lastname": "J",
                        "website_id": 1,
                        "password_hash": IMPORTED_HASH,
                    }
                ],
            ],
        )
        rpc("call", [sid, "customer.update", [customer, {"password": NEW_PASSWORD}]])
        rpc("call", [sid, "customer.list", []])
        rpc("multiCall", [sid, [["customer.info", [customer]], ["customer.info", [999]]]])
        rpc("call", [sid, "customer.create", [{"password": "short"}]])
        basic = "Basic " + base64.b64encode(f"admin:{TEST_KEY}".encode()).decode()
        secrets.append(basic.split()[1])
        rpc("call", [None, "customer.count", []], headers={"Authorization": basic})
        for header in (f"Bearer {sid}", basic):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/rest/customers",
                headers={"Authorization": header, "Accept": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                assert response.status == 200
        rpc("endSession", [sid])
        rpc("call", [sid, "customer.count", []])
        # A header over aiohttp's limit, holding an admin's Basic credentials: refused (400),
        # and its raw bytes must not reach the log.
        oversized = "Basic " + base64.b64encode(f"admin:{TEST_KEY}".encode()).decode() * 300
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(
                b"POST /api/jsonrpc HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + oversized.encode()
                + b"\r\nContent-Length: 2\r\n\r\n{}"
            )
            assert raw.recv(1024).split(b"\r\n")[0].endswith(b" 400 Bad Request")
        # An API path a client invented, a megabyte long: the log books it as "other".
        rpc("call", [None, "x" * 1_000_000, []], headers={"Authorization": basic})
    finally:
        server.terminate()
        server.wait(timeout=30)
    secrets += _fetch_secrets(url)  # the Argon2id hashes the run stored
    text = log.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert sum('"message":"request"' in line for line in lines) >= 14
    assert len(text) < 200_000, "the log grew with what clients sent"
    leaked = [secret for secret in secrets if secret in text]
    assert leaked == []
    print(
        f"\nlogs: {len(lines)} lines of a full run at DEBUG searched for {len(secrets)} "
        "secrets (keys, passwords, hashes, session ids, Basic credentials): none found"
    )
