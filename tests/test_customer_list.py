"""customer.list and customer.count: filters, both shapes, options, streaming."""

from typing import Any

import pytest

from tests.helpers import Api, fault_name

PEOPLE = [
    # email, firstname, lastname, group, dob, website
    ("alice@example.com", "Alice", "Archer", 1, "1980-01-15", 1),
    ("bob@example.org", "Bob", "Baker", 2, "1990-06-30", 1),
    ("carol@example.com", "Carol", "Cooper", 3, None, 1),
    ("dave@sample.net", "Dave", "Dyer", 1, "2000-12-31", 0),
]


@pytest.fixture
async def people(api: Api, sid: str) -> dict[str, int]:
    ids = {}
    for email, first, last, group, dob, website in PEOPLE:
        data = {
            "email": email,
            "firstname": first,
            "lastname": last,
            "group_id": group,
            "website_id": website,
        }
        if dob:
            data["dob"] = dob
        ids[first] = await api.call(sid, "customer.create", [data])
    return ids


async def names(api: Api, sid: str, filters: Any, options: Any = None) -> list[str]:
    args: list[Any] = [filters] if options is None else [filters, None, options]
    return [c["firstname"] for c in await api.call(sid, "customer.list", args)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # text field
        ({"email": "BOB@example.org"}, ["Bob"]),
        ({"email": {"eq": "bob@example.org"}}, ["Bob"]),
        ({"email": {"neq": "bob@example.org"}}, ["Alice", "Carol", "Dave"]),
        ({"email": {"like": "%@EXAMPLE.com"}}, ["Alice", "Carol"]),
        ({"email": {"nlike": "%example%"}}, ["Dave"]),
        ({"email": {"in": ["alice@example.com", "dave@sample.net"]}}, ["Alice", "Dave"]),
        ({"email": ["alice@example.com", "dave@sample.net"]}, ["Alice", "Dave"]),
        ({"email": {"nin": ["alice@example.com"]}}, ["Bob", "Carol", "Dave"]),
        ({"lastname": {"gt": "Baker"}}, ["Carol", "Dave"]),
        ({"lastname": {"lt": "Baker"}}, ["Alice"]),
        ({"lastname": {"gteq": "Baker", "lteq": "Cooper"}}, ["Bob", "Carol"]),
        ({"lastname": {"from": "B", "to": "C"}}, ["Bob"]),
        ({"firstname": {"seq": "carol"}}, ["Carol"]),
        ({"firstname": {"sneq": "carol"}}, ["Alice", "Bob", "Dave"]),
        ({"email": {"regexp": "^[ab].*\\.(com|org)$"}}, ["Alice", "Bob"]),
        ({"middlename": {"null": True}}, ["Alice", "Bob", "Carol", "Dave"]),
        ({"middlename": {"notnull": True}}, []),
        ({"middlename": {"is": None}}, ["Alice", "Bob", "Carol", "Dave"]),
        ({"middlename": {"is": "not null"}}, []),
        # number field
        ({"group_id": 1}, ["Alice", "Dave"]),
        ({"group_id": "2"}, ["Bob"]),
        ({"group_id": {"neq": 1}}, ["Bob", "Carol"]),
        ({"group_id": {"in": [2, "3"]}}, ["Bob", "Carol"]),
        ({"group_id": {"nin": [1]}}, ["Bob", "Carol"]),
        ({"group_id": {"gt": 1}}, ["Bob", "Carol"]),
        ({"group_id": {"lt": 2}}, ["Alice", "Dave"]),
        ({"group_id": {"gteq": 2, "lteq": 2}}, ["Bob"]),
        ({"group_id": {"from": 2, "to": 3}}, ["Bob", "Carol"]),
        ({"group_id": {"like": "3"}}, ["Carol"]),
        ({"group_id": {"seq": 3}}, ["Carol"]),
        ({"customer_id": {"gt": 2}}, ["Carol", "Dave"]),
        ({"website_id": 0}, ["Dave"]),
        # date field
        ({"dob": "1990-06-30"}, ["Bob"]),
        ({"dob": {"gt": "1985-01-01"}}, ["Bob", "Dave"]),
        ({"dob": {"lt": "1985-01-01"}}, ["Alice"]),
        ({"dob": {"from": "1980-01-15", "to": "1990-06-30", "date": True}}, ["Alice", "Bob"]),
        ({"dob": {"gteq": "1990-06-30", "lteq": "2000-12-31"}}, ["Bob", "Dave"]),
        ({"dob": {"null": True}}, ["Carol"]),
        ({"dob": {"notnull": True}}, ["Alice", "Bob", "Dave"]),
        ({"dob": {"like": "19%"}}, ["Alice", "Bob"]),
        ({"dob": {"in": ["1980-01-15", "2000-12-31"]}}, ["Alice", "Dave"]),
        ({"dob": {"neq": "1980-01-15"}}, ["Bob", "Dave"]),
        ({"dob": {"nin": ["1980-01-15"]}}, ["Bob", "Dave"]),
        ({"dob": {"seq": None}}, ["Carol"]),
        ({"dob": {"sneq": None}}, ["Alice", "Bob", "Dave"]),
        ({"dob": {"regexp": "-12-"}}, ["Dave"]),
        # several fields are ANDed
        ({"group_id": 1, "email": {"like": "%example%"}}, ["Alice"]),
    ],
)
async def test_filter_operator(
    api: Api, sid: str, people: dict[str, int], filters: Any, expected: list[str]
) -> None:
    assert await names(api, sid, filters) == expected


async def test_date_time_fields_filter(api: Api, sid: str, people: dict[str, int]) -> None:
    await api.fetchval(
        "UPDATE customer SET created_at = '2024-03-01 10:00:00+00' WHERE firstname = 'Bob' "
        "RETURNING 1"
    )
    assert await names(api, sid, {"created_at": {"lt": "2024-03-02"}}) == ["Bob"]
    assert await names(
        api,
        sid,
        {
            "created_at": {
                "from": "2024-03-01 09:00:00",
                "to": "2024-03-01 11:00:00",
                "datetime": True,
            }
        },
    ) == ["Bob"]
    assert await names(api, sid, {"created_at": {"like": "2024-03-01 10:%"}}) == ["Bob"]


async def test_soap_v2_simple_and_complex_filters(
    api: Api, sid: str, people: dict[str, int]
) -> None:
    filters = {
        "filter": [{"key": "website_id", "value": "1"}],
        "complex_filter": [
            {"key": "group_id", "value": {"key": "in", "value": "1,2"}},
            {"key": "customer_id", "value": {"key": "gteq", "value": "1"}},
            {"key": "customer_id", "value": {"key": "lt", "value": "3"}},
        ],
    }
    assert await names(api, sid, filters) == ["Alice", "Bob"]
    assert await names(
        api,
        sid,
        {
            "complex_filter": [
                {
                    "key": "email",
                    "value": {"key": "nin", "value": "alice@example.com,bob@example.org"},
                }
            ]
        },
    ) == ["Carol", "Dave"]


@pytest.mark.parametrize(
    ("filters", "why"),
    [
        ({"shoe_size": 4}, "Invalid attribute name: shoe_size"),
        ({"group_id": {"between": [1, 2]}}, "unknown operator"),
        ({"group_id": "one"}, "not a valid int"),
        ({"group_id": {"in": ["x"]}}, "not a valid int"),
        ({"dob": {"gt": "last tuesday"}}, "not a valid date"),
        ({"is_active": {"eq": "maybe"}}, "not a valid bool"),
        ({"email": {"regexp": "(unclosed"}}, "regular expression"),
        ({"email": {"gt": None}}, "needs a value"),
        ({"dob": {"from": "2000-01-01", "date": "yes"}}, "flag"),
        ({"password_hash": "x"}, "Invalid attribute name: password_hash"),
        ({"complex_filter": [{"key": "group_id", "value": "1"}]}, "key, value"),
    ],
)
async def test_bad_filters_are_filters_invalid(
    api: Api, sid: str, people: dict[str, int], filters: Any, why: str
) -> None:
    error = await api.fault(sid, "customer.list", [filters])
    assert (error["code"], fault_name(error)) == (101, "filters_invalid")
    assert why in error["message"]


async def test_filters_that_are_not_an_object(api: Api, sid: str, people: dict[str, int]) -> None:
    error = await api.fault(sid, "customer.list", {"filters": "group_id=1"})
    assert (error["code"], fault_name(error)) == (101, "filters_invalid")
    assert "must be an object" in error["message"]


async def test_injection_in_names_and_values_stays_harmless(
    api: Api, sid: str, people: dict[str, int]
) -> None:
    evil = "x'; DROP TABLE customer; --"
    assert await names(api, sid, {"lastname": evil}) == []
    assert await names(api, sid, {"lastname": {"like": evil}}) == []
    for filters in ({evil: 1}, {"lastname": {evil: 1}}):
        error = await api.fault(sid, "customer.list", [filters])
        assert fault_name(error) == "filters_invalid"
    error = await api.fault(sid, "customer.list", [None, None, {"order": evil}])
    assert fault_name(error) == "filters_invalid"
    error = await api.fault(sid, "customer.list", [None, None, {"dir": "asc; DROP TABLE x"}])
    assert fault_name(error) == "filters_invalid"
    assert await api.fetchval("SELECT count(*) FROM customer") == 4


async def test_order_and_direction(api: Api, sid: str, people: dict[str, int]) -> None:
    assert await names(api, sid, None, {"order": "lastname", "dir": "desc"}) == [
        "Dave",
        "Carol",
        "Bob",
        "Alice",
    ]
    assert await names(api, sid, None, {"order": ["group_id", "lastname"]}) == [
        "Alice",
        "Dave",
        "Bob",
        "Carol",
    ]


async def test_offset_paging(api: Api, sid: str, people: dict[str, int]) -> None:
    pages = [await names(api, sid, None, {"limit": 3, "offset": offset}) for offset in (0, 3)]
    assert pages == [["Alice", "Bob", "Carol"], ["Dave"]]


async def test_keyset_paging(api: Api, sid: str, people: dict[str, int]) -> None:
    seen: list[str] = []
    last = 0
    while True:
        page = await api.call(
            sid,
            "customer.list",
            [{"customer_id": {"gt": last}}, None, {"order": "customer_id", "limit": 2}],
        )
        if not page:
            break
        seen += [c["firstname"] for c in page]
        last = page[-1]["customer_id"]
    assert seen == ["Alice", "Bob", "Carol", "Dave"]


async def test_bad_options_are_filters_invalid(api: Api, sid: str, people: dict[str, int]) -> None:
    for options in ({"limit": -1}, {"limit": "ten"}, {"dir": "up"}, {"order": "nope"}, {"page": 2}):
        error = await api.fault(sid, "customer.list", [None, None, options])
        assert fault_name(error) == "filters_invalid", options


async def test_list_and_count_by_store(api: Api, sid: str, people: dict[str, int]) -> None:
    assert await names(api, sid, None) == ["Alice", "Bob", "Carol", "Dave"]
    found = await api.call(sid, "customer.list", [None, "admin"])
    assert [c["firstname"] for c in found] == ["Dave"]
    assert await api.call(sid, "customer.count", [None, "default"]) == 3
    error = await api.fault(sid, "customer.list", [None, "nowhere"])
    assert fault_name(error) == "store_not_exists"


async def test_count_uses_the_same_filters(api: Api, sid: str, people: dict[str, int]) -> None:
    assert await api.call(sid, "customer.count") == 4
    assert await api.call(sid, "customer.count", [{"email": {"like": "%example%"}}]) == 3
    error = await api.fault(sid, "customer.count", [{"nope": 1}])
    assert fault_name(error) == "filters_invalid"


async def test_list_and_info_return_the_same_keys(
    api: Api, sid: str, people: dict[str, int]
) -> None:
    listed = await api.call(sid, "customer.list", [{"firstname": "Alice"}])
    assert listed == [await api.call(sid, "customer.info", people["Alice"])]


async def test_a_list_of_20000_customers_is_complete_and_in_order(api: Api, sid: str) -> None:
    await api.fetchval(
        """
        INSERT INTO customer (website_id, store_id, group_id, email, firstname, lastname)
        SELECT 1, 1, 1 + n % 3, 'user' || n || '@example.com', 'First' || n, 'Last' || n
        FROM generate_series(1, 20000) AS n
        RETURNING 1
        """
    )
    everyone = await api.call(sid, "customer.list")
    assert len(everyone) == 20000
    assert [c["customer_id"] for c in everyone] == list(range(1, 20001))
    assert everyone[12344]["email"] == "user12345@example.com"
    assert await api.call(sid, "customer.count", [{"group_id": 1}]) == 6666
    group_one = await api.call(sid, "customer.list", [{"group_id": 1}])
    assert len(group_one) == 6666


async def test_streamed_lists_inside_multicall_and_batches(
    api: Api, sid: str, people: dict[str, int]
) -> None:
    slots = await api.result(
        "multiCall",
        [sid, [["customer.list"], ["customer.count"], ["customer.list", [{"group_id": 2}]]]],
    )
    assert [c["firstname"] for c in slots[0]] == ["Alice", "Bob", "Carol", "Dave"]
    assert slots[1] == 4
    assert [c["firstname"] for c in slots[2]] == ["Bob"]
    atomic = await api.result("multiCall", [sid, [["customer.list"]], {"atomic": True}])
    assert len(atomic[0]) == 4
    status, answers = await api.post(
        [
            {"jsonrpc": "2.0", "method": "call", "params": [sid, "customer.list"], "id": 1},
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": [sid, "customer.list", [{"group_id": 3}]],
                "id": "two",
            },
        ]
    )
    assert status == 200
    assert [len(a["result"]) for a in answers] == [4, 1]
    assert [a["id"] for a in answers] == [1, "two"]
