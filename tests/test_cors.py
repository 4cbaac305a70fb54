"""CORS for the configured browser origins, preflight included."""

import base64

import orjson
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


EVIL = {"Origin": "http://evil.example.test"}
CREATE = {"email": "mallory@example.com", "firstname": "M", "lastname": "M", "website_id": 1}


async def test_a_foreign_origin_is_refused_before_anything_runs_on_every_front_end(
    api: Api, sid: str
) -> None:
    body = {"jsonrpc": "2.0", "method": "customer.create", "params": [sid, CREATE], "id": 1}
    # As a browser sends it without a preflight: text/plain.
    text = {"Content-Type": "text/plain", **EVIL}
    response = await api.client.post("/api/jsonrpc", data=orjson.dumps(body), headers=text)
    assert response.status == 403 and "Origin" in response.headers.getall("Vary")
    credentials = base64.b64encode(f"admin:{api.key}".encode()).decode()
    basic = {"Authorization": f"Basic {credentials}", **EVIL}
    response = await api.client.post("/api/rest/customers", json=CREATE, headers=basic)
    assert response.status == 403
    response = await api.client.get("/api/rest/customers", headers=basic)
    assert response.status == 403
    soap = b"<Envelope xmlns='http://schemas.xmlsoap.org/soap/envelope/'><Body/></Envelope>"
    for path in ("/api/soap/", "/api/v2_soap/", "/api/v2_soap_wsi/"):
        response = await api.client.post(path, data=soap, headers=text)
        assert response.status == 403, path
    assert await api.fetch("SELECT 1 FROM customer") == []


async def test_wrong_logins_from_a_foreign_page_do_not_count(api: Api) -> None:
    await api.add_user("admin", ["all"])
    body = {"jsonrpc": "2.0", "method": "login", "params": ["admin", "guess"], "id": 1}
    for _ in range(10):
        response = await api.client.post("/api/jsonrpc", json=body, headers=EVIL)
        assert response.status == 403
    assert await api.login("admin")


async def test_the_gateways_own_origin_and_requests_without_one_pass(api: Api, sid: str) -> None:
    own = str(api.client.make_url("/")).rstrip("/")
    body = {"jsonrpc": "2.0", "method": "call", "params": [sid, "customer.count"], "id": 1}
    for headers in ({"Origin": own}, {"Origin": ALLOWED}, {}):
        response = await api.client.post("/api/jsonrpc", json=body, headers=headers)
        assert response.status == 200 and (await response.json())["result"] == 0, headers
    # The same host on another scheme or port is another origin.
    other_port = own.rsplit(":", 1)[0] + ":1"
    response = await api.client.post("/api/jsonrpc", json=body, headers={"Origin": other_port})
    assert response.status == 403


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
