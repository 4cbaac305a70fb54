"""The REST surface of seed 003, in XML and JSON, over the same resource code as JSON-RPC."""

import base64
from typing import Any

import orjson
import pytest
from defusedxml.ElementTree import fromstring

from tests.helpers import Api

XML = {"Content-Type": "application/xml"}
JSON = {"Accept": "application/json"}


@pytest.fixture
def auth(sid: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sid}"}


async def rest(
    api: Api, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    response = await api.client.request(method, path, headers=headers, data=body)
    return response.status, dict(response.headers), await response.read()


async def make(api: Api, sid: str, email: str, **fields: Any) -> int:
    data = {"email": email, "firstname": "john", "lastname": "Doe", "website_id": 1, **fields}
    customer_id: int = await api.call(sid, "customer.create", [data])
    return customer_id


def xml_items(body: bytes) -> list[dict[str, str | None]]:
    root = fromstring(body)
    assert root.tag == "magento_api"
    return [{child.tag: child.text for child in item} for item in root.findall("data_item")]


async def test_seed_get_customers_as_xml(api: Api, sid: str, auth: dict[str, str]) -> None:
    await make(api, sid, "test@example.com", disable_auto_group_change=1)
    await make(api, sid, "earl@example.com", firstname="Earl", lastname="Hickey")
    status, headers, body = await rest(api, "GET", "/api/rest/customers", auth)
    assert status == 200
    assert headers["Content-Type"].startswith("application/xml")
    assert body.startswith(b'<?xml version="1.0"?>')
    items = xml_items(body)
    assert [i["entity_id"] for i in items] == ["1", "2"]
    assert items[0] == {
        "entity_id": "1",
        "website_id": "1",
        "email": "test@example.com",
        "group_id": "1",
        "created_at": items[0]["created_at"],
        "disable_auto_group_change": "1",
        "created_in": "Default Store View",
        "firstname": "john",
        "lastname": "Doe",
    }


async def test_seed_get_customers_as_json(api: Api, sid: str, auth: dict[str, str]) -> None:
    await make(api, sid, "test@example.com", dob="2001-01-03", gender=1)
    await make(api, sid, "earl@example.com", firstname="Earl")
    status, headers, body = await rest(api, "GET", "/api/rest/customers", {**auth, **JSON})
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    listing = orjson.loads(body)
    assert list(listing) == ["1", "2"]
    first = listing["1"]
    assert first["entity_id"] == "1" and first["website_id"] == "1"
    assert first["dob"] == "2001-01-03 00:00:00"
    assert first["gender"] == "1"
    assert first["prefix"] is None


async def test_seed_post_customer_in_xml(api: Api, sid: str, auth: dict[str, str]) -> None:
    body = b"""<?xml version="1.0"?>
<magento_api>
    <firstname>Earl</firstname>
    <lastname>Hickey</lastname>
    <password>123123q</password>
    <email>earl@example.com</email>
    <website_id>1</website_id>
    <group_id>1</group_id>
</magento_api>"""
    status, headers, answer = await rest(api, "POST", "/api/rest/customers", {**auth, **XML}, body)
    assert (status, answer) == (200, b"")
    assert headers["Location"] == "/api/rest/customers/1"
    # …and read back over JSON-RPC
    customer = await api.call(sid, "customer.info", 1)
    assert (customer["firstname"], customer["email"]) == ("Earl", "earl@example.com")


async def test_seed_get_customer_in_xml_and_json(api: Api, sid: str, auth: dict[str, str]) -> None:
    customer_id = await make(api, sid, "test@example.com")
    status, _, body = await rest(api, "GET", f"/api/rest/customers/{customer_id}", auth)
    assert status == 200
    root = fromstring(body)
    assert root.tag == "magento_api"
    assert root.findtext("entity_id") == str(customer_id)
    assert root.findtext("email") == "test@example.com"
    status, _, body = await rest(api, "GET", f"/api/rest/customers/{customer_id}", {**auth, **JSON})
    entity = orjson.loads(body)
    assert entity["entity_id"] == str(customer_id)
    assert entity["created_in"] == "Default Store View"


async def test_seed_put_customer_in_xml(api: Api, sid: str, auth: dict[str, str]) -> None:
    customer_id = await make(api, sid, "test@example.com")
    body = b"""<?xml version="1.0"?>
<magento_api>
    <firstname>Earl</firstname>
    <lastname>Hickey</lastname>
    <email>customerss@example.com</email>
    <group_id>1</group_id>
</magento_api>"""
    status, _, answer = await rest(
        api, "PUT", f"/api/rest/customers/{customer_id}", {**auth, **XML}, body
    )
    assert (status, answer) == (200, b"")
    customer = await api.call(sid, "customer.info", customer_id)
    assert (customer["firstname"], customer["email"]) == ("Earl", "customerss@example.com")


async def test_seed_delete_customer(api: Api, sid: str, auth: dict[str, str]) -> None:
    customer_id = await make(api, sid, "test@example.com")
    status, _, _ = await rest(api, "DELETE", f"/api/rest/customers/{customer_id}", auth)
    assert status == 200
    assert await api.fetchval("SELECT count(*) FROM customer") == 0


async def test_json_bodies_in_and_created_over_json_rpc_read_over_rest(
    api: Api, sid: str, auth: dict[str, str]
) -> None:
    body = b'{"firstname":"Jo","lastname":"Ng","email":"jo@x.com","website_id":1,"group_id":2}'
    headers = {**auth, "Content-Type": "application/json", **JSON}
    status, response_headers, _ = await rest(api, "POST", "/api/rest/customers", headers, body)
    assert status == 200
    assert response_headers["Location"] == "/api/rest/customers/1"
    rpc_made = await make(api, sid, "rpc@x.com")
    status, _, body = await rest(api, "GET", f"/api/rest/customers/{rpc_made}", {**auth, **JSON})
    assert orjson.loads(body)["email"] == "rpc@x.com"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/rest/customers"),
        ("DELETE", "/api/rest/customers"),
        ("POST", "/api/rest/customers/1"),
    ],
)
async def test_not_allowed_verbs_are_405(
    api: Api, auth: dict[str, str], method: str, path: str
) -> None:
    status, _, body = await rest(api, method, path, {**auth, **JSON})
    assert status == 405
    assert orjson.loads(body) == {
        "messages": {"error": [{"code": 405, "message": "Resource method not implemented yet."}]}
    }


async def test_error_statuses_in_json(api: Api, sid: str, auth: dict[str, str]) -> None:
    async def status_of(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
        status, _, answer = await rest(api, method, path, {**headers, **JSON}, body or None)
        error = orjson.loads(answer)["messages"]["error"][0]
        assert error["code"] == status and error["message"]
        return status

    await make(api, sid, "taken@x.com")
    assert await status_of("GET", "/api/rest/customers", {}) == 401
    assert (
        await status_of("GET", "/api/rest/customers", {"Authorization": "Bearer " + "0" * 64})
        == 401
    )
    assert await status_of("GET", "/api/rest/customers/999", auth) == 404
    assert await status_of("GET", "/api/rest/customers/abc", auth) == 404
    bad = b'{"email":"not an email","firstname":"A","lastname":"B","website_id":1}'
    assert await status_of("POST", "/api/rest/customers", auth, bad) == 400
    taken = b'{"email":"TAKEN@x.com","firstname":"A","lastname":"B","website_id":1}'
    assert await status_of("POST", "/api/rest/customers", auth, taken) == 409
    assert await status_of("PUT", "/api/rest/customers/1", auth, b'{"website_id":1}') == 400
    assert await status_of("GET", "/api/rest/customers?limit=101", auth) == 400
    assert (
        await status_of(
            "GET", "/api/rest/customers?filter[1][attribute]=nope&filter[1][eq]=1", auth
        )
        == 400
    )
    await api.add_user("reader", ["customer/info"])
    reader = {"Authorization": "Bearer " + await api.login("reader")}
    assert await status_of("DELETE", "/api/rest/customers/1", reader) == 403
    assert await api.fetchval("SELECT count(*) FROM customer") == 1


async def test_errors_in_xml(api: Api, auth: dict[str, str]) -> None:
    status, headers, body = await rest(api, "GET", "/api/rest/customers/404", auth)
    assert status == 404 and headers["Content-Type"].startswith("application/xml")
    root = fromstring(body)
    assert root.findtext("messages/error/data_item/code") == "404"
    assert root.findtext("messages/error/data_item/message") == "Customer not exists."


async def test_http_basic_with_an_api_user(api: Api, sid: str) -> None:
    await make(api, sid, "a@x.com")
    basic = base64.b64encode(f"admin:{api.key}".encode()).decode()
    status, _, body = await rest(
        api, "GET", "/api/rest/customers", {"Authorization": f"Basic {basic}", **JSON}
    )
    assert status == 200 and b"a@x.com" in body
    wrong = base64.b64encode(b"admin:wrong").decode()
    status, _, _ = await rest(
        api, "GET", "/api/rest/customers", {"Authorization": f"Basic {wrong}"}
    )
    assert status == 401


async def test_a_locked_out_login_answers_401_with_retry_after(api: Api) -> None:
    await api.add_user("admin", ["all"])
    wrong = base64.b64encode(b"admin:wrong").decode()
    for _ in range(5):
        status, headers, _ = await rest(
            api, "GET", "/api/rest/customers", {"Authorization": f"Basic {wrong}", **JSON}
        )
    assert status == 401
    right = base64.b64encode(f"admin:{api.key}".encode()).decode()
    status, headers, body = await rest(
        api, "GET", "/api/rest/customers", {"Authorization": f"Basic {right}", **JSON}
    )
    assert status == 401
    assert 300 <= int(headers["Retry-After"]) <= 900  # the lockout, or the window's end
    assert orjson.loads(body)["messages"]["error"][0]["message"] == "Access denied."


async def test_list_paging_order_and_filters(api: Api, sid: str, auth: dict[str, str]) -> None:
    for n in range(5):
        await make(api, sid, f"u{n}@x.com", lastname=f"L{4 - n}", group_id=1 + n % 2)

    async def ids(query: str) -> list[str]:
        status, _, body = await rest(api, "GET", f"/api/rest/customers?{query}", {**auth, **JSON})
        assert status == 200, body
        return list(orjson.loads(body))

    assert await ids("limit=2&page=2") == ["3", "4"]
    assert await ids("order=lastname&dir=asc&limit=2") == ["5", "4"]
    assert await ids("filter[1][attribute]=group_id&filter[1][eq]=2") == ["2", "4"]
    assert await ids("filter[1][attribute]=entity_id&filter[1][in]=1,3") == ["1", "3"]
    assert await ids("filter[1][attribute]=entity_id&filter[1][in][]=2&filter[1][in][]=5") == [
        "2",
        "5",
    ]
    assert await ids(
        "filter[1][attribute]=entity_id&filter[1][gt]=1"
        "&filter[2][attribute]=entity_id&filter[2][lt]=4"
    ) == ["2", "3"]
    assert await ids("filter[1][attribute]=email&filter[1][like]=u1%25") == ["2"]
    assert await ids("filter[1][attribute]=entity_id&filter[1][from]=4&filter[1][to]=5") == [
        "4",
        "5",
    ]
    assert await ids(
        "filter[1][attribute]=group_id&filter[1][neq]=1&filter[2][attribute]=entity_id&filter[2][nin]=2"
    ) == ["4"]
    assert await ids("limit=2&page=9") == []


@pytest.mark.parametrize(
    "body",
    [
        b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<magento_api><firstname>&lol3;</firstname></magento_api>""",
        b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<magento_api><firstname>&xxe;</firstname><lastname>x</lastname>
<email>x@x.com</email><website_id>1</website_id></magento_api>""",
        b"<magento_api><firstname>unclosed</magento_api>",
        b"<magento_api><address><city>nested</city></address></magento_api>",
    ],
    ids=["billion-laughs", "external-entity", "malformed", "nested"],
)
async def test_hostile_xml_is_refused_cleanly(api: Api, auth: dict[str, str], body: bytes) -> None:
    status, _, answer = await rest(api, "POST", "/api/rest/customers", {**auth, **XML}, body)
    assert status == 400
    assert fromstring(answer).findtext("messages/error/data_item/code") == "400"
    assert b"root:" not in answer
    assert await api.fetchval("SELECT count(*) FROM customer") == 0


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("page=" + "9" * 5000, "'page' must be a whole number"),
        ("limit=" + "9" * 5000, "'limit' must be a whole number"),
        ("page=" + "9" * 21, "'page' must be a whole number"),
        ("page=20000000", "'page' may be at most 10000000"),
        ("page=%D9%A1", "'page' must be a whole number"),
        ("limit=101", "paging limit exceeds"),
    ],
)
async def test_hostile_paging_is_400_saying_why(
    api: Api, auth: dict[str, str], query: str, says: str
) -> None:
    status, _, body = await rest(api, "GET", f"/api/rest/customers?{query}", {**auth, **JSON})
    assert status == 400
    assert says in orjson.loads(body)["messages"]["error"][0]["message"]


async def test_ids_are_ascii_digits_only(api: Api, sid: str, auth: dict[str, str]) -> None:
    await make(api, sid, "a@x.com")
    for path in ("%D9%A1", "%EF%BC%91", "1" * 11):  # Arabic-Indic one, fullwidth one, too long
        status, _, _ = await rest(api, "GET", f"/api/rest/customers/{path}", {**auth, **JSON})
        assert status == 404


async def test_an_empty_element_clears_a_field(api: Api, sid: str, auth: dict[str, str]) -> None:
    customer_id = await make(api, sid, "a@x.com", middlename="R.")
    body = b"<magento_api><middlename/></magento_api>"
    status, _, _ = await rest(
        api, "PUT", f"/api/rest/customers/{customer_id}", {**auth, **XML}, body
    )
    assert status == 200
    assert (await api.call(sid, "customer.info", customer_id))["middlename"] is None


async def test_text_xml_cannot_carry_is_refused_so_xml_answers_stay_well_formed(
    api: Api, auth: dict[str, str]
) -> None:
    body = orjson.dumps(
        {"email": "a@x.com", "firstname": "a\uffffb", "lastname": "L", "website_id": 1}
    )
    status, _, _ = await rest(
        api, "POST", "/api/rest/customers", {**auth, "Content-Type": "application/json"}, body
    )
    assert status == 400
    status, _, listed = await rest(api, "GET", "/api/rest/customers", auth)
    assert status == 200 and xml_items(listed) == []
