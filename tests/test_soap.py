"""SOAP v1, v2 and WS-I over the same core as JSON-RPC: sessions, permissions, validation,
faults and filters, with real clients (PHP's SoapClient, zeep) and with raw envelopes where the
wire itself is the point."""

import asyncio
import base64
import io
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree

from gateway.auth import users
from gateway.auth.passwords import SecretHasher
from tests.helpers import Api
from tests.soap_clients import run_php, zeep_client

EXAMPLES = Path(__file__).resolve().parent / "soap_examples"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def envelope(operation: str, parts: str, namespace: str = "urn:OpenMage") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENV}" xmlns:ns1="{namespace}"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
        f' xmlns:xsi="{XSI}" xmlns:ns2="http://xml.apache.org/xml-soap"'
        ' xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/">'
        f"<SOAP-ENV:Body><ns1:{operation}>{parts}</ns1:{operation}></SOAP-ENV:Body>"
        "</SOAP-ENV:Envelope>"
    ).encode()


def string(name: str, value: str) -> str:
    return f'<{name} xsi:type="xsd:string">{value}</{name}>'


async def soap(
    api: Api, path: str, body: bytes | io.BytesIO, headers: dict[str, str] | None = None
) -> tuple[int, etree._Element]:
    response = await api.client.post(
        path, data=body, headers={"Content-Type": "text/xml", **(headers or {})}
    )
    raw = await response.read()
    return response.status, etree.fromstring(raw)


def fault_of(root: etree._Element) -> dict[str, Any] | None:
    fault = root.find(f".//{{{ENV}}}Fault")
    if fault is None:
        return None
    detail = fault.find("detail")
    return {
        "code": fault.findtext("faultcode"),
        "message": fault.findtext("faultstring"),
        "fault": None if detail is None else detail.findtext("fault"),
    }


async def v1_login(api: Api, user: str = "apiUser") -> str:
    _, root = await soap(
        api, "/api/soap/", envelope("login", string("username", user) + string("apiKey", api.key))
    )
    session = root.findtext(".//loginReturn")
    assert session and len(session) == 64, etree.tostring(root)
    return session


@pytest.fixture
async def soap_user(api: Api) -> Api:
    await api.add_user("apiUser", ["all"])
    return api


async def test_every_endpoint_serves_its_wsdl_naming_itself(api: Api) -> None:
    for path, style in (
        ("/api/soap/", "rpc"),
        ("/api/", "rpc"),
        ("/api/v2_soap/", "rpc"),
        ("/api/v2_soap_wsi/", "document"),
    ):
        response = await api.client.get(f"{path}?wsdl")
        assert response.status == 200 and response.content_type == "text/xml"
        wsdl = etree.fromstring(await response.read())
        ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}
        assert wsdl.get("targetNamespace") == "urn:OpenMage"
        location = wsdl.find(".//s:address", ns).get("location")
        assert location == str(api.client.make_url(path))
        assert wsdl.find(".//s:binding", ns).get("style") == style


async def test_forwarded_headers_count_only_behind_a_trusted_proxy(api: Api) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com"}
    response = await api.client.get("/api/soap/?wsdl", headers=forwarded)
    assert b"https://shop.example.com" not in await response.read()


async def test_v1_session_catalogue_and_faults(soap_user: Api) -> None:
    api = soap_user
    session = await v1_login(api)
    _, root = await soap(api, "/api/soap/", envelope("resources", string("sessionId", session)))
    names = root.xpath("//resourcesReturn/item/item[key='name']/value/text()")
    assert {"customer", "customer_group", "customer_address"} <= set(names)
    _, root = await soap(api, "/api/soap/", envelope("globalFaults", string("sessionId", session)))
    codes = root.xpath("//globalFaultsReturn/item/item[key='code']/value/text()")
    assert codes[:7] == ["0", "1", "2", "3", "4", "5", "6"]
    _, root = await soap(
        api,
        "/api/soap/",
        envelope(
            "resourceFaults", string("sessionId", session) + string("resourceName", "customer")
        ),
    )
    assert "102" in root.xpath("//resourceFaultsReturn/item/item[key='code']/value/text()")
    _, root = await soap(api, "/api/soap/", envelope("startSession", ""))
    anonymous = root.findtext(".//startSessionReturn")
    parts = string("sessionId", anonymous or "") + string("resourcePath", "customer.list")
    status, root = await soap(api, "/api/soap/", envelope("call", parts))
    assert status == 200 and fault_of(root) == {
        "code": "5",
        "message": "Session expired. Try to relogin.",
        "fault": "session_expired",
    }
    _, root = await soap(api, "/api/soap/", envelope("endSession", string("sessionId", session)))
    assert root.findtext(".//endSessionReturn") == "true"
    parts = string("sessionId", session) + string("resourcePath", "customer.list")
    _, root = await soap(api, "/api/soap/", envelope("call", parts))
    assert fault_of(root)["code"] == "5"  # type: ignore[index]


async def test_urn_magento_requests_are_answered_in_their_namespace(soap_user: Api) -> None:
    body = envelope(
        "login", string("username", "apiUser") + string("apiKey", soap_user.key), "urn:Magento"
    )
    _, root = await soap(soap_user, "/api/soap/", body)
    response = root.find(f"{{{ENV}}}Body")[0]  # type: ignore[index]
    assert response.tag == "{urn:Magento}loginResponse"


async def test_http_basic_with_a_null_session(soap_user: Api) -> None:
    basic = base64.b64encode(f"apiUser:{soap_user.key}".encode()).decode()
    parts = f'<sessionId xsi:nil="true"/>{string("resourcePath", "customer_group.list")}'
    _, root = await soap(
        soap_user, "/api/soap/", envelope("call", parts), {"Authorization": f"Basic {basic}"}
    )
    assert (
        root.xpath("//callReturn/item/item[key='customer_group_code']/value/text()")[0]
        == "NOT LOGGED IN"
    )


async def test_permissions_and_password_hash_as_on_every_wire(api: Api) -> None:
    await api.add_user("admin", ["all"])
    await api.add_user("reader", ["customer/info"])
    sid = await api.login("admin")
    customer_id = await api.call(
        sid,
        "customer.create",
        [
            {
                "email": "a@x.com",
                "firstname": "A",
                "lastname": "B",
                "website_id": 1,
                "password": "secret-pass",
            }
        ],
    )
    for user in ("admin", "reader"):
        session = await v1_login(api, user)
        parts = (
            string("sessionId", session)
            + string("resourcePath", "customer.info")
            + f'<args xsi:type="xsd:int">{customer_id}</args>'
        )
        _, root = await soap(api, "/api/soap/", envelope("call", parts))
        keys = root.xpath("//callReturn/item/key/text()")
        assert "email" in keys and "password_hash" not in keys
    parts = (
        string("sessionId", session)
        + string("resourcePath", "customer.delete")
        + f'<args xsi:type="xsd:int">{customer_id}</args>'
    )
    _, root = await soap(api, "/api/soap/", envelope("call", parts))
    assert fault_of(root) == {"code": "2", "message": "Access denied.", "fault": "access_denied"}
    assert await api.fetchval("SELECT count(*) FROM customer") == 1


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not xml at all", "not well-formed"),
        (b'<?xml version="1.0"?><a/>', "not a SOAP 1.1 envelope"),
        (
            b'<?xml version="1.0"?>'
            b'<!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<SOAP-ENV:Body><login><username>&b;</username></login></SOAP-ENV:Body></SOAP-ENV:Envelope>",
            "DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<SOAP-ENV:Body><login><username>&x;</username></login></SOAP-ENV:Body></SOAP-ENV:Envelope>",
            "DTD",
        ),
        (envelope("dropTables", ""), "Procedure 'dropTables' not present"),
        (
            b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<SOAP-ENV:Body/></SOAP-ENV:Envelope>",
            "holds no operation",
        ),
    ],
    ids=[
        "not-xml",
        "not-envelope",
        "entity-expansion",
        "external-entity",
        "unknown-operation",
        "empty-body",
    ],
)
async def test_hostile_or_malformed_xml_is_a_client_fault(api: Api, body: bytes, says: str) -> None:
    for path in ("/api/soap/", "/api/v2_soap/", "/api/v2_soap_wsi/"):
        status, root = await soap(api, path, body)
        fault = fault_of(root)
        assert status == 200 and fault is not None, path
        assert fault["code"] == "SOAP-ENV:Client" and says in fault["message"], (path, fault)
        assert b"passwd" not in etree.tostring(root) and b"Traceback" not in etree.tostring(root)


async def test_a_structure_where_text_belongs_is_a_client_fault(api: Api) -> None:
    parts = "<username>a</username><apiKey><x/></apiKey>"
    for path, operation in (
        ("/api/soap/", "login"),
        ("/api/v2_soap/", "login"),
        ("/api/v2_soap_wsi/", "loginParam"),
    ):
        _, root = await soap(api, path, envelope(operation, parts))
        fault = fault_of(root)
        assert fault is not None and fault["code"] == "SOAP-ENV:Client", path
        assert "apiKey" in fault["message"]


async def test_a_body_over_the_limit_is_413(api: Api) -> None:
    status, root = await soap(api, "/api/soap/", io.BytesIO(b"<" + b"x" * (1024 * 1024 + 10)))
    assert status == 413 and fault_of(root)["code"] == "SOAP-ENV:Client"  # type: ignore[index]


async def test_wrong_argument_types_are_faults_naming_the_argument(soap_user: Api) -> None:
    session = await v1_login(soap_user)
    body = envelope(
        "customerCustomerInfo",
        string("sessionId", session) + string("customerId", "abc") + '<attributes xsi:nil="true"/>',
    )
    _, root = await soap(soap_user, "/api/v2_soap/", body)
    fault = fault_of(root)
    assert fault is not None and (fault["code"], fault["fault"]) == ("6", "invalid_request_param")
    assert "customerId" in fault["message"]


async def test_v1_multicall_with_break_and_atomic(soap_user: Api) -> None:
    session = await v1_login(soap_user)
    fields = "".join(
        f'<item><key xsi:type="xsd:string">{key}</key>'
        f'<value xsi:type="{kind}">{value}</value></item>'
        for key, kind, value in (
            ("email", "xsd:string", "m@x.com"),
            ("firstname", "xsd:string", "M"),
            ("lastname", "xsd:string", "N"),
            ("website_id", "xsd:int", "1"),
        )
    )
    create = (
        '<item xsi:type="SOAP-ENC:Array"><item xsi:type="xsd:string">customer.create</item>'
        f'<item xsi:type="SOAP-ENC:Array"><item xsi:type="ns2:Map">{fields}</item></item></item>'
    )
    missing = (
        '<item xsi:type="SOAP-ENC:Array"><item xsi:type="xsd:string">customer.info</item>'
        '<item xsi:type="xsd:int">999999</item></item>'
    )
    options = (
        '<options xsi:type="ns2:Map"><item><key xsi:type="xsd:string">atomic</key>'
        '<value xsi:type="xsd:boolean">true</value></item></options>'
    )
    calls = f'<calls xsi:type="SOAP-ENC:Array">{create}{missing}</calls>'
    _, root = await soap(
        soap_user,
        "/api/soap/",
        envelope("multiCall", string("sessionId", session) + calls + options),
    )
    slots = root.xpath("//multiCallReturn/item")
    assert slots[0].text == "1"
    assert root.xpath("//multiCallReturn/item[2]/item[key='faultCode']/value/text()") == ["102"]
    assert root.xpath("//multiCallReturn/item[2]/item[key='isFault']/value/text()") == ["true"]
    assert await soap_user.fetchval("SELECT count(*) FROM customer") == 0  # atomic: rolled back


@pytest.mark.parametrize("mode", ["v1", "v2", "wsi"])
async def test_php_walks_customers_and_addresses_through_each_mode(
    api: Api, tmp_path: Path, mode: str
) -> None:
    async with api.pool.acquire() as connection:
        await users.add_user(connection, "apiUser", await SecretHasher(1).hash("apiKey"), ["all"])
    code = (EXAMPLES / f"walk_{mode}.php").read_text(encoding="utf-8")
    run = await run_php(code, str(api.client.make_url("")).rstrip("/"), tmp=tmp_path)
    assert run.fault is None, run.output
    assert await api.fetchval("SELECT count(*) FROM customer") == 0
    assert await api.fetchval("SELECT count(*) FROM customer_address") == 0
    dumped = run.dumped
    if mode == "v1":
        info, listed, updated, address, address_updated, addresses, slots, *ends = dumped
        assert info["email"] == "walk.v1@example.com" and isinstance(info["customer_id"], int)
        assert [c["customer_id"] for c in listed] == [info["customer_id"]]
        assert address["region"] == "New York" and address["street"] == "1 Main St\nApt 2"
        assert addresses[0]["city"] == "Brooklyn" and addresses[0]["is_default_billing"] is True
        assert slots[1]["faultCode"] == 102 and slots[1]["isFault"] is True
        assert updated is address_updated is True and ends == [True, True, True]
    else:
        text = run.output
        assert "Customer not exists." in text
        assert "Brooklyn" in text and "New York" in text


async def test_zeep_speaks_v2_and_wsi(soap_user: Api) -> None:
    base = str(soap_user.client.make_url("")).rstrip("/")

    def walk() -> list[Any]:
        seen: list[Any] = []
        v2 = zeep_client(base, "/api/v2_soap/")
        session = v2.service.login("apiUser", soap_user.key)
        created = v2.service.customerCustomerCreate(
            session,
            {
                "email": "z@x.com",
                "firstname": "Z",
                "lastname": "Eep",
                "website_id": 1,
                "group_id": 3,
            },
        )
        filters = v2.get_type("ns0:complexFilterArray")(
            [
                v2.get_type("ns0:complexFilter")(
                    key="group_id",
                    value=v2.get_type("ns0:associativeEntity")(key="in", value="1,3"),
                )
            ]
        )
        seen.append(
            [c.email for c in v2.service.customerCustomerList(session, {"complex_filter": filters})]
        )
        seen.append(
            v2.service.customerCustomerInfo(
                session, created, v2.get_type("ns0:ArrayOfString")(["lastname"])
            ).lastname
        )
        seen.append(v2.service.customerCustomerUpdate(session, created, {"lastname": "Updated"}))
        try:
            v2.service.customerCustomerInfo(
                session, 999999, v2.get_type("ns0:ArrayOfString")(["email"])
            )
        except zeep.exceptions.Fault as fault:
            seen.append((fault.code, fault.message))
        wsi = zeep_client(base, "/api/v2_soap_wsi/")
        wsi_session = wsi.service.login(username="apiUser", apiKey=soap_user.key)
        seen.append(
            wsi.service.customerCustomerInfo(sessionId=wsi_session, customerId=created).lastname
        )
        listed = wsi.service.customerCustomerList(
            sessionId=wsi_session,
            filters={
                "complex_filter": {
                    "complexObjectArray": [
                        {"key": "email", "value": {"key": "like", "value": "z@%"}}
                    ]
                }
            },
        )
        seen.append([c.customer_id for c in listed])
        seen.append(wsi.service.customerCustomerDelete(sessionId=wsi_session, customerId=created))
        return seen

    seen = await asyncio.to_thread(walk)
    assert seen[0] == ["z@x.com"]
    assert seen[1:4] == ["Eep", True, ("102", "Customer not exists.")]
    assert seen[4] == "Updated" and seen[5] == [1] and seen[6] is True
    assert await soap_user.fetchval("SELECT count(*) FROM customer") == 0


async def test_stores_countries_and_regions_over_soap_v2(soap_user: Api) -> None:
    session = await v1_login(soap_user)
    _, root = await soap(
        soap_user, "/api/v2_soap/", envelope("storeList", string("sessionId", session))
    )
    assert root.xpath("//stores/item/code/text()") == ["admin", "default"]
    assert root.xpath("//stores/item/is_active/text()") == ["1", "1"]
    body = envelope("directoryRegionList", string("sessionId", session) + string("country", "US"))
    _, root = await soap(soap_user, "/api/v2_soap/", body)
    assert "New York" in root.xpath("//countries/item/name/text()")
    _, root = await soap(
        soap_user, "/api/v2_soap/", envelope("magentoInfo", string("sessionId", session))
    )
    assert root.findtext(".//info/magento_edition") == "Customer gateway"
