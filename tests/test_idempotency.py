"""Idempotency keys: a write sent again under its ``Idempotency-Key`` gets the first answer
again and runs once, on every front-end; another request under the same key is refused; a
request that comes while the first still runs waits for it; keys are per API user; reads
ignore them; expired keys are forgotten."""

import asyncio
import base64
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.helpers import ADA, ADDRESS, Api, fault_name
from tests.test_soap import envelope, fault_of, soap, string


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def post(api: Api, body: Any, key: str, **headers: str) -> tuple[Any, Any, bytes]:
    """POST a JSON-RPC body under ``key``: (response, parsed answer, raw bytes)."""
    response = await api.client.post(
        "/api/jsonrpc", data=orjson.dumps(body), headers={**keyed(key), **headers}
    )
    raw = await response.read()
    return response, orjson.loads(raw), raw


async def count(api: Api, table: str) -> int:
    return len(await api.fetch(f"SELECT 1 FROM {table}"))


def create_request(sid: str | None, data: dict[str, Any] = ADA, id_: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "customer.create", "params": [sid, data], "id": id_}


async def test_a_keyed_create_sent_again_gets_the_first_answer_and_runs_once(
    api: Api, sid: str
) -> None:
    first, answer, raw = await post(api, create_request(sid), "create-ada")
    assert answer["result"] == 1 and "Idempotent-Replayed" not in first.headers
    again, _, raw_again = await post(api, create_request(sid), "create-ada")
    assert raw_again == raw and again.headers["Idempotent-Replayed"] == "true"
    assert again.content_type == "application/json"
    assert await count(api, "customer") == 1


async def test_the_same_key_for_another_request_is_refused(api: Api, sid: str) -> None:
    await post(api, create_request(sid), "k1")
    other = {**ADA, "email": "grace@example.com"}
    _, answer, _ = await post(api, create_request(sid, other), "k1")
    error = answer["error"]
    assert (error["code"], fault_name(error)) == (9, "idempotency_key_reused")
    assert await count(api, "customer") == 1
    # A JSON-RPC request is its bytes: the same call under another id is another request.
    _, answer, _ = await post(api, create_request(sid, id_=2), "k1")
    assert fault_name(answer["error"]) == "idempotency_key_reused"


async def test_keys_are_per_api_user(api: Api) -> None:
    await api.add_user("bot-a", ["all"])
    await api.add_user("bot-b", ["all"])

    def basic(user: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{api.key}".encode()).decode()

    # Byte for byte the same request (no session id in it), from two users, one key.
    body = create_request(None)
    _, first, _ = await post(api, body, "shared", Authorization=basic("bot-a"))
    assert first["result"] == 1
    response, second, _ = await post(api, body, "shared", Authorization=basic("bot-b"))
    assert "Idempotent-Replayed" not in response.headers  # bot-b's own request ran
    assert fault_name(second["error"]) == "customer_exists"


async def test_reads_ignore_the_key(api: Api, sid: str) -> None:
    body = {"jsonrpc": "2.0", "method": "customer.count", "params": [sid], "id": 1}
    for _ in range(2):
        response, answer, _ = await post(api, body, "a-read")
        assert answer["result"] == 0 and "Idempotent-Replayed" not in response.headers
    assert await count(api, "api_idempotency") == 0


async def test_a_malformed_key_is_refused_on_a_write(api: Api, sid: str) -> None:
    for key in ("", "x" * 256, "with space"):
        _, answer, _ = await post(api, create_request(sid), key)
        assert fault_name(answer["error"]) == "invalid_request_param", key
    assert await count(api, "customer") == 0


async def test_a_fault_is_an_answer_too(api: Api, sid: str) -> None:
    bad = {**ADA, "email": "not an address"}
    _, answer, raw = await post(api, create_request(sid, bad), "bad-one")
    assert fault_name(answer["error"]) == "customer_data_invalid"
    again, _, raw_again = await post(api, create_request(sid, bad), "bad-one")
    assert raw_again == raw and again.headers["Idempotent-Replayed"] == "true"


async def test_address_creates_and_multicalls_run_once(api: Api, sid: str) -> None:
    customer = await api.call(sid, "customer.create", [ADA])
    calls = [["customer_address.create", [customer, ADDRESS]] for _ in range(3)]
    body = {
        "jsonrpc": "2.0",
        "method": "multiCall",
        "id": 7,
        "params": [sid, calls, {"atomic": True}],
    }
    _, answer, raw = await post(api, body, "three-addresses")
    assert answer["result"] == [1, 2, 3]
    again, _, raw_again = await post(api, body, "three-addresses")
    assert raw_again == raw and again.headers["Idempotent-Replayed"] == "true"
    assert await count(api, "customer_address") == 3
    # A batch is one request too.
    batch = [
        {
            "jsonrpc": "2.0",
            "method": "customer_address.create",
            "params": [sid, customer, ADDRESS],
            "id": n,
        }
        for n in (1, 2)
    ]
    for _ in range(2):
        _, answers, _ = await post(api, batch, "a-batch")
        assert [a["result"] for a in answers] == [4, 5]
    assert await count(api, "customer_address") == 5


async def test_a_request_under_a_key_in_use_waits_for_the_first(api: Api, sid: str) -> None:
    customer = await api.call(sid, "customer.create", [ADA])
    update = {
        "jsonrpc": "2.0",
        "method": "customer.update",
        "id": 1,
        "params": [sid, customer, {"firstname": "Augusta"}],
    }
    async with api.pool.acquire() as blocker, blocker.transaction():
        # The first request claims the key, then waits on this lock on its customer.
        await blocker.execute("SELECT 1 FROM customer WHERE customer_id = $1 FOR UPDATE", customer)
        first = asyncio.create_task(post(api, update, "slow-one"))
        await wait_until_claimed(api, "slow-one")
        second = asyncio.create_task(post(api, update, "slow-one"))
        await asyncio.sleep(0.3)
        assert not first.done() and not second.done()
    (response, answer, raw), (again, _, raw_again) = await asyncio.gather(first, second)
    assert answer["result"] is True and "Idempotent-Replayed" not in response.headers
    assert raw_again == raw and again.headers["Idempotent-Replayed"] == "true"


async def wait_until_claimed(api: Api, key: str) -> None:
    """Until a transaction holds the key's row (uncommitted, so seen only as a lock)."""
    for _ in range(200):
        held = await api.fetch(
            "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = 'api_idempotency' AND l.mode = 'RowExclusiveLock'"
        )
        if held:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{key} was never claimed")


@pytest.fixture
async def impatient(aiohttp_client: Any, settings: Settings, pool: asyncpg.Pool) -> Api:
    """A gateway whose statements may run one second: a claim waits no longer."""
    quick = settings.model_copy(update={"db_command_timeout": 1.0})
    client: TestClient[Any, Any] = await aiohttp_client(create_app(quick, pool))
    api = Api(client, pool, "", "")
    return api


async def test_waiting_longer_than_a_statement_may_run_is_retryable(
    api: Api, sid: str, impatient: Api
) -> None:
    user_id = (await api.fetch("SELECT user_id FROM api_user WHERE username = 'admin'"))[0][0]
    async with api.pool.acquire() as first:
        # A first request under the key, still running: its claim is not committed.
        running = first.transaction()
        await running.start()
        await first.execute(
            "INSERT INTO api_idempotency (user_id, key, digest, expires_at)"
            " VALUES ($1, 'busy', '\\x00', now() + interval '1 hour')",
            user_id,
        )
        _, answer, _ = await post(impatient, create_request(sid), "busy")
        await running.rollback()
    error = answer["error"]
    assert (error["code"], fault_name(error)) == (10, "request_in_progress")
    assert error["data"]["retryable"] is True
    assert await count(api, "customer") == 0
    # Once the first is gone (rolled back), the retry runs.
    _, answer, _ = await post(api, create_request(sid), "busy")
    assert answer.get("result") == 1, answer


async def test_an_expired_key_is_forgotten(
    aiohttp_client: Any, settings: Settings, pool: asyncpg.Pool, api: Api, sid: str
) -> None:
    brief = settings.model_copy(update={"idempotency_ttl": 0.2})
    client: TestClient[Any, Any] = await aiohttp_client(create_app(brief, pool))
    short = Api(client, pool, "", "")
    customer = await api.call(sid, "customer.create", [ADA])
    body = {
        "jsonrpc": "2.0",
        "method": "customer_address.create",
        "id": 1,
        "params": [sid, customer, ADDRESS],
    }
    await post(short, body, "brief")
    await asyncio.sleep(0.4)
    response, answer, _ = await post(short, body, "brief")
    assert answer["result"] == 2 and "Idempotent-Replayed" not in response.headers
    # The sweep that the first claim of the process started has deleted expired rows.
    await api.pool.execute(
        "INSERT INTO api_idempotency (user_id, key, digest, expires_at)"
        " SELECT user_id, 'old', '\\x00', now() - interval '1 day' FROM api_user LIMIT 1"
    )
    fresh: TestClient[Any, Any] = await aiohttp_client(create_app(brief, pool))
    await post(Api(fresh, pool, "", ""), {**body, "id": 2}, "sweeps")
    for _ in range(100):
        if not await api.fetch("SELECT 1 FROM api_idempotency WHERE key = 'old'"):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the expired key was not swept")


async def test_rest_replays_status_location_and_body(api: Api) -> None:
    await api.add_user("admin", ["all"])
    basic = "Basic " + base64.b64encode(f"admin:{api.key}".encode()).decode()
    headers = {"Authorization": basic, "Accept": "application/json", **keyed("rest-1")}
    first = await api.client.post("/api/rest/customers", json=ADA, headers=headers)
    again = await api.client.post("/api/rest/customers", json=ADA, headers=headers)
    assert first.status == again.status == 200
    assert first.headers["Location"] == again.headers["Location"] == "/api/rest/customers/1"
    assert again.headers["Idempotent-Replayed"] == "true"
    other = {**ADA, "email": "grace@example.com"}
    refused = await api.client.post("/api/rest/customers", json=other, headers=headers)
    assert refused.status == 422
    deleted = await api.client.delete("/api/rest/customers/1", headers={**headers, **keyed("d")})
    deleted_again = await api.client.delete(
        "/api/rest/customers/1", headers={**headers, **keyed("d")}
    )
    assert deleted.status == deleted_again.status == 200
    assert deleted_again.headers["Idempotent-Replayed"] == "true"
    assert await count(api, "customer") == 0


async def test_soap_replays_the_envelope(api: Api) -> None:
    await api.add_user("apiUser", ["all"])
    _, root = await soap(
        api,
        "/api/v2_soap/",
        envelope("login", string("username", "apiUser") + string("apiKey", api.key)),
    )
    session = root.findtext(".//loginReturn") or ""
    data = "".join(f"<{k}>{v}</{k}>" for k, v in ADA.items())
    body = envelope(
        "customerCustomerCreate",
        string("sessionId", session) + f"<customerData>{data}</customerData>",
    )
    response = await api.client.post(
        "/api/v2_soap/", data=body, headers={"Content-Type": "text/xml", **keyed("soap-1")}
    )
    first = await response.read()
    again = await api.client.post(
        "/api/v2_soap/", data=body, headers={"Content-Type": "text/xml", **keyed("soap-1")}
    )
    assert await again.read() == first and again.headers["Idempotent-Replayed"] == "true"
    assert again.content_type == "text/xml"
    assert b"<result" in first and await count(api, "customer") == 1
    other = body.replace(b"ada@", b"grace@")
    _, root = await soap(api, "/api/v2_soap/", other, keyed("soap-1"))
    assert fault_of(root) == {
        "code": "9",
        "message": "This Idempotency-Key was used for another request.",
        "fault": "idempotency_key_reused",
    }


@pytest.mark.parametrize(
    "settings", [{"idempotency_max_keys": 3, "idempotency_max_answer": 2000}], indirect=True
)
async def test_what_one_api_user_keeps_is_bounded(api: Api, sid: str) -> None:
    for n in range(3):
        data = {**ADA, "email": f"u{n}@example.com"}
        _, answer, _ = await post(api, create_request(sid, data), f"key-{n}")
        assert answer["result"] == n + 1
    _, answer, _ = await post(api, create_request(sid, {**ADA, "email": "u9@example.com"}), "k9")
    error = answer["error"]
    assert (error["code"], fault_name(error)) == (7, "limit_exceeded")
    assert error["data"]["limit"] == "GATEWAY_IDEMPOTENCY_MAX_KEYS"
    assert await count(api, "customer") == 3
    # Another user keeps its own.
    await api.add_user("other", ["all"])
    other = await api.login("other")
    _, answer, _ = await post(api, create_request(other, {**ADA, "email": "o@x.com"}), "k9")
    assert answer["result"] == 4


@pytest.mark.parametrize("settings", [{"idempotency_max_answer": 2000}], indirect=True)
async def test_an_answer_too_large_to_keep_is_refused_and_nothing_runs(api: Api, sid: str) -> None:
    for n in range(10):
        await api.call(sid, "customer.create", [{**ADA, "email": f"u{n}@example.com"}])
    calls = [["customer.create", [{**ADA, "email": "new@example.com"}]], ["customer.list", []]]
    body = {"jsonrpc": "2.0", "method": "multiCall", "params": [sid, calls], "id": 1}
    _, answer, _ = await post(api, body, "big-answer")
    error = answer["error"]
    assert (error["code"], fault_name(error)) == (7, "limit_exceeded")
    assert error["data"]["limit"] == "GATEWAY_IDEMPOTENCY_MAX_ANSWER"
    assert await count(api, "customer") == 10  # the create was rolled back with it
    assert await count(api, "api_idempotency") == 0
