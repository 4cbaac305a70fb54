"""CORS for the configured browser origins, preflight included."""

import pytest

from gateway.settings import Settings
from tests.conftest import make_settings
from tests.helpers import Api

ALLOWED = "http://shop.example.test"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, authorization",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, cors_origins=f"{ALLOWED}, http://other.example.test")


async def test_origins_are_read_from_a_comma_separated_variable(settings: Settings) -> None:
    assert settings.cors_origins == [ALLOWED, "http://other.example.test"]


async def test_preflight_for_json_post_with_authorization(api: Api) -> None:
    response = await api.client.options("/api/jsonrpc", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


async def test_actual_request_from_an_allowed_origin(api: Api, sid: str) -> None:
    response = await api.client.post(
        "/api/jsonrpc",
        json={"jsonrpc": "2.0", "method": "call", "params": [sid, "customer_group.list"], "id": 1},
        headers={"Origin": ALLOWED},
    )
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert (await response.json())["result"][0]["customer_group_id"] == 0


async def test_other_origins_get_no_cors_headers(api: Api) -> None:
    response = await api.client.options(
        "/api/jsonrpc", headers={"Origin": "http://evil.example.test", **PREFLIGHT}
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    response = await api.client.post(
        "/api/jsonrpc",
        json={"jsonrpc": "2.0", "method": "x", "id": 1},
        headers={"Origin": "http://evil.example.test"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_answers_that_depend_on_the_origin_say_so(api: Api) -> None:
    body = {"jsonrpc": "2.0", "method": "x", "id": 1}
    for origin in (ALLOWED, "http://evil.example.test", None):
        headers = {"Origin": origin} if origin else {}
        response = await api.client.post("/api/jsonrpc", json=body, headers=headers)
        assert response.headers.getall("Vary") == ["Origin"]
    preflight = await api.client.options("/api/jsonrpc", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert "Origin" in preflight.headers.getall("Vary")
    listed = await api.client.get("/api/rest/customers", headers={"Origin": ALLOWED})
    assert "Origin" in listed.headers.getall("Vary")


async def test_rest_has_cors_too(api: Api) -> None:
    response = await api.client.options(
        "/api/rest/customers",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
