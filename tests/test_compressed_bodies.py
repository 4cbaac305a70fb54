"""Compressed request bodies: read on every front-end, and bounded by what they inflate to, so
that a small body that inflates to a gigabyte costs the gateway next to nothing."""

import asyncio
import gzip
import io
import time
import zlib
from typing import Any

import orjson
import pytest

from tests.helpers import ADA, ENDPOINT, Api
from tests.timing import allowance


def _bomb(inflated: int) -> bytes:
    """A gzip body of about a thousandth of ``inflated`` zero bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 24)
    parts = [packer.compress(chunk) for _ in range(inflated // len(chunk))]
    return b"".join([*parts, packer.flush()])


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),
    ],
    ids=["gzip", "x-gzip", "zlib", "raw-deflate"],
)
async def test_a_compressed_call_is_answered_as_a_plain_one(
    api: Api, sid: str, encoding: str, pack: Any
) -> None:
    body = {"jsonrpc": "2.0", "method": "call", "params": [sid, "customer.create", [ADA]], "id": 1}
    status, answer = await api.post(
        pack(orjson.dumps(body)), headers={"Content-Encoding": encoding}
    )
    assert status == 200 and answer["result"] == 1


async def test_rest_and_soap_take_compressed_bodies(api: Api, sid: str) -> None:
    response = await api.client.post(
        "/api/rest/customers",
        data=gzip.compress(orjson.dumps(ADA)),
        headers={
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {sid}",
        },
    )
    assert response.status == 200 and response.headers["Location"] == "/api/rest/customers/1"
    envelope = (
        '<?xml version="1.0"?><SOAP-ENV:Envelope'
        ' xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:OpenMage">'
        f"<SOAP-ENV:Body><ns1:customerCustomerInfo><sessionId>{sid}</sessionId>"
        "<customerId>1</customerId></ns1:customerCustomerInfo></SOAP-ENV:Body>"
        "</SOAP-ENV:Envelope>"
    )
    response = await api.client.post(
        "/api/v2_soap/",
        data=gzip.compress(envelope.encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/xml"},
    )
    assert response.status == 200 and "ada@example.com" in await response.text()


async def _cpu_seconds_of(api: Api, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    """The status of ``body`` and the CPU time this process (client and gateway) spent on it,
    the gateway's reading and discarding of the rest of it included."""
    started = time.process_time()
    response = await api.client.post(ENDPOINT, data=io.BytesIO(body), headers=headers)
    await response.read()
    await asyncio.sleep(0.5)  # whatever the gateway does with the rest of the body, it has done
    return response.status, time.process_time() - started


async def test_a_body_that_inflates_past_the_limit_is_413_at_little_cost(
    api: Api, sid: str
) -> None:
    # The idle figure: a plain body over the limit, refused as it is read.
    status, plain = await _cpu_seconds_of(api, b" " * (2 << 20), {})
    assert status == 413
    bomb = _bomb(1 << 30)
    assert len(bomb) < 1 << 20  # under the limit as sent
    status, inflated = await _cpu_seconds_of(api, bomb, {"Content-Encoding": "gzip"})
    assert status == 413
    # Inflating the gigabyte takes about a second of CPU; reading 1 MB of it, milliseconds.
    assert inflated < 5 * plain + 0.1, (plain, inflated)
    assert await api.call(sid, "customer.count") == 0


async def test_four_bombs_leave_an_admins_call_its_latency(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [ADA])

    async def info_seconds() -> float:
        started = time.perf_counter()
        await api.call(sid, "customer.info", customer_id)
        return time.perf_counter() - started

    idle = sorted([await info_seconds() for _ in range(20)])[10]
    bomb = _bomb(1 << 30)
    bombs = [
        asyncio.ensure_future(
            api.client.post(ENDPOINT, data=io.BytesIO(bomb), headers={"Content-Encoding": "gzip"})
        )
        for _ in range(4)
    ]
    busy = [await info_seconds() for _ in range(5)]
    for response in await asyncio.gather(*bombs):
        assert response.status == 413
    # Inflated on the event loop, the four bombs held every call for seconds.
    assert max(busy) < allowance(0.5, idle), (idle, busy)


@pytest.mark.parametrize(
    ("body", "encoding", "status"),
    [
        (b"not gzip at all", "gzip", 400),
        (gzip.compress(b'{"jsonrpc": "2.0"}')[:-12], "gzip", 400),
        (b"x", "br, gzip", 415),
        (b"x", "compress", 415),
    ],
    ids=["not-gzip", "cut-short", "two-encodings", "unknown-encoding"],
)
async def test_a_body_that_does_not_inflate_is_refused_and_runs_nothing(
    api: Api, sid: str, body: bytes, encoding: str, status: int
) -> None:
    response = await api.client.post(ENDPOINT, data=body, headers={"Content-Encoding": encoding})
    assert response.status == status
    error = orjson.loads(await response.read())["error"]
    assert error["code"] == -32600
    assert await api.fetchval("SELECT count(*) FROM customer") == 0


async def test_an_empty_compressed_body_is_a_parse_error(api: Api) -> None:
    status, answer = await api.post(b"", headers={"Content-Encoding": "gzip"})
    assert status == 200 and answer["error"]["code"] == -32700
