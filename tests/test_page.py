"""The API page in a real headless Chromium (Debian's, driven by Playwright), and a call from
a second origin through CORS."""

import base64
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright

from gateway.app import create_app
from gateway.auth import users
from gateway.settings import Settings
from tests.conftest import TEST_KEY

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
# Without these Chromium keeps trying to reach the internet, which this machine refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A page of another origin that calls the gateway with fetch(), as a shop's frontend would.
SHOP_PAGE = """<!doctype html><html><body><p id="out">waiting</p><script>
const gateway = new URLSearchParams(location.search).get("gateway");
fetch(gateway + "/api/jsonrpc", {
  method: "POST",
  headers: {"Content-Type": "application/json", "Authorization": "Basic %s"},
  body: JSON.stringify({jsonrpc: "2.0", method: "call",
                        params: [null, "customer_group.list"], id: 1}),
}).then(r => r.json())
  .then(a => { document.getElementById("out").textContent = a.result[1].customer_group_code; })
  .catch(e => { document.getElementById("out").textContent = "blocked"; });
</script></body></html>"""


@pytest.fixture
async def shop(aiohttp_server: Any) -> TestServer:
    """The second origin: serves the shop page."""
    credentials = base64.b64encode(f"admin:{TEST_KEY}".encode()).decode()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=SHOP_PAGE % credentials, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    server: TestServer = await aiohttp_server(app)
    return server


@pytest.fixture
async def gateway(
    aiohttp_server: Any,
    settings: Settings,
    pool: asyncpg.Pool,
    shop: TestServer,
    test_key_hash: str,
) -> TestServer:
    async with pool.acquire() as connection:
        await users.add_user(connection, "admin", test_key_hash, ["all"])
    allowed = f"http://127.0.0.1:{shop.port}"
    app = create_app(settings.model_copy(update={"cors_origins": [allowed]}), pool)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    yield await context.new_page()
    await context.close()


async def test_the_page_lists_methods_logs_in_and_sends_calls(
    page: Page, gateway: TestServer
) -> None:
    await page.goto(f"http://127.0.0.1:{gateway.port}/")
    await page.wait_for_selector("#methods button[data-method='customer.info']")
    listed = await page.locator("#methods button").all_text_contents()
    assert {"login", "call", "multiCall", "customer.list", "customer_address.create"} <= set(listed)

    await page.fill("#username", "admin")
    await page.fill("#api-key", TEST_KEY)
    await page.click("#login")
    await page.wait_for_function(
        "document.getElementById('session').textContent.startsWith('Session')"
    )

    await page.click("#methods button[data-method='customer_group.list']")
    await page.fill("#params", "[]")
    await page.click("#send")
    await page.wait_for_function("document.getElementById('status').textContent === 'OK'")
    assert "NOT LOGGED IN" in await page.text_content("#result")

    await page.click("#methods button[data-method='customer.info']")
    await page.fill("#params", "[404]")
    await page.click("#send")
    await page.wait_for_function(
        "document.getElementById('status').textContent.startsWith('Fault 102')"
    )
    assert "customer_not_exists" in await page.text_content("#result")


async def test_the_page_shows_a_failed_login(page: Page, gateway: TestServer) -> None:
    await page.goto(f"http://127.0.0.1:{gateway.port}/")
    await page.fill("#username", "admin")
    await page.fill("#api-key", "wrong")
    await page.click("#login")
    await page.wait_for_function(
        "document.getElementById('status').textContent.startsWith('Fault 2')"
    )
    assert await page.text_content("#session") == "Not logged in."


async def test_a_call_from_an_allowed_second_origin(
    page: Page, gateway: TestServer, shop: TestServer
) -> None:
    target = f"http://127.0.0.1:{gateway.port}"
    await page.goto(f"http://127.0.0.1:{shop.port}/?gateway={target}")
    await page.wait_for_function("document.getElementById('out').textContent !== 'waiting'")
    assert await page.text_content("#out") == "General"


async def test_a_call_from_an_origin_not_allowed_is_blocked(
    page: Page, gateway: TestServer, shop: TestServer
) -> None:
    # localhost is another origin than 127.0.0.1, and it is not in GATEWAY_CORS_ORIGINS.
    target = f"http://127.0.0.1:{gateway.port}"
    await page.goto(f"http://localhost:{shop.port}/?gateway={target}")
    await page.wait_for_function("document.getElementById('out').textContent !== 'waiting'")
    assert await page.text_content("#out") == "blocked"
