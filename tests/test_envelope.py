"""The JSON-RPC envelope alone: request checks, params against signatures, batches,
notifications and encoding, with plain methods and no database."""

from typing import Any

import orjson
import pytest
from jsonrpcserver.exceptions import JsonRpcError

from gateway.frontends.jsonrpc.envelope import _check, _fits, encode, handle
from gateway.resources.kit import RowStream


async def echo(ctx: Any, first: Any, second: Any = None) -> Any:
    return [first, second]


async def refuse(ctx: Any) -> Any:
    raise JsonRpcError(code=5, message="no", data={"fault": "session_expired"})


async def crash(ctx: Any) -> Any:
    raise RuntimeError("secret detail")


METHODS = {"echo": echo, "refuse": refuse, "crash": crash}


async def answer(body: Any, max_batch: int = 10) -> Any:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    parts = await handle(raw, METHODS, None, max_batch=max_batch, request_id_of_log="rid")
    if parts is None:
        return None
    assert all(isinstance(p, bytes) for p in parts)
    return orjson.loads(b"".join(p for p in parts if isinstance(p, bytes)))


def rpc(method: str, params: Any = None, request_id: Any = 1) -> dict[str, Any]:
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": request_id}
    if params is not None:
        request["params"] = params
    return request


@pytest.mark.parametrize(
    ("request_object", "reason"),
    [
        ({"jsonrpc": "1.0", "method": "echo", "id": 1}, '"jsonrpc" must be "2.0"'),
        ({"jsonrpc": "2.0", "method": 5, "id": 1}, '"method" must be a string'),
        ({"jsonrpc": "2.0", "method": "echo", "id": True}, '"id" must be'),
        ({"jsonrpc": "2.0", "method": "echo", "id": {}}, '"id" must be'),
        ({"jsonrpc": "2.0", "method": "echo", "id": 1.2345678901234568e29}, "64 bits"),
        ({"jsonrpc": "2.0", "method": "echo", "params": "x", "id": 1}, '"params" must be'),
        ({"jsonrpc": "2.0", "method": "echo", "extra": 1, "id": 1}, "unknown member 'extra'"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_check_says_why_a_request_is_invalid(request_object: Any, reason: str) -> None:
    problem = _check(request_object, in_batch=False)
    assert isinstance(problem, str) and reason in problem


def test_check_folds_named_params_to_snake_case() -> None:
    checked = _check(rpc("echo", {"sessionId": 1}), in_batch=False)
    assert not isinstance(checked, str) and checked.params == {"session_id": 1}


def test_params_php_encoded_from_a_list_are_that_list() -> None:
    checked = _check(rpc("echo", {"0": "a", "1": "b"}), in_batch=False)
    assert not isinstance(checked, str) and checked.params == ["a", "b"]


def test_fits_judges_params_as_a_signature_would() -> None:
    assert _fits(echo, [1]) and _fits(echo, [1, 2]) and not _fits(echo, [])
    assert not _fits(echo, [1, 2, 3])
    assert _fits(echo, {"first": 1}) and not _fits(echo, {"second": 1})
    assert not _fits(echo, {"first": 1, "third": 3})
    assert not _fits(echo, {"ctx": 1, "first": 1})


async def test_a_call_answers_its_result_with_its_own_id() -> None:
    assert await answer(rpc("echo", [1], "abc")) == {
        "jsonrpc": "2.0",
        "result": [1, None],
        "id": "abc",
    }


async def test_a_request_without_jsonrpc_is_answered_as_json_rpc_1_0() -> None:
    request = {"method": "echo", "params": [1], "id": 7}
    assert await answer(request) == {"result": [1, None], "error": None, "id": 7}
    failed = await answer({"method": "refuse", "params": [], "id": 8})
    assert failed["result"] is None and failed["error"]["code"] == 5 and "jsonrpc" not in failed
    assert await answer({"method": "echo", "params": [1], "id": None}) is None  # notification


async def test_jsonrpc_2_0_as_a_number_is_2_0() -> None:
    request = {"jsonrpc": 2.0, "method": "echo", "params": [1], "id": 1}
    assert await answer(request) == {"jsonrpc": "2.0", "result": [1, None], "id": 1}


async def test_a_batch_stays_2_0() -> None:
    answers = await answer([{"method": "echo", "params": [1], "id": 1}])
    assert answers[0]["error"]["data"] == 'a batch element must say "jsonrpc": "2.0"'


async def test_errors_with_their_codes() -> None:
    assert (await answer(b"{nope"))["error"]["code"] == -32700
    invalid = await answer({"jsonrpc": "2.0"})
    assert (
        invalid["error"]["code"] == -32600
        and invalid["error"]["data"] == '"method" must be a string'
    )
    assert (await answer(rpc("missing")))["error"]["code"] == -32601
    assert (await answer(rpc("echo", [])))["error"]["code"] == -32602
    assert (await answer(rpc("refuse")))["error"] == {
        "code": 5,
        "message": "no",
        "data": {"fault": "session_expired"},
    }


async def test_an_unexpected_error_shows_only_the_request_id() -> None:
    error = (await answer(rpc("crash")))["error"]
    assert error["code"] == -32603 and error["data"] == {"request_id": "rid"}
    assert "secret" not in orjson.dumps(error).decode()


async def test_a_batch_answers_each_element_and_skips_notifications() -> None:
    batch = [rpc("echo", [1], 1), {"jsonrpc": "2.0", "method": "echo", "params": [2]}, 5]
    answers = await answer(batch)
    assert [a.get("result") for a in answers] == [[1, None], None]
    assert answers[1]["error"]["code"] == -32600


async def test_notifications_alone_owe_nothing() -> None:
    assert await answer({"jsonrpc": "2.0", "method": "echo", "params": [1]}) is None
    assert await answer([{"jsonrpc": "2.0", "method": "echo", "params": [1]}]) is None


async def test_empty_and_oversized_batches_are_invalid() -> None:
    empty = await answer([])
    assert empty["error"]["code"] == -32600 and empty["error"]["data"] == "an empty batch"
    oversized = await answer([rpc("echo", [1], n) for n in range(3)], max_batch=2)
    assert [a["id"] for a in oversized] == [0, 1, 2]
    for element in oversized:
        assert element["error"]["code"] == -32600
        assert "at most 2" in element["error"]["data"]
        assert "GATEWAY_MAX_BATCH" in element["error"]["data"]


def test_encode_leaves_a_hole_for_each_stream() -> None:
    first, second = RowStream("a", [], heavy=False), RowStream("b", [], heavy=True)
    parts = encode({"result": [first, {"x": second}], "text": "\x00 kept"})
    assert parts[1] is first and parts[3] is second
    assert parts[0] == b'{"result":['
    assert parts[2] == b',{"x":'
    assert parts[4] == b'}],"text":"\\u0000 kept"}'


def test_encode_without_streams_is_one_part() -> None:
    assert encode({"a": 1}) == [b'{"a":1}']
