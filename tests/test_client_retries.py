"""gateway.client's safe retries, through a proxy that loses answers, stands in for a gateway
that is away, or holds a call's key busy: every call carries a fresh Idempotency-Key, sent
again with the same bytes, and a write is done once whatever was lost."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.app import create_app
from gateway.client import GatewayClient
from gateway.settings import Settings
from tests.conftest import TEST_KEY
from tests.helpers import ADA, ADDRESS, Api

# What the proxy does with the first attempt of each call (by its key): "pass", "lose" (the
# gateway runs it, the answer never reaches the client), "away" (a 503 of the proxy's own) or
# "busy" (the call's key is held by another request while the gateway runs it).
Behaviour = str


class Proxy:
    """Forwards /api/jsonrpc to the gateway, misbehaving once per key as told."""

    def __init__(self, gateway: str, pool: asyncpg.Pool, first_attempt: Behaviour) -> None:
        self.gateway = gateway
        self.pool = pool
        self.first_attempt = first_attempt
        self.seen: Counter[str] = Counter()
        self.bodies: dict[str, set[bytes]] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        key = request.headers.get("Idempotency-Key")
        behaviour = "pass"
        if key is not None:
            self.seen[key] += 1
            self.bodies.setdefault(key, set()).add(body)
            if self.seen[key] == 1:
                behaviour = self.first_attempt
        if behaviour == "away":
            return web.Response(status=503, text="no gateway")
        if behaviour == "busy":
            return await self._while_busy(request, body, key or "")
        status, content_type, answer = await self._forward(request, body)
        if behaviour == "lose":
            assert request.transport is not None
            request.transport.close()  # done, and the answer is lost on the way back
            return web.Response()
        return web.Response(status=status, body=answer, content_type=content_type)

    async def _forward(self, request: web.Request, body: bytes) -> tuple[int, str, bytes]:
        headers = {k: v for k, v in request.headers.items() if k in ("Idempotency-Key",)}
        headers["Content-Type"] = "application/json"
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.gateway + "/api/jsonrpc", data=body, headers=headers) as response,
        ):
            return response.status, response.content_type, await response.read()

    async def _while_busy(self, request: web.Request, body: bytes, key: str) -> web.Response:
        """Forward while another request (this transaction) holds the same key."""
        async with self.pool.acquire() as connection:
            other = connection.transaction()
            await other.start()
            await connection.execute(
                "INSERT INTO api_idempotency (user_id, key, digest, expires_at)"
                " SELECT user_id, $1, '\\x00', now() + interval '1 hour'"
                " FROM api_user WHERE username = 'bot'",
                key,
            )
            status, content_type, answer = await self._forward(request, body)
            await other.rollback()
        return web.Response(status=status, body=answer, content_type=content_type)


ProxyFactory = Callable[[Behaviour], Awaitable[tuple[Proxy, str]]]


@pytest.fixture
async def through_proxy(
    aiohttp_server: Any, settings: Settings, pool: asyncpg.Pool, api: Api
) -> ProxyFactory:
    await api.add_user("bot", ["all"])
    # Statements (and so waits on a busy key) may run one second.
    gateway: TestServer = await aiohttp_server(
        create_app(settings.model_copy(update={"db_command_timeout": 1.0}), pool)
    )

    async def start(first_attempt: Behaviour) -> tuple[Proxy, str]:
        proxy = Proxy(str(gateway.make_url("")).rstrip("/"), pool, first_attempt)
        app = web.Application()
        app.router.add_post("/api/jsonrpc", proxy.handle)
        server: TestServer = await aiohttp_server(app)
        return proxy, str(server.make_url("")).rstrip("/")

    return start


async def test_a_lost_answer_is_asked_again_and_the_write_is_done_once(
    through_proxy: ProxyFactory, api: Api
) -> None:
    proxy, url = await through_proxy("lose")
    async with GatewayClient(url, "bot", TEST_KEY, backoff=0.01) as gw:
        created = await gw.call("customer.create", ADA)
        slots = await gw.multi_call(
            [("customer_address.create", [created, ADDRESS])] * 2, atomic=True
        )
    assert created == 1 and slots == [1, 2]
    assert await api.fetchval("SELECT count(*) FROM customer") == 1
    assert await api.fetchval("SELECT count(*) FROM customer_address") == 2
    # Each call had a key of its own, sent twice with the same bytes.
    assert len(proxy.seen) == 2 and set(proxy.seen.values()) == {2}
    assert all(len(bodies) == 1 for bodies in proxy.bodies.values())


async def test_a_gateway_away_behind_its_proxy_is_tried_again(
    through_proxy: ProxyFactory, api: Api
) -> None:
    proxy, url = await through_proxy("away")
    async with GatewayClient(url, "bot", TEST_KEY, backoff=0.01) as gw:
        assert await gw.call("customer.create", ADA) == 1
        assert (await gw.call("customer.info", 1))["email"] == ADA["email"]
    assert set(proxy.seen.values()) == {2}


async def test_a_retryable_fault_is_retried_after_the_pause_asked_for(
    through_proxy: ProxyFactory, api: Api
) -> None:
    proxy, url = await through_proxy("busy")
    async with GatewayClient(url, "bot", TEST_KEY, backoff=0.01) as gw:
        started = asyncio.get_running_loop().time()
        assert await gw.call("customer.create", ADA) == 1
        waited = asyncio.get_running_loop().time() - started
    # The first answer was request_in_progress with retry_after 1: the client waited so.
    assert waited >= 1.0
    assert set(proxy.seen.values()) == {2}
    assert await api.fetchval("SELECT count(*) FROM customer") == 1


async def test_retries_are_bounded(through_proxy: ProxyFactory) -> None:
    _, url = await through_proxy("pass")
    async with GatewayClient(url, "bot", TEST_KEY) as gw:
        gw.endpoint = url + "/nowhere"  # a 404 of the proxy: not worth a retry, raised
        with pytest.raises(aiohttp.ClientResponseError):
            await gw.call("customer.count")
    unreachable = GatewayClient("http://127.0.0.1:9", "bot", TEST_KEY, retries=2, backoff=0.01)
    with pytest.raises(aiohttp.ClientConnectionError):
        async with unreachable:
            pass
