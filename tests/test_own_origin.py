"""The gateway's own origin is taken from settings, never from what a request says: a page
that rebinds its name to the gateway's address (DNS rebinding) sends matching ``Host`` and
``Origin`` headers, and is refused like any foreign page."""

from typing import Any

import pydantic
import pytest

from gateway.settings import Settings
from tests.conftest import make_settings
from tests.helpers import Api

BODY = {"jsonrpc": "2.0", "method": "login", "params": ["admin", "wrong"], "id": 1}


async def post(api: Api, host: str, origin: str) -> int:
    response = await api.client.post(
        "/api/jsonrpc", json=BODY, headers={"Host": host, "Origin": origin}
    )
    return response.status


async def test_a_rebinding_page_is_refused_before_anything_runs(api: Api) -> None:
    await api.add_user("admin", ["all"])
    port = api.client.port
    for _ in range(10):  # wrong logins, which would lock the user out from this address
        assert await post(api, f"evil.example:{port}", f"http://evil.example:{port}") == 403
    assert await api.fetchval("SELECT count(*) FROM api_login_failure") == 0
    assert len(await api.login("admin")) == 64
    # The gateway's own page at a loopback name is its own origin.
    for name in ("127.0.0.1", "localhost"):
        assert await post(api, f"{name}:{port}", f"http://{name}:{port}") == 200


@pytest.mark.parametrize(
    "settings",
    [{"public_url": "https://API.shop.example/, http://gw.internal:8080"}],
    indirect=True,
)
async def test_public_urls_are_the_gateways_only_origins(api: Api, settings: Settings) -> None:
    assert settings.public_url == ["https://api.shop.example", "http://gw.internal:8080"]
    port = api.client.port
    assert await post(api, "api.shop.example", "https://api.shop.example") == 200
    assert await post(api, "gw.internal:8080", "http://gw.internal:8080") == 200
    # A listed origin with another Host, and a loopback one not listed, are not its own.
    assert await post(api, "evil.example", "https://api.shop.example") == 403
    assert await post(api, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}") == 403
    # Documents name the public address the client used, or the first.
    response = await api.client.get("/api/openrpc.json", headers={"Host": "gw.internal:8080"})
    assert (await response.json())["servers"][0]["url"] == "http://gw.internal:8080/api/jsonrpc"
    response = await api.client.get("/api/openrpc.json", headers={"Host": "evil.example"})
    assert (await response.json())["servers"][0]["url"] == "https://api.shop.example/api/jsonrpc"


@pytest.mark.parametrize("value", ["shop.example", "ftp://shop.example", "https://"])
def test_a_public_url_must_be_an_origin(database_url: str, value: Any) -> None:
    with pytest.raises(pydantic.ValidationError):
        make_settings(database_url, public_url=value)
