"""Clients that send slowly, or stop, hold nothing but their own socket: bodies are read whole
before anything else (and given up after GATEWAY_BODY_TIMEOUT with 408), idle or half-sent
connections are closed after GATEWAY_KEEPALIVE_TIMEOUT."""

import asyncio
import base64
import socket
import time

import pytest

from gateway.settings import Settings
from tests.conftest import TEST_KEY, make_settings
from tests.helpers import Api
from tests.processes import free_port, start_gateway, wait_ready

BODY_TIMEOUT = 1.0


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, body_timeout=BODY_TIMEOUT)


async def stalled(port: int, head: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A request whose headers promise 100 bytes of body, of which one is sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + b"Content-Length: 100\r\n\r\n{")
    await writer.drain()
    return reader, writer


async def status_of(reader: asyncio.StreamReader) -> int:
    line = await asyncio.wait_for(reader.readline(), 10)
    return int(line.split()[1])


@pytest.mark.parametrize(
    "head",
    [
        "POST /api/rest/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Authorization: Basic {basic}\r\n",
        "POST /api/jsonrpc HTTP/1.1\r\nHost: x\r\n",
    ],
    ids=["rest", "jsonrpc"],
)
async def test_slow_bodies_hold_no_connection_and_get_408(api: Api, sid: str, head: str) -> None:
    await api.add_user("reader", ["customer/info"])  # not even allowed to create
    basic = base64.b64encode(f"reader:{TEST_KEY}".encode()).decode()
    port = api.client.port
    assert port is not None
    sockets = [await stalled(port, head.format(basic=basic)) for _ in range(10)]
    started = time.perf_counter()
    assert await api.call(sid, "customer.count") == 0
    assert time.perf_counter() - started < BODY_TIMEOUT / 2  # no wait for a connection
    statuses = await asyncio.gather(*(status_of(reader) for reader, _ in sockets))
    assert statuses == [408] * 10
    for _, writer in sockets:
        writer.close()


@pytest.mark.slow
def test_idle_and_half_sent_connections_are_closed(database_url: str) -> None:
    port = free_port()
    process = start_gateway(database_url, port, env={"GATEWAY_KEEPALIVE_TIMEOUT": "1"})
    try:
        wait_ready(port, process)
        idle = socket.create_connection(("127.0.0.1", port))
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(b"POST /api/jsonrpc HTTP/1.1\r\nHost: x\r\nContent-")  # headers unfinished
        for connection in (idle, half):
            connection.settimeout(10)
            started = time.monotonic()
            assert connection.recv(1024) == b""  # closed by the gateway
            assert time.monotonic() - started < 5
            connection.close()
    finally:
        process.terminate()
        process.communicate(timeout=30)
