"""The session cache: calls with a session checked lately need no session statement, and
stay exact: a session ended, a user disabled or removed, anywhere, is refused within 100 ms
(the notice of PostgreSQL's NOTIFY); while the listening connection is down nothing is served
from memory. The default TTL (3600 s) here, so that entries live their 30 s."""

import asyncio
import os
import signal
from dataclasses import replace

from gateway.app import LISTENER_NAME
from gateway.auth import users
from gateway.auth.session_cache import SessionCache
from gateway.auth.sessions import session_digest
from gateway.http.exchange import SERVICES
from gateway.notices import GIVE_UP_AFTER, HEARD_WITHIN, HEARTBEAT_EVERY
from tests.helpers import Api, fault_name, until
from tests.timing import allowance, idle_seconds


async def refused_within(api: Api, sid: str, seconds: float) -> None:
    """Until the session is refused; no longer than ``seconds`` (a deadline, not a benchmark)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        answer = await api.request("call", [sid, "customer_group.list"])
        if "error" in answer:
            assert fault_name(answer["error"]) == "session_expired"
            return
        assert asyncio.get_running_loop().time() < deadline, "still accepted"
        await asyncio.sleep(0.005)


async def listening(api: Api) -> SessionCache:
    cache = api.client.app[SERVICES].sessions
    await until(lambda: cache.listening, "the session cache never listens")
    return cache


async def notice_allowance(api: Api, sid: str) -> float:
    """The 100 ms the README promises, or on a busy machine the time of 50 idle calls."""
    return allowance(0.1, await idle_seconds(lambda: api.call(sid, "customer_group.list")))


async def test_a_cached_session_of_a_user_disabled_elsewhere_is_refused_within_100_ms(
    api: Api, sid: str
) -> None:
    await listening(api)
    await api.call(sid, "customer_group.list")  # checked, and so kept in memory
    within = await notice_allowance(api, sid)
    async with api.pool.acquire() as connection:
        await users.disable_user(connection, "admin")
    await refused_within(api, sid, within)


async def test_a_session_ended_or_a_user_removed_elsewhere_is_refused_within_100_ms(
    api: Api, sid: str
) -> None:
    await listening(api)
    await api.call(sid, "customer_group.list")
    within = await notice_allowance(api, sid)
    await api.execute("DELETE FROM api_session")  # as another process's endSession does
    await refused_within(api, sid, within)
    second = await api.login("admin")
    await api.call(second, "customer_group.list")
    await api.execute("DELETE FROM api_user WHERE username = 'admin'")
    await refused_within(api, second, within)


async def test_a_checked_session_needs_no_statement_until_its_last_use_is_stale(
    api: Api, sid: str
) -> None:
    cache = await listening(api)
    await api.call(sid, "customer_group.list")
    digest = session_digest(sid)
    entry = cache._entries[digest]
    # Served from memory: a change the database would refuse, but no notice announces, is
    # not seen while the entry is fresh (no trigger fires for last_used_at)...
    stale = "UPDATE api_session SET last_used_at = now() - interval '3599 seconds'"
    await api.execute(stale)
    assert await api.call(sid, "customer_group.list")
    assert cache._entries[digest] is entry
    # ...and once last_used_at is stale (30 s for the default TTL), the call checks it again
    # with the statement that slides the expiry, as without the cache.
    cache._entries[digest] = replace(entry, check_again_at=0.0)
    assert await api.call(sid, "customer_group.list")
    touched = await api.fetchval(
        "SELECT now() - last_used_at < interval '1 second' FROM api_session"
    )
    assert touched and cache._entries[digest].check_again_at > 0


async def test_while_not_listening_nothing_is_served_from_memory(api: Api, sid: str) -> None:
    await listening(api)
    await api.call(sid, "customer_group.list")
    await api.drop_the_listener()
    assert not api.client.app[SERVICES].sessions.listening
    # The notice of this change can reach no one: the next call asks the database.
    await api.execute("UPDATE api_user SET is_active = false")
    error = await api.fault(sid, "customer_group.list")
    assert fault_name(error) == "session_expired"
    await api.execute("UPDATE api_user SET is_active = true")
    await listening(api)  # back by itself, and kept exact again
    await api.call(sid, "customer_group.list")
    assert session_digest(sid) in api.client.app[SERVICES].sessions._entries
    within = await notice_allowance(api, sid)
    await api.execute("UPDATE api_user SET is_active = false")
    await refused_within(api, sid, within)


async def test_a_listener_that_stops_hearing_is_noticed_and_bypassed(api: Api, sid: str) -> None:
    cache = await listening(api)
    await api.call(sid, "customer_group.list")
    within = await notice_allowance(api, sid)
    backend = await api.fetchval(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
        " AND datname = current_database()",
        LISTENER_NAME,
    )
    os.kill(backend, signal.SIGSTOP)  # the listening backend neither answers nor hangs up
    try:
        await api.execute("DELETE FROM api_session")  # a notice it cannot deliver
        # Noticed within a heartbeat and the time it may take to be heard, not at the next
        # reconnect seconds later.
        await refused_within(api, sid, within + HEARTBEAT_EVERY + HEARD_WITHIN)
        assert not cache.listening
    finally:
        os.kill(backend, signal.SIGCONT)
    await until(lambda: cache.listening, "listening never resumed", seconds=GIVE_UP_AFTER + 5)
    second = await api.login("admin")
    await api.call(second, "customer_group.list")
    await api.execute("DELETE FROM api_session")
    await refused_within(api, second, within)
