"""Behind a load balancer the login throttle sees each client, not the balancer: the client's
address comes from ``Forwarded`` or ``X-Forwarded-For`` of trusted proxies only, and from
nowhere else."""

from typing import Any

import aiohttp
import pytest

from tests.helpers import Api, fault_name

THROTTLED = {"login_max_failures": 3, "login_max_address_failures": 3}


async def login_from(
    api: Api, headers: dict[str, str], key: str = "wrong", peer: str = "127.0.0.1"
) -> dict[str, Any]:
    """A login sent from the loopback address ``peer`` with these headers."""
    connector = aiohttp.TCPConnector(local_addr=(peer, 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        body = {"jsonrpc": "2.0", "method": "login", "params": ["bot", key], "id": 1}
        async with session.post(
            api.client.make_url("/api/jsonrpc"), json=body, headers=headers
        ) as r:
            answer: dict[str, Any] = await r.json()
            return answer


def xff(chain: str) -> dict[str, str]:
    return {"X-Forwarded-For": chain}


@pytest.mark.parametrize(
    "settings", [{**THROTTLED, "trusted_proxies": "127.0.0.1, 10.0.0.0/8"}], indirect=True
)
async def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(api: Api) -> None:
    await api.add_user("bot", ["all"])
    for _ in range(3):
        await login_from(api, xff("203.0.113.7"))
    locked = await login_from(api, xff("203.0.113.7"), key=api.key)
    assert fault_name(locked["error"]) == "access_denied" and locked["error"]["data"]["retry_after"]
    # Another client behind the same proxy, and one behind two (ours the nearer), log in.
    assert len((await login_from(api, xff("203.0.113.8"), key=api.key))["result"]) == 64
    chain = xff("203.0.113.9, 10.0.0.5")
    assert len((await login_from(api, chain, key=api.key))["result"]) == 64
    # What the client wrote left of what our proxy added is not believed.
    spoofed = xff("198.51.100.1, 203.0.113.7")
    assert fault_name((await login_from(api, spoofed, key=api.key))["error"]) == "access_denied"
    # RFC 7239's Forwarded says the same.
    forwarded = {"Forwarded": 'for=203.0.113.7;proto=https, for="[2001:db8::1]"'}
    assert len((await login_from(api, forwarded, key=api.key))["result"]) == 64
    keys = {r[0] for r in await api.fetch("SELECT throttle_key FROM api_login_failure")}
    assert "addr:203.0.113.7" in keys and "addr:127.0.0.1" not in keys


@pytest.mark.parametrize("settings", [{**THROTTLED, "trusted_proxies": "127.0.0.1"}], indirect=True)
async def test_a_client_that_is_not_a_trusted_proxy_cannot_say_who_it_is(api: Api) -> None:
    await api.add_user("bot", ["all"])
    for n in range(3):  # each guess claims another address, from one untrusted peer
        await login_from(api, xff(f"203.0.113.{n}"), peer="127.0.0.2")
    locked = await login_from(api, xff("203.0.113.99"), key=api.key, peer="127.0.0.2")
    assert fault_name(locked["error"]) == "access_denied"
    # The trusted proxy's own clients are not locked out with it.
    assert len((await login_from(api, xff("203.0.113.1"), key=api.key))["result"]) == 64


@pytest.mark.parametrize("settings", [THROTTLED], indirect=True)
async def test_without_trusted_proxies_the_headers_are_ignored(api: Api) -> None:
    await api.add_user("bot", ["all"])
    for n in range(3):
        await login_from(api, xff(f"203.0.113.{n}"))
    locked = await login_from(api, xff("203.0.113.50"), key=api.key)
    assert fault_name(locked["error"]) == "access_denied"
    keys = {r[0] for r in await api.fetch("SELECT throttle_key FROM api_login_failure")}
    assert "addr:127.0.0.1" in keys
