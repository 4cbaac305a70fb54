"""The forms of ``args`` and multiCall with its options."""

from tests.helpers import Api, fault_name

NEW = {"email": "m@x.com", "firstname": "M", "lastname": "N", "website_id": 1}


async def test_args_as_list_scalar_and_named(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [NEW])
    as_list = await api.call(sid, "customer.info", [customer_id])
    assert await api.call(sid, "customer.info", customer_id) == as_list
    assert await api.call(sid, "customer.info", str(customer_id)) == as_list
    assert await api.call(sid, "customer.info", {"customerId": customer_id}) == as_list
    assert await api.call(sid, "customer.info", {"customer_id": customer_id}) == as_list


async def test_missing_args_take_defaults(api: Api, sid: str) -> None:
    await api.call(sid, "customer.create", [NEW])
    assert len(await api.call(sid, "customer.list")) == 1
    assert len(await api.call(sid, "customer.list", [])) == 1
    assert len(await api.call(sid, "customer.list", {})) == 1


async def test_unknown_named_argument_is_invalid_request_param(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.info", {"customerId": 1, "colour": "red"})
    assert (error["code"], fault_name(error)) == (6, "invalid_request_param")
    assert "colour" in error["message"]


async def test_missing_required_argument_is_invalid_request_param(api: Api, sid: str) -> None:
    for args in (None, [], {}):
        error = await api.fault(sid, "customer.update", args)
        assert (error["code"], fault_name(error)) == (6, "invalid_request_param")


async def test_too_many_arguments_is_invalid_request_param(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.delete", [1, 2])
    assert fault_name(error) == "invalid_request_param"


async def test_second_info_argument_is_attributes_or_store(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [NEW])
    assert await api.call(sid, "customer.info", [customer_id, ["email"]]) == {
        "customer_id": customer_id,
        "email": "m@x.com",
    }
    assert (await api.call(sid, "customer.info", [customer_id, 1]))["email"] == "m@x.com"
    assert (await api.call(sid, "customer.info", [customer_id, ["email"], "default"])) == {
        "customer_id": customer_id,
        "email": "m@x.com",
    }
    error = await api.fault(sid, "customer.info", [customer_id, "nowhere"])
    assert fault_name(error) == "store_not_exists"


async def test_attributes_by_name_may_be_one_field_name(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [NEW])
    answer = await api.call(
        sid, "customer.info", {"customerId": customer_id, "attributes": "email"}
    )
    assert answer == {"customer_id": customer_id, "email": "m@x.com"}


async def test_multicall_answers_each_call_and_inlines_faults(api: Api, sid: str) -> None:
    calls = [
        ["customer.create", [NEW]],
        ["customer.info", [999]],
        ["customer_group.list"],
        ["nope.nope", []],
    ]
    slots = await api.result("multiCall", [sid, calls])
    assert slots[0] == 1
    assert slots[1] == {
        "isFault": True,
        "faultCode": 102,
        "faultMessage": "Customer not exists.",
        "fault": "customer_not_exists",
    }
    assert slots[2][0]["customer_group_code"] == "NOT LOGGED IN"
    assert slots[3]["fault"] == "resource_path_invalid"


async def test_multicall_break_stops_at_the_first_fault(api: Api, sid: str) -> None:
    calls = [["customer.info", [999]], ["customer.create", [NEW]]]
    slots = await api.result("multiCall", [sid, calls, {"break": True}])
    assert len(slots) == 1 and slots[0]["isFault"]
    assert await api.fetchval("SELECT count(*) FROM customer") == 0


async def test_multicall_atomic_rolls_back_every_earlier_write(api: Api, sid: str) -> None:
    existing = await api.call(sid, "customer.create", [{**NEW, "email": "keep@x.com"}])
    calls = [
        ["customer.create", [{**NEW, "email": "one@x.com"}]],
        ["customer.update", [existing, {"firstname": "Changed"}]],
        ["customer.create", [{**NEW, "email": "two@x.com"}]],
        ["customer.create", [{**NEW, "email": "one@x.com"}]],  # a duplicate: faults
        ["customer.create", [{**NEW, "email": "never@x.com"}]],
    ]
    slots = await api.result("multiCall", [sid, calls, {"atomic": True}])
    assert len(slots) == 4
    assert slots[3]["fault"] == "customer_exists"
    assert await api.fetchval("SELECT array_agg(email) FROM customer") == ["keep@x.com"]
    assert (await api.call(sid, "customer.info", existing))["firstname"] == "M"


async def test_multicall_atomic_commits_when_every_call_succeeds(api: Api, sid: str) -> None:
    calls = [["customer.create", [{**NEW, "email": f"{n}@x.com"}]] for n in range(3)]
    slots = await api.result("multiCall", [sid, calls, {"atomic": True}])
    assert slots == [1, 2, 3]
    assert await api.fetchval("SELECT count(*) FROM customer") == 3


async def test_multicall_with_a_malformed_entry(api: Api, sid: str) -> None:
    slots = await api.result("multiCall", [sid, ["customer.list", [], 5]])
    assert [s["fault"] for s in slots] == ["resource_path_invalid"] * 3


async def test_multicall_needs_a_session(api: Api) -> None:
    error = await api.error("multiCall", ["0" * 64, [["customer.list"]]])
    assert fault_name(error) == "session_expired"


async def test_each_multicall_slot_shows_the_state_at_its_position(api: Api, sid: str) -> None:
    customer_id = await api.call(sid, "customer.create", [NEW])
    calls = [["customer.list", [{"customer_id": customer_id}]], ["customer.delete", [customer_id]]]
    listed, deleted = await api.result("multiCall", [sid, calls])
    assert [c["customer_id"] for c in listed] == [customer_id] and deleted is True


async def test_inside_an_atomic_multicall_a_list_sees_what_was_written_before_it(
    api: Api, sid: str
) -> None:
    calls = [["customer.create", [NEW]], ["customer.list", []], ["customer.count", []]]
    created, listed, counted = await api.result("multiCall", [sid, calls, {"atomic": True}])
    assert [c["customer_id"] for c in listed] == [created] and counted == 1


async def test_a_batch_with_a_list_and_a_failed_login_answers_both_whole(
    api: Api, sid: str
) -> None:
    for n in range(30):
        await api.call(sid, "customer.create", [{**NEW, "email": f"b{n}@x.com"}])
    batch = [
        {"jsonrpc": "2.0", "method": "call", "params": [sid, "customer.list", []], "id": 1},
        {"jsonrpc": "2.0", "method": "login", "params": ["nobody", "wrong"], "id": 2},
    ]
    status, answers = await api.post(batch)
    assert status == 200
    assert len(answers[0]["result"]) == 30
    assert answers[1]["error"]["data"]["fault"] == "access_denied"


async def test_a_batch_keeps_the_answers_of_writes_before_a_failing_list(
    api: Api, sid: str
) -> None:
    batch = [
        {"jsonrpc": "2.0", "method": "call", "params": [sid, "customer.create", [NEW]], "id": 1},
        {
            "jsonrpc": "2.0",
            "method": "call",
            "params": [sid, "customer.list", [{"email": {"regexp": "(a{1,200}){1,200}"}}]],
            "id": 2,
        },
    ]
    _, answers = await api.post(batch)
    assert answers[0]["result"] == 1
    assert answers[1]["error"]["data"]["fault"] == "filters_invalid"
    assert await api.fetchval("SELECT count(*) FROM customer") == 1


async def test_a_run_of_customer_info_answers_each_call_as_alone(api: Api, sid: str) -> None:
    ids = [await api.call(sid, "customer.create", [{**NEW, "email": f"{n}@x.com"}]) for n in "ab"]
    calls = [
        ["customer.info", [ids[0]]],
        ["customer.info", [999]],  # no such customer
        ["customer.info", ["x"]],  # not an id
        ["customer.info", [ids[1], ["email"]]],
        ["customer.info", {"customerId": ids[0], "store": "nowhere"}],
        ["customer.info", [ids[1], "default"]],
        ["customer.info", [ids[0]]],
    ]
    slots = await api.result("multiCall", [sid, calls])
    for (_, args), slot in zip(calls, slots, strict=True):
        answer = await api.request("call", [sid, "customer.info", args])
        if "error" in answer:
            assert slot["fault"] == fault_name(answer["error"])
        else:
            assert slot == answer["result"]
    assert [s.get("fault") for s in slots if isinstance(s, dict) and s.get("isFault")] == [
        "customer_not_exists",
        "invalid_request_param",
        "store_not_exists",
    ]


async def test_a_run_of_customer_info_sees_the_writes_before_it_and_not_after(
    api: Api, sid: str
) -> None:
    first = await api.call(sid, "customer.create", [NEW])
    calls = [
        ["customer.info", [first]],
        ["customer.info", [first + 1]],
        ["customer.update", [first, {"firstname": "Changed"}]],
        ["customer.create", [{**NEW, "email": "second@x.com"}]],
        ["customer.info", [first + 1]],
        ["customer.info", [first]],
    ]
    slots = await api.result("multiCall", [sid, calls])
    assert slots[0]["firstname"] == "M" and slots[1]["fault"] == "customer_not_exists"
    assert slots[3] == first + 1
    assert slots[4]["email"] == "second@x.com" and slots[5]["firstname"] == "Changed"
    atomic = [
        ["customer.info", [first]],
        ["customer.update", [first, {"firstname": "Again"}]],
        ["customer.info", [first]],
        ["customer.info", [first + 1]],
    ]
    slots = await api.result("multiCall", [sid, atomic, {"atomic": True}])
    assert [s["firstname"] for s in slots[::2]] == ["Changed", "Again"]
    assert slots[3]["email"] == "second@x.com"
