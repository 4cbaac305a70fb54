"""Hostile input: property-based fuzzing of every method's params, args, filters, options,
customerData and addressData with arbitrary JSON, plus malformed bodies.

Every answer must be a well-formed JSON-RPC response (or 204, or 413), never a 500 and never
an internal fault; the server's log must hold no error; a rejected call leaves the database as
it was. The server is a real process on a database of its own.
"""

import asyncio
import http.client
import json
import os
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gateway.auth import users
from gateway.resources import METHODS
from gateway.resources.customer import COLUMNS
from tests.conftest import TEST_KEY
from tests.processes import free_port, run_apart, start_gateway, wait_ready

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("GATEWAY_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CUSTOMER_FIELDS = [
    "email",
    "firstname",
    "lastname",
    "middlename",
    "prefix",
    "suffix",
    "taxvat",
    "dob",
    "gender",
    "website_id",
    "store_id",
    "group_id",
    "password",
    "password_hash",
    "confirmation",
    "increment_id",
    "created_in",
    "default_billing",
    "default_shipping",
    "disable_auto_group_change",
    "is_active",
    "is_subscribed",
    "customer_id",
    "rp_token",
]
ADDRESS_FIELDS = [
    "firstname",
    "lastname",
    "middlename",
    "prefix",
    "suffix",
    "company",
    "street",
    "city",
    "country_id",
    "region",
    "region_id",
    "postcode",
    "telephone",
    "fax",
    "vat_id",
    "vat_is_valid",
    "is_default_billing",
    "is_default_shipping",
    "customer_id",
]
OPERATORS = [
    "eq",
    "neq",
    "like",
    "nlike",
    "in",
    "nin",
    "is",
    "null",
    "notnull",
    "gt",
    "lt",
    "gteq",
    "lteq",
    "from",
    "to",
    "seq",
    "sneq",
    "regexp",
    "date",
    "datetime",
    "finset",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "",
            "1",
            "0",
            "-1",
            "1985-05-15",
            "2024-01-01 10:00:00",
            "%",
            "\\",
            "a\x00b",
            "US",
            "USA",
            "default",
            "admin",
            "x" * 300,
            "null",
            "1,2,3",
            "a\uffffb",
            "jose\u0301@example.com",
            "user@xn--bcher-kva.de",
            "\uff41\uff44\uff41@example.com",  # fullwidth
            "\ufb01ona@example.com",  # a ligature
            "stra\u00dfe@example.com",
            "9" * 5000,
            10**9,  # an offset past the limit
            100_001,
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.integers(min_value=-5, max_value=5) | st.sampled_from(["1", "2", "abc", 2**40, 1.5])


def data_of(fields: list[str]) -> st.SearchStrategy[Any]:
    return st.dictionaries(st.sampled_from(fields) | st.text(max_size=8), json_values, max_size=6)


conditions = json_values | st.dictionaries(
    st.sampled_from(OPERATORS) | st.text(max_size=6), json_values, max_size=3
)
filters = (
    st.dictionaries(st.sampled_from(sorted(COLUMNS)) | st.text(max_size=8), conditions, max_size=3)
    | st.fixed_dictionaries(
        {
            "complex_filter": st.lists(
                st.fixed_dictionaries(
                    {
                        "key": st.sampled_from(sorted(COLUMNS)),
                        "value": st.fixed_dictionaries(
                            {"key": st.sampled_from(OPERATORS), "value": scalars}
                        ),
                    }
                ),
                max_size=3,
            )
        }
    )
    | json_values
)
options = st.dictionaries(
    st.sampled_from(["limit", "offset", "order", "dir", "page"]), json_values, max_size=4
)
SHAPED_ARGS: dict[str, st.SearchStrategy[Any]] = {
    "customer.list": st.tuples(filters, scalars, options).map(list),
    "customer.count": st.tuples(filters, scalars).map(list),
    "customer.info": st.tuples(ids, json_values, scalars).map(list),
    "customer.create": st.tuples(data_of(CUSTOMER_FIELDS), scalars).map(list),
    "customer.update": st.tuples(ids, data_of(CUSTOMER_FIELDS)).map(list),
    "customer.delete": ids,
    "customer_group.list": json_values,
    "customer_address.list": ids,
    "customer_address.info": ids,
    "customer_address.create": st.tuples(ids, data_of(ADDRESS_FIELDS)).map(list),
    "customer_address.update": st.tuples(ids, data_of(ADDRESS_FIELDS)).map(list),
    "customer_address.delete": ids,
    "core_store.list": json_values,
    "core_store.info": st.tuples(ids | st.sampled_from(["default", "admin", "nope", ""])).map(list),
    "core_magento.info": json_values,
    "directory_country.list": json_values,
    "directory_region.list": st.tuples(
        st.sampled_from(["US", "USA", "DE", "GB", "xx", ""]) | scalars
    ).map(list),
}


class Gateway:
    """A gateway process on its own database, spoken to over one keep-alive connection."""

    def __init__(self, port: int, url: str, log: Path) -> None:
        self.port = port
        self.url = url
        self.log = log
        self.requests = 0
        self.server_errors = 0  # answers with an HTTP 5xx status
        self._http = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self._loop = asyncio.new_event_loop()
        self._db: asyncpg.Connection = self._loop.run_until_complete(asyncpg.connect(url))
        self.session_id = ""

    def send(
        self,
        body: bytes,
        path: str = "/api/jsonrpc",
        method: str = "POST",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        self.requests += 1
        for attempt in (1, 2):
            try:
                self._http.request(
                    method,
                    path,
                    body=body,
                    headers={"Content-Type": "application/json", **(headers or {})},
                )
                response = self._http.getresponse()
                self.server_errors += response.status >= 500
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                # The server may close a connection after refusing a body; open a new one.
                self._http.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def rpc(self, method: str, params: Any, request_id: Any = 1) -> tuple[int, bytes]:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}
        return self.send(json.dumps(body).encode())

    def checksum(self) -> str:
        """A digest of every customer and address row."""
        value: str = self._loop.run_until_complete(
            self._db.fetchval(
                "SELECT md5(coalesce((SELECT string_agg(c::text, '|' ORDER BY customer_id)"
                " FROM customer c), '') || coalesce((SELECT string_agg(a::text, '|' ORDER BY"
                " address_id) FROM customer_address a), ''))"
            )
        )
        return value

    def errors_logged(self) -> list[str]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [line for line in lines if '"level":"error"' in line or "Traceback" in line]

    def close(self) -> None:
        self._http.close()
        self._loop.run_until_complete(self._db.close())
        self._loop.close()


def _prepare(url: str, key_hash: str) -> None:
    async def work() -> None:
        connection = await asyncpg.connect(url)
        try:
            await users.add_user(connection, "fuzzer", key_hash, ["all"])
            await connection.execute(
                "INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)"
                " SELECT 1, 1, 1, 'seed' || n || '@x.com', 'Seed', 'N' || n"
                " FROM generate_series(1, 3) AS n;"
                "INSERT INTO customer_address (customer_id, firstname, lastname, street, city,"
                " country_id, telephone, postcode) VALUES (1, 'A', 'B', 'S', 'C', 'US', '1', '2')"
            )
        finally:
            await connection.close()

    run_apart(work())


@pytest.fixture(scope="module")
def gateway(
    fresh_database: Callable[[], str], test_key_hash: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    url = fresh_database()
    _prepare(url, test_key_hash)
    port = free_port()
    log = tmp_path_factory.mktemp("fuzz") / "gateway.log"
    with log.open("w") as sink:
        server = start_gateway(
            url,
            port,
            env={"GATEWAY_LOGIN_MAX_FAILURES": "1000000", "GATEWAY_LOGIN_SLOWDOWN": "0"},
            output=sink,
        )
    try:
        wait_ready(port, server)
        gateway = Gateway(port, url, log)
        _, raw = gateway.rpc("login", ["fuzzer", TEST_KEY])
        gateway.session_id = json.loads(raw)["result"]
        yield gateway
        gateway.close()
        print(
            f"\nfuzzing: {gateway.requests} hostile requests"
            f" (GATEWAY_FUZZ_EXAMPLES={EXAMPLES} examples per property),"
            f" {gateway.server_errors} HTTP 5xx, {len(gateway.errors_logged())} errors logged"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def assert_well_formed(status: int, raw: bytes) -> Any:
    """A JSON-RPC answer (or 204/413) with no internal fault in it; the parsed body."""
    assert status in (200, 204, 413), (status, raw[:300])
    if status == 204:
        assert raw == b""
        return None
    body = json.loads(raw)
    for answer in body if isinstance(body, list) else [body]:
        assert "id" in answer, answer
        if "jsonrpc" in answer:
            assert answer["jsonrpc"] == "2.0", answer
            assert ("result" in answer) != ("error" in answer), answer
        else:  # a JSON-RPC 1.0 answer: both members, one of them null
            assert answer.keys() == {"result", "error", "id"}, answer
            assert answer["result"] is None or answer["error"] is None, answer
        if answer.get("error") is not None:
            error = answer["error"]
            assert isinstance(error["code"], int) and isinstance(error["message"], str)
            assert error["code"] not in (1, -32603), answer
    return body


@FUZZ
@given(data=st.data())
def test_fuzz_resource_calls(gateway: Gateway, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(sorted(METHODS)))
    args = data.draw(SHAPED_ARGS[METHODS[path].path] | json_values)  # an alias as its method
    before = gateway.checksum()
    body = assert_well_formed(*gateway.rpc("call", [gateway.session_id, path, args]))
    if "error" in body:
        assert gateway.checksum() == before, (path, args)


TRICKY = st.sampled_from(
    [
        "\\",
        "a\\",
        "%\\",
        "\\\\",
        "(",
        "[",
        "*",
        "a{2,1}",
        "\x00",
        "x\x07y",
        "'",
        "''; --",
        "9999-99-99",
        "0000-01-01",
        "2024-02-30",
        "-1",
        "1e5",
        " 1 ",
        "",
        "%%",
        "_",
        "NULL",
        "(a{1,200}){1,200}",
        "^(.*)(.*)(.*)\\1\\2\\3$",
        "(((a)+)+)+",
        "[a-z0-9]{0,40}[0-9]{0,40}[a-z0-9]{0,40}[0-9]{0,40}@x",
        "a\uffffb",
    ]
)
# Tricky operands drawn more often than anything else.
operands = st.one_of(
    TRICKY, TRICKY, TRICKY, scalars, st.lists(TRICKY | scalars, max_size=3), st.text()
)


@settings(FUZZ, max_examples=EXAMPLES * 4)
@given(
    field=st.sampled_from(sorted(COLUMNS)),
    operator=st.sampled_from(OPERATORS),
    operand=operands,
    count=st.booleans(),
)
# Known classes of database-side refusals, always tried: a pattern ending in its escape
# character on a row that matches up to it, NUL bytes, an invalid regular expression.
@example(field="email", operator="like", operand="%\\", count=False)
@example(field="email", operator="nlike", operand="%\\", count=True)
@example(field="created_at", operator="like", operand="%\\", count=True)
@example(field="lastname", operator="eq", operand="a\x00b", count=False)
@example(field="email", operator="regexp", operand="a{2,1}", count=False)
# What an attacker found stalling the gateway or reaching "internal".
@example(field="email", operator="regexp", operand="(a{1,200}){1,200}", count=True)
@example(
    field="email",
    operator="regexp",
    operand=r"^(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)\1\2\3\4\5\6\7\8\9$",
    count=True,
)
def test_fuzz_each_filter_operator(
    gateway: Gateway, field: str, operator: str, operand: Any, count: bool
) -> None:
    path = "customer.count" if count else "customer.list"
    assert_well_formed(
        *gateway.rpc("call", [gateway.session_id, path, [{field: {operator: operand}}]])
    )


@FUZZ
@given(
    method=st.sampled_from(
        [
            "login",
            "call",
            "multiCall",
            "endSession",
            "resources",
            "resourceFaults",
            "globalFaults",
            "rpc.discover",
            "customer.info",
            "customer.list",
        ]
    )
    | st.text(max_size=20),
    params=json_values,
    request_id=scalars,
)
def test_fuzz_top_level_methods(
    gateway: Gateway, method: str, params: Any, request_id: Any
) -> None:
    if method == "endSession":
        params = ["0" * 64]  # keep the fuzzer's own session alive
    before = gateway.checksum()
    body = assert_well_formed(*gateway.rpc(method, params, request_id))
    if isinstance(body, dict) and "error" in body:
        assert gateway.checksum() == before


@FUZZ
@given(
    calls=st.lists(
        st.tuples(st.sampled_from(sorted(METHODS)), json_values).map(list) | json_values, max_size=5
    ),
    options=st.none() | st.dictionaries(st.sampled_from(["break", "atomic"]), json_values),
)
@example(calls=[["customer.create", [{"email": "x"}]]], options={"atomic": "false"})
@example(calls=[["customer.list", [None, None, {"limit": 1000}]]] * 120, options=None)
def test_fuzz_multicall(gateway: Gateway, calls: Any, options: Any) -> None:
    assert_well_formed(*gateway.rpc("multiCall", [gateway.session_id, calls, options]))


@FUZZ
@given(body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_fuzz_raw_bodies(gateway: Gateway, body: bytes) -> None:
    assert_well_formed(*gateway.send(body))


@pytest.mark.parametrize(
    "body",
    [
        b'{"jsonrpc":"2.0","method":"login","params":["\xff\xfe","x"],"id":1}',
        b'{"jsonrpc":"2.0","method":"login","params":["\\ud800","x"],"id":1}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"jsonrpc":"2.0","method":"call","params":["s",' + b"[" * 900 + b"]" * 900 + b'],"id":1}',
        b'{"jsonrpc":"2.0","method":"login","params":[1e400, 12345678901234567890123456],"id":1}',
        b'{"jsonrpc":"2.0","method":"login","params":["' + b"x" * 900_000 + b'","k"],"id":1}',
        b" " * (2 * 1024 * 1024),
        b"",
        b"null",
        b'{"jsonrpc":"2.0","method":"call","id":{"a":1}}',
        b'{"jsonrpc":"2.0","method":"call","params":[],"id":123456789012345678901234567890}',
        b'{"method":"call","params":["s","customer.info",[1]],"id":1}',
        b'{"jsonrpc":2.0,"method":"call","params":{"0":"s","1":"customer.info"},"id":1}',
    ],
    ids=[
        "invalid-utf8",
        "lone-surrogate",
        "deep-nesting",
        "nested-params",
        "huge-numbers",
        "long-string",
        "oversized",
        "empty",
        "null",
        "object-id",
        "id-beyond-64-bits",
        "json-rpc-1.0",
        "php-client",
    ],
)
def test_malformed_bodies(gateway: Gateway, body: bytes) -> None:
    assert_well_formed(*gateway.send(body))


def _gzip_bomb() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 24)
    return b"".join([*(packer.compress(chunk) for _ in range(64)), packer.flush()])


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (_gzip_bomb(), {"Content-Encoding": "gzip"}, 413),
        (b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}, 400),
        (zlib.compress(b"x" * 100)[:-4], {"Content-Encoding": "deflate"}, 400),
        (b"{}", {"Content-Encoding": "br"}, 415),
        (b"{}", {"Host": "evil.example", "Origin": "http://evil.example"}, 403),
        (
            b'{"jsonrpc":"2.0","method":"login","params":["fuzzer","x"],"id":1}',
            {"X-Forwarded-For": "203.0.113.1, " * 200 + "not an address"},
            200,
        ),
    ],
    ids=["gzip-bomb", "corrupt-gzip", "cut-deflate", "unknown-encoding", "rebinding", "long-xff"],
)
def test_hostile_encodings_and_headers(
    gateway: Gateway, body: bytes, headers: dict[str, str], status: int
) -> None:
    assert gateway.send(body, headers=headers)[0] == status


@FUZZ
@given(
    query=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "page",
                    "limit",
                    "order",
                    "dir",
                    "filter[1][attribute]",
                    "filter[1][eq]",
                    "filter[1][in][]",
                    "filter[2][like]",
                    "filter[x][gt]",
                    "filter",
                ]
            )
            | st.text(max_size=10),
            st.text(max_size=20),
        ),
        max_size=4,
    ),
    item=st.sampled_from(["", "/1", "/abc", "/99999999999", "/-1", "/%D9%A1", "/" + "9" * 5000]),
    verb=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    body=st.binary(max_size=100) | json_values.map(lambda v: json.dumps(v).encode()),
)
def test_fuzz_rest(
    gateway: Gateway, query: list[tuple[str, str]], item: str, verb: str, body: bytes
) -> None:
    from urllib.parse import urlencode

    path = f"/api/rest/customers{item}?{urlencode(query)}"
    gateway.requests += 1
    gateway._http.request(
        verb,
        path,
        body=body,
        headers={
            "Authorization": f"Bearer {gateway.session_id}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
    )
    response = gateway._http.getresponse()
    raw = response.read()
    assert response.status in (200, 400, 401, 403, 404, 405, 409, 413), (path, raw[:300])
    if raw:
        assert "messages" in json.loads(raw) or response.status == 200


def test_nothing_was_logged_as_an_error(gateway: Gateway) -> None:
    # Runs last in this module: every request above has been answered by now.
    time.sleep(0.2)
    assert gateway.errors_logged() == []
