"""login, sessions, endSession, HTTP Basic and the login throttle."""

import asyncio
import base64
import hashlib
import io
import json
import re
from typing import Any

import aiohttp
import asyncpg
import bcrypt
import pytest

from gateway.app import create_app
from gateway.auth import users
from gateway.http.exchange import ACCESS_LOG
from gateway.settings import Settings
from tests.conftest import TEST_KEY, make_settings
from tests.helpers import ADA, Api, fault_name


async def test_login_returns_a_64_hex_session_id(api: Api) -> None:
    await api.add_user("bot", ["all"])
    session_id = await api.login("bot")
    assert re.fullmatch(r"[0-9a-f]{64}", session_id)
    stored = await api.fetchval("SELECT token_hash FROM api_session")
    assert stored == hashlib.sha256(session_id.encode()).digest()
    assert session_id.encode() not in stored


async def test_login_with_named_params(api: Api) -> None:
    await api.add_user("bot", ["all"])
    for params in ({"username": "bot", "apiKey": api.key}, {"username": "bot", "api_key": api.key}):
        assert len(await api.result("login", params)) == 64


@pytest.mark.parametrize("case", ["wrong key", "unknown user", "disabled user"])
async def test_failed_logins_are_all_access_denied(api: Api, case: str) -> None:
    await api.add_user("bot", ["all"])
    if case == "disabled user":
        async with api.pool.acquire() as connection:
            await users.disable_user(connection, "bot")
    name, key = {"wrong key": ("bot", "nope"), "unknown user": ("ghost", api.key)}.get(
        case, ("bot", api.key)
    )
    error = await api.error("login", [name, key])
    assert (error["code"], error["message"], fault_name(error)) == (
        2,
        "Access denied.",
        "access_denied",
    )


async def test_session_is_required_and_checked_before_the_path(api: Api) -> None:
    for bad in (None, "", "f" * 64, 42):
        error = await api.fault(bad, "no.such_path")  # type: ignore[arg-type]
        assert (error["code"], fault_name(error)) == (5, "session_expired")


async def test_end_session(api: Api, sid: str) -> None:
    assert await api.result("endSession", [sid]) is True
    error = await api.fault(sid, "customer_group.list")
    assert fault_name(error) == "session_expired"


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    return make_settings(
        database_url,
        **{
            "session_ttl": 1.0,
            "login_max_failures": 3,
            "login_max_address_failures": 5,
            "login_failure_window": 120,
            "login_lockout": 60,
            **getattr(request, "param", {}),
        },
    )


@pytest.mark.slow
async def test_session_expires_after_ttl_of_disuse(api: Api, sid: str) -> None:
    await asyncio.sleep(1.2)
    error = await api.fault(sid, "customer_group.list")
    assert fault_name(error) == "session_expired"


@pytest.mark.slow
async def test_each_use_slides_the_expiry(api: Api, sid: str) -> None:
    for _ in range(4):
        await asyncio.sleep(0.5)
        await api.call(sid, "customer_group.list")  # 2 s in all, each gap under the 1 s TTL


@pytest.mark.slow
async def test_expired_sessions_are_swept_at_login(api: Api, sid: str) -> None:
    await asyncio.sleep(1.2)
    await api.login("admin")
    assert await api.fetchval("SELECT count(*) FROM api_session") == 1


async def test_disabling_a_user_stops_its_live_sessions(api: Api, sid: str) -> None:
    async with api.pool.acquire() as connection:
        await users.disable_user(connection, "admin")
    error = await api.fault(sid, "customer_group.list")
    assert fault_name(error) == "session_expired"


def basic(name: str, key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{key}".encode()).decode()}


async def test_http_basic_runs_one_request_with_a_null_session(api: Api) -> None:
    await api.add_user("bot", ["customer"])
    groups = await api.result("call", [None, "customer_group.list"], headers=basic("bot", api.key))
    assert groups[1]["customer_group_code"] == "General"
    slots = await api.result(
        "multiCall", [None, [["customer_group.list"]]], headers=basic("bot", api.key)
    )
    assert slots[0] == groups
    assert await api.fetchval("SELECT count(*) FROM api_session") == 0
    error = await api.error("call", [None, "customer_group.list"], headers=basic("bot", "bad"))
    assert fault_name(error) == "access_denied"
    error = await api.error("call", [None, "customer_group.list"])
    assert fault_name(error) == "session_expired"


async def test_throttle_refuses_a_username_after_repeated_failures(api: Api) -> None:
    await api.add_user("bot", ["all"])
    for _ in range(2):
        error = await api.error("login", ["bot", "wrong"])
        assert "retry_after" not in error["data"]
    error = await api.error("login", ["bot", "wrong"])
    assert fault_name(error) == "access_denied"
    assert 60 <= error["data"]["retry_after"] <= 120  # the window's end, or the lockout
    # Now even the right key is refused, without being checked, until the lockout ends.
    error = await api.error("login", ["bot", api.key])
    assert fault_name(error) == "access_denied"
    assert error["data"]["retry_after"] > 0


async def test_throttle_counts_per_client_address_too(api: Api) -> None:
    await api.add_user("bot", ["all"])
    for name in ("a", "b", "c", "d", "e"):
        await api.error("login", [name, "wrong"])
    error = await api.error("login", ["bot", api.key])
    assert "retry_after" in error["data"]


async def test_success_resets_the_count_of_that_username_from_that_address(api: Api) -> None:
    await api.add_user("bot", ["all"])
    for _ in range(2):
        await api.error("login", ["bot", "wrong"])
    await api.login("bot")
    for _ in range(2):  # two more failures lock nothing: the count started afresh
        error = await api.error("login", ["bot", "wrong"])
        assert "retry_after" not in error["data"]
    await api.login("bot")


async def test_parallel_guesses_check_at_most_the_limit(
    aiohttp_client: Any, settings: Settings, pool: asyncpg.Pool, test_key_hash: str
) -> None:
    log = io.BytesIO()
    logged = settings.model_copy(update={"log_level": "INFO"})
    client = await aiohttp_client(create_app(logged, pool, access_log=log))
    api = Api(client, pool, test_key_hash, TEST_KEY)
    await api.add_user("bot", ["all"])
    errors = await asyncio.gather(*(api.error("login", ["bot", f"guess-{n}"]) for n in range(40)))
    assert {fault_name(e) for e in errors} == {"access_denied"}
    client.app[ACCESS_LOG].flush()
    logins = [json.loads(line)["calls"][0] for line in log.getvalue().splitlines()]
    checked = [entry for entry in logins if entry.get("key_checked")]
    assert len(logins) == 40 and len(checked) == settings.login_max_failures


async def from_address(api: Api, address: str, method: str, params: Any) -> dict[str, Any]:
    """A request sent from another loopback address, as another client's would come."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        url = api.client.make_url("/api/jsonrpc")
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        async with session.post(url, json=body) as response:
            answer: dict[str, Any] = await response.json()
            return answer


async def test_guesses_from_one_address_do_not_lock_the_user_out_elsewhere(api: Api) -> None:
    await api.add_user("bot", ["all"])
    for _ in range(10):
        answer = await from_address(api, "127.0.0.2", "login", ["bot", "wrong"])
    assert answer["error"]["data"]["retry_after"] > 0  # the guesser is stopped
    answer = await from_address(api, "127.0.0.3", "login", ["bot", api.key])
    assert len(answer["result"]) == 64  # the user, elsewhere, is not


@pytest.mark.parametrize(
    "stored",
    [
        hashlib.sha256(b"pepper" + b"legacy-key-1").hexdigest() + ":pepper",
        hashlib.md5(b"pepper" + b"legacy-key-1").hexdigest() + ":pepper",
        hashlib.md5(b"legacy-key-1").hexdigest(),
        hashlib.sha256(b"legacy-key-1").hexdigest(),
        bcrypt.hashpw(b"legacy-key-1", bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$"),
    ],
    ids=["sha256-salted", "md5-salted", "md5", "sha256", "bcrypt"],
)
async def test_magento_key_hash_is_accepted_and_upgraded(api: Api, stored: str) -> None:
    async with api.pool.acquire() as connection:
        await users.add_user(connection, "legacy", stored, ["all"])
    assert len(await api.login("legacy", "legacy-key-1")) == 64
    upgraded = await api.fetchval("SELECT api_key_hash FROM api_user WHERE username = 'legacy'")
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert len(await api.login("legacy", "legacy-key-1")) == 64
    error = await api.error("login", ["legacy", "legacy-key-2"])
    assert fault_name(error) == "access_denied"


@pytest.mark.slow
async def test_slowed_failed_logins_do_not_hold_database_connections(
    aiohttp_client: Any, database_url: str, pool: Any, test_key_hash: str
) -> None:
    # Each failed login is answered a second later; twelve of them at once, more than the
    # pool's ten connections, must not keep a good call waiting.
    slow = make_settings(database_url, login_slowdown=1.0, login_max_failures=100)
    api = Api(await aiohttp_client(create_app(slow, pool)), pool, test_key_hash, TEST_KEY)
    await api.add_user("admin", ["all"])
    sid = await api.login("admin")
    failing = [asyncio.create_task(api.error("login", ["admin", f"bad-{n}"])) for n in range(12)]
    await asyncio.sleep(0.3)  # the failed logins are now in their slow-down
    good = asyncio.create_task(api.call(sid, "customer_group.list"))
    done, _ = await asyncio.wait([good, *failing], return_when=asyncio.FIRST_COMPLETED)
    assert done == {good}
    assert len(await good) == 4
    assert all(fault_name(e) == "access_denied" for e in await asyncio.gather(*failing))


@pytest.mark.parametrize(
    "settings", [{"max_sessions_per_user": 3, "session_ttl": 3600}], indirect=True
)
async def test_a_user_holds_a_bounded_number_of_sessions_ending_the_least_recently_used(
    api: Api,
) -> None:
    await api.add_user("bot", ["customer/info"])
    await api.add_user("other", ["customer/info"])
    other = await api.login("other")
    first, second, third = [await api.login("bot") for _ in range(3)]
    # The first is used now; the second and third were last used a minute ago.
    await api.execute(
        "UPDATE api_session SET last_used_at = now() - interval '1 minute'"
        " WHERE token_hash = ANY($1)",
        [hashlib.sha256(s.encode()).digest() for s in (second, third)],
    )
    fourth = await api.login("bot")
    assert await api.fetchval("SELECT count(*) FROM api_session WHERE user_id = 1") == 3
    error = await api.fault(second, "customer.count")  # the least recently used
    assert fault_name(error) == "session_expired"
    for alive in (first, third, fourth, other):
        assert await api.call(alive, "customer.count") == 0
    logins = await asyncio.gather(*(api.login("bot") for _ in range(20)))
    assert await api.fetchval("SELECT count(*) FROM api_session WHERE user_id = 1") == 3
    alive = [
        "result" in await api.request("call", [s, "customer.count"])
        for s in (first, third, fourth, *logins)
    ]
    assert sum(alive) == 3
    assert await api.call(other, "customer.count") == 0  # another user's sessions are its own


async def test_concurrent_right_logins_are_never_counted_as_failures(api: Api) -> None:
    await api.add_user("bot", ["customer/info"])
    await api.add_user("other", ["customer/info"])
    # Ten times the limit of checks per username and address, all at once, all right.
    sessions = await asyncio.gather(*(api.login("bot") for _ in range(30)))
    assert len(set(sessions)) == 30
    # Nothing was counted against the address or the username either.
    assert len(await api.login("other")) == 64
    assert len(await api.login("bot")) == 64
    assert await api.fetchval("SELECT max(failures) FROM api_login_failure") == 0


async def test_parallel_guesses_through_two_gateways_check_at_most_the_limit(
    aiohttp_client: Any, settings: Settings, pool: asyncpg.Pool, test_key_hash: str
) -> None:
    log = io.BytesIO()
    logged = settings.model_copy(update={"log_level": "INFO"})
    clients = [await aiohttp_client(create_app(logged, pool, access_log=log)) for _ in range(2)]
    first, second = (Api(c, pool, test_key_hash, TEST_KEY) for c in clients)
    await first.add_user("bot", ["all"])
    guesses = [
        gateway.error("login", ["bot", f"guess-{n}"])
        for n in range(20)
        for gateway in (first, second)
    ]
    right = [gateway.result("login", ["bot", TEST_KEY]) for gateway in (first, second) * 5]
    answers = await asyncio.gather(*guesses, *right, return_exceptions=True)
    for client in clients:
        client.app[ACCESS_LOG].flush()
    logins = [json.loads(line)["calls"][0] for line in log.getvalue().splitlines()]
    checked = [entry for entry in logins if entry.get("key_checked")]
    wrong_checked = [e for e in checked if e.get("fault") == "access_denied"]
    assert len(logins) == 50
    assert len(wrong_checked) == settings.login_max_failures
    assert all(not isinstance(a, BaseException) for a in answers[:40])


async def test_a_request_holding_a_transaction_does_not_hold_another_users_login(
    api: Api, sid: str
) -> None:
    await api.add_user("victim", ["customer/info"])
    await api.execute(
        "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
        " SELECT 1, 1, 1, 'user' || n || '@example.com', 'F', 'L'"
        " FROM generate_series(1, 20000) AS n"
    )
    slow = {"email": {"regexp": "[a-z0-9]{0,40}[0-9]{0,40}[a-z0-9]{0,40}[0-9]{0,40}@x"}}
    batch = [
        {"jsonrpc": "2.0", "method": "customer.create", "params": [sid, ADA], "id": 1},
        {"jsonrpc": "2.0", "method": "login", "params": ["victim", "wrong"], "id": 2},
        *(
            {"jsonrpc": "2.0", "method": "customer.count", "params": [sid, slow], "id": n}
            for n in range(3, 6)
        ),
    ]
    holding = asyncio.ensure_future(api.post(batch, headers={"Idempotency-Key": "held-1"}))
    await asyncio.sleep(0.3)  # the batch has its transaction open, the wrong login in it
    victim = asyncio.ensure_future(api.login("victim"))
    done, _ = await asyncio.wait([holding, victim], return_when=asyncio.FIRST_COMPLETED)
    assert done == {victim}
    assert len(await victim) == 64
    status, answers = await holding
    assert status == 200 and answers[0]["result"] > 0
    assert answers[1]["error"]["data"]["fault"] == "access_denied"
