"""The Examples section of the JSON-RPC 2.0 specification, adapted to this API's methods,
plus the transport rules of contract section 2."""

from typing import Any

from tests.helpers import Api

GROUPS = [
    {"customer_group_id": 0, "customer_group_code": "NOT LOGGED IN"},
    {"customer_group_id": 1, "customer_group_code": "General"},
    {"customer_group_id": 2, "customer_group_code": "Wholesale"},
    {"customer_group_id": 3, "customer_group_code": "Retailer"},
]


def rpc(method: str, params: Any = None, id: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        body["params"] = params
    if id is not None:
        body["id"] = id
    return body


async def test_call_with_positional_parameters(api: Api, sid: str) -> None:
    status, answer = await api.post(rpc("call", [sid, "customer_group.list", []], 1))
    assert status == 200
    assert answer == {"jsonrpc": "2.0", "result": GROUPS, "id": 1}


async def test_call_with_named_parameters(api: Api, sid: str) -> None:
    params = {"apiPath": "customer_group.list", "sessionId": sid}
    _status, answer = await api.post(rpc("call", params, 3))
    assert answer == {"jsonrpc": "2.0", "result": GROUPS, "id": 3}


async def test_named_parameters_accept_snake_case(api: Api, sid: str) -> None:
    params = {"api_path": "customer_group.list", "session_id": sid}
    _, answer = await api.post(rpc("call", params, 4))
    assert answer["result"] == GROUPS


async def test_notification_gets_no_response(api: Api, sid: str) -> None:
    status, answer = await api.post(rpc("call", [sid, "customer_group.list"]))
    assert (status, answer) == (204, None)


async def test_notification_of_a_missing_method_gets_no_response(api: Api) -> None:
    status, answer = await api.post(rpc("foobar"))
    assert (status, answer) == (204, None)


async def test_non_existent_method(api: Api) -> None:
    _, answer = await api.post(rpc("foobar", id="1"))
    assert answer["error"]["code"] == -32601
    assert answer["error"]["message"] == "Method not found"
    assert answer["id"] == "1"


async def test_invalid_json(api: Api) -> None:
    status, answer = await api.post(b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
    assert status == 200
    assert answer == {
        "jsonrpc": "2.0",
        "error": {"code": -32700, "message": "Parse error"},
        "id": None,
    }


async def test_invalid_request_object(api: Api) -> None:
    _, answer = await api.post({"jsonrpc": "2.0", "method": 1, "params": "bar"})
    assert answer == {
        "jsonrpc": "2.0",
        "error": {
            "code": -32600,
            "message": "Invalid Request",
            "data": '"method" must be a string',
        },
        "id": None,
    }


async def test_batch_with_invalid_json(api: Api) -> None:
    body = (
        b'[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},'
        b'{"jsonrpc": "2.0", "method"]'
    )
    _, answer = await api.post(body)
    assert answer["error"]["code"] == -32700
    assert answer["id"] is None


async def test_empty_batch(api: Api) -> None:
    _, answer = await api.post([])
    assert answer == {
        "jsonrpc": "2.0",
        "error": {"code": -32600, "message": "Invalid Request", "data": "an empty batch"},
        "id": None,
    }


async def test_invalid_batch_of_one(api: Api) -> None:
    _, answer = await api.post([1])
    error = {
        "code": -32600,
        "message": "Invalid Request",
        "data": "a request must be a JSON object",
    }
    assert answer == [{"jsonrpc": "2.0", "error": error, "id": None}]


async def test_invalid_batch_of_three(api: Api) -> None:
    _, answer = await api.post([1, 2, 3])
    assert len(answer) == 3
    assert all(a["error"]["code"] == -32600 and a["id"] is None for a in answer)


async def test_mixed_batch(api: Api, sid: str) -> None:
    batch = [
        rpc("call", [sid, "customer_group.list"], "1"),
        rpc("customer_group.list", [sid]),
        rpc("globalFaults", [sid], "2"),
        {"foo": "boo"},
        rpc("foo.get", {"name": "myself"}, "5"),
        rpc("call", [sid, "customer_group.list"], "9"),
    ]
    _, answer = await api.post(batch)
    assert [a["id"] for a in answer] == ["1", "2", None, "5", "9"]
    assert answer[0]["result"] == GROUPS
    assert answer[1]["result"][0] == {"code": 0, "name": "unknown", "message": "Unknown Error"}
    assert answer[2]["error"]["code"] == -32600
    assert answer[3]["error"]["code"] == -32601
    assert answer[4]["result"] == GROUPS


async def test_batch_of_notifications_only(api: Api, sid: str) -> None:
    status, answer = await api.post(
        [rpc("call", [sid, "customer_group.list"]), rpc("endSession", ["x" * 64])]
    )
    assert (status, answer) == (204, None)


async def test_ids_are_echoed_with_their_json_type(api: Api, sid: str) -> None:
    for request_id in (1, "1", 1.5, "abc"):
        _, answer = await api.post(rpc("call", [sid, "customer_group.list"], request_id))
        assert answer["id"] == request_id
        assert type(answer["id"]) is type(request_id)


async def test_null_id_is_answered_with_null(api: Api, sid: str) -> None:
    status, answer = await api.post({**rpc("call", [sid, "customer_group.list"]), "id": None})
    assert status == 200
    assert answer["id"] is None
    assert answer["result"] == GROUPS


async def test_wrong_shape_for_a_top_level_method_is_invalid_params(api: Api) -> None:
    _, answer = await api.post(rpc("login", ["only-one"], 7))
    assert answer["error"]["code"] == -32602
    _, answer = await api.post(rpc("login", {"username": "a", "apiKey": "b", "x": 1}, 8))
    assert answer["error"]["code"] == -32602
    _, answer = await api.post(rpc("multiCall", ["s" * 64, "not a list"], 9))
    assert answer["error"]["code"] == -32602


async def test_batch_over_the_limit_answers_an_error_per_element(api: Api, sid: str) -> None:
    batch = [rpc("call", [sid, "customer_group.list"], n) for n in range(101)]
    _, answer = await api.post(batch)
    assert [a["id"] for a in answer] == list(range(101))
    reason = "a batch may hold at most 100 requests (GATEWAY_MAX_BATCH)"
    for element in answer:
        assert element["error"] == {"code": -32600, "message": "Invalid Request", "data": reason}


async def test_body_over_the_limit_is_413_with_invalid_request(api: Api) -> None:
    status, answer = await api.post(b"[" + b" " * (1024 * 1024) + b"]")
    assert status == 413
    assert answer["error"]["code"] == -32600


async def test_trailing_slash_endpoint(api: Api, sid: str) -> None:
    response = await api.client.post(
        "/api/jsonrpc/", json=rpc("call", [sid, "customer_group.list"], 1)
    )
    assert response.status == 200
    assert (await response.json())["result"] == GROUPS


async def test_shortcut_method_is_a_call(api: Api, sid: str) -> None:
    assert await api.result("customer_group.list", [sid]) == GROUPS
    assert await api.result("customer_group.list", {"sessionId": sid}) == GROUPS


async def test_extra_members_make_an_invalid_request(api: Api) -> None:
    _, answer = await api.post({"jsonrpc": "2.0", "method": "login", "id": 1, "extra": True})
    assert answer["error"]["code"] == -32600


async def test_wrong_protocol_version_is_invalid_request(api: Api) -> None:
    _, answer = await api.post({"jsonrpc": "1.0", "method": "login", "id": 1})
    assert answer["error"]["code"] == -32600
    assert answer["error"]["data"] == '"jsonrpc" must be "2.0"'


async def test_an_id_beyond_64_bits_is_refused_saying_why(api: Api) -> None:
    body = b'{"jsonrpc": "2.0", "method": "login", "id": 123456789012345678901234567890}'
    _, answer = await api.post(body)
    assert answer["error"]["code"] == -32600 and "64 bits" in answer["error"]["data"]
    assert answer["id"] is None


async def test_a_json_rpc_1_0_request_is_answered_as_openmage_answers_it(
    api: Api, sid: str
) -> None:
    _, answer = await api.post({"method": "call", "params": [sid, "customer_group.list"], "id": 3})
    assert answer == {"result": GROUPS, "error": None, "id": 3}
    _, answer = await api.post({"method": "call", "params": [sid, "nope.nope"], "id": 4})
    assert answer["result"] is None and answer["id"] == 4 and "jsonrpc" not in answer
    assert answer["error"]["data"]["fault"] == "resource_path_invalid"


async def test_openmage_php_clients_numeric_version_and_object_params(api: Api, sid: str) -> None:
    body = {"jsonrpc": 2.0, "method": "call", "params": {"0": sid, "1": "customer_group.list"}}
    _, answer = await api.post({**body, "id": 5})
    assert answer == {"jsonrpc": "2.0", "result": GROUPS, "id": 5}


async def test_named_params_cannot_stand_in_for_the_context(api: Api, sid: str) -> None:
    for method in ("call", "customer_group.list"):
        _, answer = await api.post(rpc(method, {"sessionId": sid, "ctx": 1}, 1))
        assert answer["error"]["code"] == -32602
