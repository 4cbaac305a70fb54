"""Without GATEWAY_CORS_ORIGINS no origin is allowed; '*' never comes with credentials."""

from typing import Any

from gateway.app import create_app
from gateway.settings import Settings
from tests.helpers import Api

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Origin": "http://shop.example.test"}


async def test_no_origin_is_allowed_by_default(api: Api) -> None:
    response = await api.client.options("/api/jsonrpc", headers=PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response.headers
    response = await api.client.post(
        "/api/jsonrpc",
        json={"jsonrpc": "2.0", "method": "x", "id": 1},
        headers={"Origin": "http://shop.example.test"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.status == 403


async def test_a_wildcard_origin_never_allows_credentials(
    aiohttp_client: Any, settings: Settings, pool: Any
) -> None:
    open_settings = settings.model_copy(update={"cors_origins": ["*"]})
    client = await aiohttp_client(create_app(open_settings, pool))
    response = await client.options("/api/jsonrpc", headers=PREFLIGHT)
    assert response.headers.get("Access-Control-Allow-Credentials") != "true"


async def test_a_wildcard_lets_every_origin_call(
    aiohttp_client: Any, settings: Settings, pool: Any
) -> None:
    open_settings = settings.model_copy(update={"cors_origins": ["*"]})
    client = await aiohttp_client(create_app(open_settings, pool))
    body = {"jsonrpc": "2.0", "method": "x", "id": 1}
    response = await client.post("/api/jsonrpc", json=body, headers={"Origin": "http://a.test"})
    assert response.status == 200


async def test_without_allowed_origins_only_the_gateways_own_may_call(api: Api) -> None:
    body = {"jsonrpc": "2.0", "method": "x", "id": 1}
    foreign = {"Origin": "http://shop.example.test"}
    assert (await api.client.post("/api/jsonrpc", json=body, headers=foreign)).status == 403
    own = {"Origin": str(api.client.make_url("/")).rstrip("/")}
    assert (await api.client.post("/api/jsonrpc", json=body, headers=own)).status == 200
