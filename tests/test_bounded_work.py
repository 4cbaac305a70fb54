"""Work that may run long is bounded whoever asks for it and however it is wrapped: a list or
count that may scan is a heavy statement (a short timeout, a few turns at once per process,
fewer for one user), inside a transaction too; deep offsets are refused for a keyset; a
request claims an idempotency key only for a write its user may run; streamed lists are
shared out by user, and one that finds no turn is answered ``busy`` within a bound."""

import asyncio
import logging
import socket
from typing import Any

import pytest

from tests.helpers import Api, fault_name
from tests.timing import allowance

# Allowed, but costly: about 40 us a row.
SLOW = {"email": {"regexp": "[a-z0-9]{0,40}[0-9]{0,40}[a-z0-9]{0,40}[0-9]{0,40}@x"}}


NEW = {"firstname": "N", "lastname": "N", "website_id": 1}


async def fill(api: Api, customers: int) -> None:
    """Rows made directly, under no statement timeout of the gateway's."""
    await api.execute(
        "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname,"
        " taxvat) SELECT 1, 1, 1 + n % 3, 'user' || n || '@example.com', 'F' || n, 'L',"
        " md5(n::text) FROM generate_series(1, $1) AS n",
        customers,
    )


async def test_a_multicall_claims_no_key_for_writes_its_user_may_not_run(api: Api) -> None:
    await api.add_user("reader", ["customer/info"])
    reader = await api.login("reader")
    calls = [["customer.delete", [1]], ["customer.count", []], ["customer.count", []]]
    status, answer = await api.post(
        {"jsonrpc": "2.0", "method": "multiCall", "params": [reader, calls], "id": 1},
        headers={"Idempotency-Key": "reader-1"},
    )
    assert status == 200
    slots = answer["result"]
    assert slots[0]["fault"] == "access_denied" and slots[1:] == [0, 0]
    assert await api.fetchval("SELECT count(*) FROM api_idempotency") == 0


@pytest.mark.parametrize("settings", [{"heavy_timeout": 0.2}], indirect=True)
async def test_a_heavy_count_inside_a_transaction_is_bounded_and_answers_query_timeout(
    api: Api, sid: str, caplog: pytest.LogCaptureFixture
) -> None:
    await fill(api, 20_000)
    new = {**NEW, "email": "new@example.com"}
    calls = [["customer.create", [new]], ["customer.count", [SLOW]]]
    with caplog.at_level(logging.WARNING):
        atomic = await api.result("multiCall", [sid, calls, {"atomic": True}])
        _, keyed = await api.post(
            {"jsonrpc": "2.0", "method": "multiCall", "params": [sid, calls], "id": 1},
            headers={"Idempotency-Key": "writer-1"},
        )
    assert atomic[-1]["fault"] == "query_timeout"
    assert keyed["result"][1]["fault"] == "query_timeout"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The atomic one left nothing; the keyed one kept its create, and is kept.
    assert await api.fetchval("SELECT count(*) FROM customer WHERE email = $1", new["email"]) == 1
    assert await api.fetchval("SELECT count(*) FROM api_idempotency") == 1


async def test_an_atomic_multicall_of_reads_holds_no_transaction(api: Api) -> None:
    await api.add_user("reader", ["customer/info"])
    reader = await api.login("reader")
    calls = [["customer.count", []], ["customer.info", [99]], ["customer.count", []]]
    slots = await api.result("multiCall", [reader, calls, {"atomic": True}])
    assert slots[0] == 0 and slots[1]["fault"] == "customer_not_exists" and len(slots) == 2


async def test_an_offset_past_the_limit_is_refused_pointing_to_a_keyset(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.list", [None, None, {"offset": 1_000_000_000}])
    assert (error["code"], fault_name(error)) == (101, "filters_invalid")
    assert "100000" in error["message"] and "customer_id" in error["message"]
    assert await api.call(sid, "customer.list", [None, None, {"offset": 100_000}]) == []
    response = await api.client.get(
        "/api/rest/customers?limit=100&page=100000",
        headers={"Authorization": f"Bearer {sid}", "Accept": "application/json"},
    )
    assert response.status == 400
    assert "keyset" in (await response.json())["messages"]["error"][0]["message"]


@pytest.mark.parametrize("settings", [{"heavy_timeout": 0.001}], indirect=True)
@pytest.mark.parametrize(
    "args",
    [
        [None, None, {"order": "taxvat", "limit": 10}],  # no index: a sort of every row
        [{"lastname": {"like": "%zz%"}}, None, {"limit": 10}],  # no index: a scan
        [{"group_id": 1}, None, {"order": "lastname", "limit": 10}],
        [None, None, {"offset": 50_000, "limit": 10}],
    ],
    ids=["unindexed-order", "unindexed-filter", "indexed-filter-other-order", "deep-offset"],
)
async def test_lists_that_may_scan_are_heavy_statements(
    api: Api, sid: str, args: list[Any]
) -> None:
    await fill(api, 60_000)
    error = await api.fault(sid, "customer.list", args)
    assert (error["code"], fault_name(error)) == (8, "query_timeout")
    error = await api.fault(sid, "customer.count", [{"group_id": 1}])
    assert fault_name(error) == "query_timeout"  # a count reads every match
    # What an index answers in key order is not: it runs under the ordinary timeout.
    keyset = [{"customer_id": {"gt": 100}}, None, {"order": "customer_id", "limit": 10}]
    assert [c["customer_id"] for c in await api.call(sid, "customer.list", keyset)] == list(
        range(101, 111)
    )
    by_group = await api.call(sid, "customer.list", [{"group_id": 2}, None, {"limit": 3}])
    assert [c["customer_id"] for c in by_group] == [1, 4, 7]
    by_email = await api.call(sid, "customer.list", [{"email": "user5@example.com"}])
    assert [c["customer_id"] for c in by_email] == [5]


def _unread_stream(port: int, session_id: str) -> socket.socket:
    """A streamed list whose client never reads it: it fills the socket buffers and waits."""
    body = (
        b'{"jsonrpc":"2.0","method":"call","id":1,"params":["%s","customer.list",[]]}'
        % session_id.encode()
    )
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.sendall(
        b"POST /api/jsonrpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (len(body), body)
    )
    return raw


# Four connections: two stream turns per process, one of them per user.
@pytest.mark.parametrize(
    "settings", [{"pool_max_size": 4, "busy_wait": 0.5, "write_timeout": 60}], indirect=True
)
async def test_slow_readers_take_only_their_users_share_of_the_stream_turns(
    api: Api, sid: str
) -> None:
    await fill(api, 20_000)
    await api.add_user("reader", ["customer/info"])
    reader = await api.login("reader")
    port = api.client.port
    assert port is not None
    stalled = [_unread_stream(port, reader) for _ in range(2)]
    try:
        # The reader's first stream holds its one turn; its second waited, and was refused.
        await asyncio.sleep(1.0)
        error = await api.fault(reader, "customer.list")
        assert (error["code"], fault_name(error)) == (11, "busy")
        assert error["data"]["retryable"] is True
        # Another user's list streams as usual.
        assert len(await api.call(sid, "customer.list")) == 20_000
    finally:
        for raw in stalled:
            raw.close()


@pytest.mark.slow
async def test_heavy_counts_in_ten_atomic_multicalls_leave_others_their_latency(
    api: Api, sid: str
) -> None:
    await fill(api, 20_000)
    await api.add_user("writer", ["customer/create", "customer/info"])
    writer = await api.login("writer")

    async def info_seconds() -> float:
        started = asyncio.get_running_loop().time()
        await api.call(sid, "customer.info", 1)
        return asyncio.get_running_loop().time() - started

    idle = sorted([await info_seconds() for _ in range(21)])[10]
    attack = [
        asyncio.ensure_future(
            api.request(
                "multiCall",
                [
                    writer,
                    [
                        ["customer.create", [{**NEW, "email": f"w{n}@example.com"}]],
                        *[["customer.count", [SLOW]]] * 3,
                    ],
                    {"atomic": True},
                ],
            )
        )
        for n in range(10)
    ]
    await asyncio.sleep(0.2)  # the ten hold their transactions, and a count each
    busy = [await info_seconds() for _ in range(5)]
    answers = await asyncio.gather(*attack)
    faults = {slot["fault"] for a in answers for slot in a["result"] if isinstance(slot, dict)}
    assert faults <= {"busy", "query_timeout"}, faults
    assert max(busy) < allowance(0.25, idle, slack=20), (idle, busy)
