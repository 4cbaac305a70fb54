"""Test helpers: JSON-RPC requests over the test client's real HTTP connection."""

import asyncio
import contextlib
import io
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import orjson
from aiohttp.test_utils import TestClient

from gateway.app import LISTENER_NAME
from gateway.auth import users
from gateway.http.exchange import SERVICES

ENDPOINT = "/api/jsonrpc"

# A customer and an address every test may create as they are (or with a field changed).
ADA = {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace", "website_id": 1}
ADDRESS = {
    "firstname": "Ada",
    "lastname": "Lovelace",
    "street": ["1 Main St"],
    "city": "London",
    "country_id": "GB",
    "postcode": "N1",
    "telephone": "1",
}


async def until(condition: Callable[[], bool], failure: str, seconds: float = 5.0) -> None:
    """Wait for ``condition``, at most ``seconds`` (a deadline, not a benchmark)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, failure
        await asyncio.sleep(0.01)


class Api:
    """Sends JSON-RPC requests and unpacks the answers, failing loudly on surprises."""

    def __init__(
        self, client: TestClient[Any, Any], pool: asyncpg.Pool, key_hash: str, key: str
    ) -> None:
        self.client = client
        self.pool = pool
        self.key_hash = key_hash
        self.key = key
        self._ids = itertools.count(1)

    async def post(self, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """POST a body (bytes as they are, anything else as JSON): (status, parsed answer)."""
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        response = await self.client.post(ENDPOINT, data=io.BytesIO(data), headers=headers or {})
        raw = await response.read()
        return response.status, (orjson.loads(raw) if raw else None)

    async def request(self, method: str, params: Any = None, **extra: Any) -> dict[str, Any]:
        """One request with an id; the whole response object."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": next(self._ids)}
        if params is not None:
            body["params"] = params
        status, answer = await self.post(body, **extra)
        assert status == 200, (status, answer)
        assert answer["id"] == body["id"]
        return dict(answer)

    async def result(self, method: str, params: Any = None, **extra: Any) -> Any:
        answer = await self.request(method, params, **extra)
        assert "error" not in answer, answer
        return answer["result"]

    async def error(self, method: str, params: Any = None, **extra: Any) -> dict[str, Any]:
        answer = await self.request(method, params, **extra)
        assert "result" not in answer, answer
        return dict(answer["error"])

    async def call(self, sid: str | None, path: str, args: Any = None) -> Any:
        return await self.result("call", [sid, path, args])

    async def fault(self, sid: str | None, path: str, args: Any = None) -> dict[str, Any]:
        return await self.error("call", [sid, path, args])

    async def add_user(self, name: str, resources: list[str]) -> None:
        async with self.pool.acquire() as connection:
            await users.add_user(connection, name, self.key_hash, resources)

    async def login(self, name: str, key: str | None = None) -> str:
        session_id: str = await self.result("login", [name, key or self.key])
        return session_id

    @contextlib.asynccontextmanager
    async def _untimed(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection of the test's pool without the statement timeout the test gives the
        gateway: a test's own setup is not what it tests, and may take its time."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("SET LOCAL statement_timeout = 0")
            yield connection

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self._untimed() as connection:
            return list(await connection.fetch(sql, *args))

    async def execute(self, sql: str, *args: Any) -> None:
        async with self._untimed() as connection:
            await connection.execute(sql, *args)

    async def expire_sessions(self) -> None:
        """Every session gone on the server, and so, once the notice has come, from the
        gateway's memory too."""
        await self.execute("DELETE FROM api_session")
        cache = self.client.app[SERVICES].sessions
        await until(lambda: not cache._entries, "the gateway never heard the sessions ended")

    async def drop_the_listener(self) -> None:
        """The gateway's listening connection killed, as a network fault would; returns once
        the gateway knows (it serves nothing from memory until it listens again, 1 s later)."""
        await self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            LISTENER_NAME,
        )
        stores = self.client.app[SERVICES].stores
        await until(lambda: not stores.listening, "the gateway never noticed its listener gone")

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self._untimed() as connection:
            return await connection.fetchval(sql, *args)


def fault_name(error: dict[str, Any]) -> str:
    return str(error["data"]["fault"])
