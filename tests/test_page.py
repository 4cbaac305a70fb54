"""The API page in a real headless Chromium (Debian's, driven by Playwright) at a laptop's and
a phone's width, its failure cases, and a call from a second origin through CORS."""

import base64
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, Route, async_playwright

from gateway.app import create_app
from gateway.auth import users
from gateway.settings import Settings
from tests.conftest import TEST_KEY

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
# Where `make screenshots` wants the page's pictures (docs/); unset, none are taken.
SCREENSHOTS = os.environ.get("GATEWAY_SCREENSHOTS")
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


# A page of any origin that makes the gateway act without reading its answers: "simple"
# requests a browser sends without a preflight (text/plain, no-cors), credentials included.
ATTACK_PAGE = """<!doctype html><html><body><p id="out">waiting</p><script>
const gateway = new URLSearchParams(location.search).get("gateway");
const guess = JSON.stringify({jsonrpc: "2.0", method: "login", params: ["admin", "guess"], id: 1});
Promise.all(Array.from({length: 8}, () => fetch(gateway + "/api/jsonrpc", {
  method: "POST", mode: "no-cors", credentials: "include", body: guess})))
  .then(() => { document.getElementById("out").textContent = "sent"; })
  .catch(e => { document.getElementById("out").textContent = "failed " + e; });
</script></body></html>"""


# A page of another origin that frames the gateway's page, as a clickjacking page would.
FRAMING_PAGE = """<!doctype html><html><body>
<iframe id="framed" src="" width="800" height="600"></iframe><script>
document.getElementById("framed").src = new URLSearchParams(location.search).get("gateway") + "/";
</script></body></html>"""


@pytest.fixture
async def shop(aiohttp_server: Any) -> TestServer:
    """The second origin: serves the shop page, and a page that attacks."""
    credentials = base64.b64encode(f"admin:{TEST_KEY}".encode()).decode()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=SHOP_PAGE % credentials, content_type="text/html")

    async def attack(request: web.Request) -> web.Response:
        return web.Response(text=ATTACK_PAGE, content_type="text/html")

    async def framing(request: web.Request) -> web.Response:
        return web.Response(text=FRAMING_PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/attack", attack)
    app.router.add_get("/frame", framing)
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


# The two windows the page is made for: a laptop's, and a phone's (as a phone shows pages).
WINDOWS = {
    "1280x800": {"viewport": {"width": 1280, "height": 800}},
    "390x844": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(**WINDOWS["1280x800"])
    yield await context.new_page()
    await context.close()


async def open_page(page: Page, gateway: TestServer) -> None:
    await page.goto(f"http://127.0.0.1:{gateway.port}/")
    await page.wait_for_selector("#methods button[data-method='customer.info']")


async def log_in(page: Page) -> None:
    await page.fill("#username", "admin")
    await page.fill("#api-key", TEST_KEY)
    await page.click("#login")
    await page.wait_for_function(
        "document.getElementById('session').textContent.startsWith('Logged in')"
    )


async def send(page: Page, method: str, params: str) -> None:
    await page.click(f"#methods button[data-method='{method}']")
    await page.fill("#params", params)
    await page.click("#send")
    await page.wait_for_function(
        "!['', 'Sending…'].includes(document.getElementById('status').textContent)"
    )


async def test_the_page_lists_methods_logs_in_and_sends_calls(
    page: Page, gateway: TestServer
) -> None:
    await open_page(page, gateway)
    listed = await page.locator("#methods button").all_text_contents()
    assert {"login", "call", "multiCall", "customer.list", "customer_address.create"} <= set(listed)
    assert {"store.list", "directory_country.list", "directory_region.list"} <= set(listed)
    await log_in(page)
    assert await page.text_content("#session") == "Logged in as admin."

    await send(page, "customer_group.list", "[]")
    assert await page.text_content("#status") == "OK"
    assert "NOT LOGGED IN" in await page.text_content("#result")

    await send(page, "customer.info", "[404]")
    assert (await page.text_content("#status") or "").startswith("Fault 102")
    assert "customer_not_exists" in await page.text_content("#result")


async def test_the_page_shows_a_failed_login(page: Page, gateway: TestServer) -> None:
    await open_page(page, gateway)
    await page.fill("#username", "admin")
    await page.fill("#api-key", "wrong")
    await page.click("#login")
    await page.wait_for_function(
        "document.getElementById('status').textContent.startsWith('Fault 2')"
    )
    assert await page.text_content("#session") == "Not logged in."


async def test_enter_in_the_key_field_logs_in(page: Page, gateway: TestServer) -> None:
    await open_page(page, gateway)
    await page.fill("#username", "admin")
    await page.fill("#api-key", TEST_KEY)
    await page.press("#api-key", "Enter")
    await page.wait_for_function(
        "document.getElementById('session').textContent.startsWith('Logged in')"
    )


async def test_the_session_id_is_never_shown(page: Page, gateway: TestServer) -> None:
    await open_page(page, gateway)
    await log_in(page)
    session_shape = re.compile(r"[0-9a-f]{64}")
    assert not session_shape.search(await page.inner_text("body"))
    # Nor when login is chosen from the method list and sent as a call.
    await send(page, "login", json.dumps({"username": "admin", "apiKey": TEST_KEY}))
    assert await page.text_content("#status") == "OK"
    assert not session_shape.search(await page.inner_text("body"))
    await send(page, "customer_group.list", "{}")
    assert await page.text_content("#status") == "OK"


async def test_each_method_offers_its_example_from_openrpc(page: Page, gateway: TestServer) -> None:
    await open_page(page, gateway)
    document = await page.evaluate("fetch('/api/openrpc.json').then(r => r.json())")
    for method in document["methods"]:
        await page.click(f"#methods button[data-method='{method['name']}']")
        shown = json.loads(await page.input_value("#params"))
        example = {p["name"]: p["value"] for p in method["examples"][0]["params"]}
        example.pop("sessionId", None)
        assert shown == example, method["name"]
    # Sent as offered, the examples work: a customer is created, then read.
    await log_in(page)
    await page.click("#methods button[data-method='customer.create']")
    await page.click("#send")
    await page.wait_for_function("document.getElementById('status').textContent === 'OK'")
    await send(page, "directory_region.list", '{"country": "US"}')
    assert "California" in await page.text_content("#result")
    await page.click("#methods button[data-method='customer.info']")
    await page.click("#send")
    await page.wait_for_function(
        "document.getElementById('result').textContent.includes('alan@example.com')"
    )


@pytest.mark.parametrize("window", WINDOWS)
async def test_nothing_fails_on_load(browser: Browser, gateway: TestServer, window: str) -> None:
    context = await browser.new_context(**WINDOWS[window])
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    await open_page(page, gateway)
    await page.wait_for_load_state("networkidle")
    icon = await page.evaluate("fetch('/favicon.ico').then(r => r.status)")
    await context.close()
    assert problems == []
    assert icon == 200


async def create_long_customer(gateway: TestServer) -> None:
    """A customer whose values have no place to break a line."""
    url = f"http://127.0.0.1:{gateway.port}/api/jsonrpc"
    long_data = {
        "email": f"{'a' * 64}@{'b' * 60}.example.com",
        "firstname": "W" * 255,
        "lastname": "Lovelace-" * 28,
        "website_id": 1,
    }
    async with aiohttp.ClientSession() as http:
        login = {"jsonrpc": "2.0", "method": "login", "params": ["admin", TEST_KEY], "id": 1}
        async with http.post(url, json=login) as response:
            session = (await response.json())["result"]
        create = {
            "jsonrpc": "2.0",
            "method": "customer.create",
            "params": [session, long_data],
            "id": 2,
        }
        async with http.post(url, json=create) as response:
            assert (await response.json())["result"] == 1


@pytest.mark.parametrize("window", WINDOWS)
async def test_a_customer_with_long_values_fits_the_window(
    browser: Browser, gateway: TestServer, window: str
) -> None:
    await create_long_customer(gateway)
    context = await browser.new_context(**WINDOWS[window])
    page = await context.new_page()
    await open_page(page, gateway)
    await log_in(page)
    await send(page, "customer.info", "[1]")
    assert "WWWWWWWW" in await page.text_content("#result")
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert await page.evaluate(fits), await page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    if SCREENSHOTS:  # `make screenshots`: the pictures in docs/ are these pages
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"page-{window}.png"), full_page=True)
    await context.close()


async def test_keyboard_focus_is_visible_in_the_method_list(
    page: Page, gateway: TestServer
) -> None:
    await open_page(page, gateway)
    await page.focus("#api-key")
    await page.keyboard.press("Tab")  # the Log in button
    await page.keyboard.press("Tab")  # the first method
    focused = await page.evaluate(
        """() => {
            const e = document.activeElement, style = getComputedStyle(e);
            return {list: e.closest('#methods') !== null, visible: e.matches(':focus-visible'),
                    outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
        }"""
    )
    assert focused == {"list": True, "visible": True, "outline": "solid", "width": 3}
    await page.keyboard.press("Enter")  # choosing by keyboard works too
    chosen = await page.evaluate("document.activeElement.dataset.method")
    assert await page.input_value("#method") == chosen


async def test_a_gateway_that_went_away_is_reported_at_once(
    page: Page, gateway: TestServer
) -> None:
    await open_page(page, gateway)
    await gateway.close()
    await page.fill("#username", "admin")
    await page.fill("#api-key", TEST_KEY)
    await page.press("#api-key", "Enter")
    await page.wait_for_function(
        "document.getElementById('status').textContent.includes('cannot be reached')",
        timeout=3000,
    )
    assert await page.get_attribute("#status", "class") == "fault"


async def test_a_gateway_that_does_not_answer_is_reported_within_seconds(
    page: Page, gateway: TestServer
) -> None:
    await open_page(page, gateway)
    held: list[Route] = []

    async def hold(route: Route) -> None:  # the request is never answered
        held.append(route)

    await page.route("**/api/jsonrpc", hold)
    await page.click("#send")
    await page.wait_for_function(
        "document.getElementById('status').textContent.includes('did not answer within 6 s')",
        timeout=9000,
    )
    assert held


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


async def test_a_foreign_page_cannot_make_the_gateway_act(
    page: Page, gateway: TestServer, shop: TestServer
) -> None:
    target = f"http://127.0.0.1:{gateway.port}"
    await page.goto(f"http://localhost:{shop.port}/attack?gateway={target}")
    await page.wait_for_function("document.getElementById('out').textContent !== 'waiting'")
    assert await page.text_content("#out") == "sent"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{target}/metrics") as response:
            metrics = await response.text()
        # Every guess reached the gateway and was refused before it ran: admin is not locked out.
        assert 'gateway_http_requests_total{endpoint="other",status="403"} 8.0' in metrics
        login = {"jsonrpc": "2.0", "method": "login", "params": ["admin", TEST_KEY], "id": 1}
        async with http.post(f"{target}/api/jsonrpc", json=login) as response:
            assert "result" in await response.json()


async def test_another_page_cannot_frame_the_api_page(
    page: Page, gateway: TestServer, shop: TestServer
) -> None:
    target = f"http://127.0.0.1:{gateway.port}"
    async with page.expect_console_message(lambda m: "frame-ancestors" in m.text, timeout=60_000):
        await page.goto(f"http://localhost:{shop.port}/frame?gateway={target}")
    framed = [frame for frame in page.frames if frame is not page.main_frame]
    assert len(framed) == 1
    # Chromium shows its own error page in the frame instead of the API page.
    assert await framed[0].locator("#methods").count() == 0
