"""customer_address: seed 001's walk-through, validation messages, faults, defaults, regions."""

from typing import Any

import pytest

from tests.helpers import Api, fault_name

ADDRESS_KEYS = {
    "customer_address_id",
    "created_at",
    "updated_at",
    "increment_id",
    "city",
    "company",
    "country_id",
    "fax",
    "firstname",
    "lastname",
    "middlename",
    "postcode",
    "prefix",
    "region",
    "region_id",
    "street",
    "suffix",
    "telephone",
    "vat_id",
    "vat_is_valid",
    "vat_request_id",
    "vat_request_date",
    "vat_request_success",
    "is_default_billing",
    "is_default_shipping",
    "customer_id",
}
VALID = {
    "firstname": "Ada",
    "lastname": "Lovelace",
    "street": ["1 Main St"],
    "city": "London",
    "telephone": "020 7946 0000",
    "postcode": "N1 9GU",
    "country_id": "GB",
}


@pytest.fixture
async def customer(api: Api, sid: str) -> int:
    data = {"email": "ada@x.com", "firstname": "Ada", "lastname": "Lovelace", "website_id": 1}
    customer_id: int = await api.call(sid, "customer.create", [data])
    return customer_id


async def add(api: Api, sid: str, customer_id: int, **fields: Any) -> int:
    address_id: int = await api.call(
        sid, "customer_address.create", [customer_id, {**VALID, **fields}]
    )
    return address_id


async def test_seed_001_address_walk_through(api: Api, sid: str) -> None:
    new_customer_id = await api.call(
        sid,
        "customer.create",
        [
            {
                "firstname": "First",
                "lastname": "Last",
                "email": "test@example.com",
                "password": "password",
                "store_id": 0,
                "website_id": 0,
            }
        ],
    )
    new_address_id = await api.call(
        sid,
        "customer_address.create",
        [
            new_customer_id,
            {
                "firstname": "First",
                "lastname": "Last",
                "country_id": "USA",
                "region_id": "43",
                "region": "New York",
                "city": "New York",
                "street": ["street1", "street2"],
                "telephone": "5555-555",
                "postcode": 10021,
                "is_default_billing": True,
                "is_default_shipping": True,
            },
        ],
    )
    assert isinstance(new_address_id, int)

    addresses = await api.call(sid, "customer_address.list", new_customer_id)
    assert len(addresses) == 1
    address = addresses[0]
    assert set(address) == ADDRESS_KEYS
    assert address["customer_address_id"] == new_address_id
    assert address["customer_id"] == new_customer_id
    assert address["country_id"] == "US"
    assert (address["region_id"], address["region"]) == (43, "New York")
    assert address["street"] == "street1\nstreet2"
    assert address["postcode"] == "10021"
    assert address["is_default_billing"] is True and address["is_default_shipping"] is True
    customer = await api.call(sid, "customer.info", new_customer_id)
    assert customer["default_billing"] == customer["default_shipping"] == new_address_id

    update = [new_address_id, {"firstname": "Changed Firstname"}]
    assert await api.call(sid, "customer_address.update", update) is True
    changed = await api.call(sid, "customer_address.info", new_address_id)
    assert changed["firstname"] == "Changed Firstname"
    assert changed["street"] == "street1\nstreet2"

    assert await api.call(sid, "customer_address.delete", new_address_id) is True
    assert await api.call(sid, "customer_address.list", new_customer_id) == []
    customer = await api.call(sid, "customer.info", new_customer_id)
    assert customer["default_billing"] is None and customer["default_shipping"] is None


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("firstname", "Please enter the first name."),
        ("lastname", "Please enter the last name."),
        ("street", "Please enter the street."),
        ("city", "Please enter the city."),
        ("telephone", "Please enter the telephone number."),
        ("postcode", "Please enter the zip/postal code."),
        ("country_id", "Please enter the country."),
    ],
)
async def test_each_validation_message_alone(
    api: Api, sid: str, customer: int, field: str, message: str
) -> None:
    data = {k: v for k, v in VALID.items() if k != field}
    error = await api.fault(sid, "customer_address.create", [customer, data])
    assert (error["code"], fault_name(error)) == (100, "data_invalid")
    assert error["message"] == message
    assert error["data"]["details"] == [{"field": field, "message": message}]
    assert await api.fetchval("SELECT count(*) FROM customer_address") == 0


async def test_all_validation_messages_together(api: Api, sid: str, customer: int) -> None:
    error = await api.fault(sid, "customer_address.create", [customer, {"street": ["", "2nd"]}])
    assert error["message"] == "\n".join(
        [
            "Please enter the first name.",
            "Please enter the last name.",
            "Please enter the street.",
            "Please enter the city.",
            "Please enter the telephone number.",
            "Please enter the zip/postal code.",
            "Please enter the country.",
        ]
    )
    assert len(error["data"]["details"]) == 7


@pytest.mark.parametrize("country", ["HK", "IE", "MO", "PA"])
async def test_postcode_is_optional_in_some_countries(
    api: Api, sid: str, customer: int, country: str
) -> None:
    data = {k: v for k, v in VALID.items() if k != "postcode"}
    await api.call(sid, "customer_address.create", [customer, {**data, "country_id": country}])


async def test_unknown_country_and_fields(api: Api, sid: str, customer: int) -> None:
    error = await api.fault(
        sid, "customer_address.create", [customer, {**VALID, "country_id": "XX"}]
    )
    assert error["data"]["details"] == [
        {"field": "country_id", "message": "is not an ISO 3166-1 country code"}
    ]
    error = await api.fault(sid, "customer_address.create", [customer, {**VALID, "colour": "red"}])
    assert error["data"]["details"] == [{"field": "colour", "message": "is not a known field"}]
    error = await api.fault(sid, "customer_address.create", [customer, "not an object"])
    assert fault_name(error) == "data_invalid"


async def test_faults_for_missing_customer_and_address(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer_address.create", [404, VALID])
    assert (error["code"], error["message"]) == (101, "Customer not exists.")
    error = await api.fault(sid, "customer_address.list", 404)
    assert (error["code"], fault_name(error)) == (101, "customer_not_exists")
    for path, args in (
        ("customer_address.info", 404),
        ("customer_address.update", [404, {"city": "X"}]),
        ("customer_address.delete", 404),
    ):
        error = await api.fault(sid, path, args)
        assert (error["code"], error["message"]) == (102, "Address not exists."), path


async def test_list_is_empty_for_a_customer_without_addresses(
    api: Api, sid: str, customer: int
) -> None:
    assert await api.call(sid, "customer_address.list", customer) == []


async def test_street_as_a_string_and_numbers_as_text(api: Api, sid: str, customer: int) -> None:
    address_id = await add(api, sid, customer, street="1 Main St\nFlat 2", telephone=5551234)
    address = await api.call(sid, "customer_address.info", address_id)
    assert (address["street"], address["telephone"]) == ("1 Main St\nFlat 2", "5551234")


async def test_update_is_partial_and_null_clears_optional_fields(
    api: Api, sid: str, customer: int
) -> None:
    address_id = await add(api, sid, customer, company="ACME", fax="123")
    await api.call(sid, "customer_address.update", [address_id, {"company": None, "city": "Bath"}])
    address = await api.call(sid, "customer_address.info", address_id)
    assert (address["company"], address["city"], address["fax"]) == (None, "Bath", "123")


async def test_update_that_leaves_a_required_field_empty(api: Api, sid: str, customer: int) -> None:
    address_id = await add(api, sid, customer)
    error = await api.fault(sid, "customer_address.update", [address_id, {"city": None}])
    assert error["message"] == "Please enter the city."
    assert (await api.call(sid, "customer_address.info", address_id))["city"] == "London"


async def test_region_by_id_code_and_name(api: Api, sid: str, customer: int) -> None:
    us = {**VALID, "country_id": "US", "postcode": "89032"}
    for region in ({"region_id": 39}, {"region": "NV"}, {"region": "nevada"}):
        address_id = await add(api, sid, customer, **{**us, **region})
        address = await api.call(sid, "customer_address.info", address_id)
        assert (address["region_id"], address["region"]) == (39, "Nevada"), region


async def test_region_of_the_wrong_country(api: Api, sid: str, customer: int) -> None:
    error = await api.fault(sid, "customer_address.create", [customer, {**VALID, "region_id": 12}])
    assert error["data"]["details"] == [{"field": "region_id", "message": "is not a region of GB"}]
    # Free text that names no region of the country is kept as it is.
    address_id = await add(api, sid, customer, region="Greater London")
    address = await api.call(sid, "customer_address.info", address_id)
    assert (address["region_id"], address["region"]) == (None, "Greater London")


async def test_changing_country_drops_the_old_region(api: Api, sid: str, customer: int) -> None:
    address_id = await add(api, sid, customer, country_id="US", region_id=12, postcode="90001")
    await api.call(sid, "customer_address.update", [address_id, {"country_id": "CA"}])
    address = await api.call(sid, "customer_address.info", address_id)
    assert (address["country_id"], address["region_id"], address["region"]) == ("CA", None, None)


async def test_default_flags_set_move_and_clear(api: Api, sid: str, customer: int) -> None:
    first = await add(api, sid, customer, is_default_billing=True, is_default_shipping=True)
    second = await add(api, sid, customer, is_default_billing=True)

    async def defaults() -> tuple[Any, Any]:
        info = await api.call(sid, "customer.info", customer)
        return info["default_billing"], info["default_shipping"]

    assert await defaults() == (second, first)
    listed = {
        a["customer_address_id"]: a for a in await api.call(sid, "customer_address.list", customer)
    }
    assert (listed[first]["is_default_billing"], listed[first]["is_default_shipping"]) == (
        False,
        True,
    )
    assert (listed[second]["is_default_billing"], listed[second]["is_default_shipping"]) == (
        True,
        False,
    )

    await api.call(sid, "customer_address.update", [second, {"is_default_shipping": True}])
    assert await defaults() == (second, second)
    # false on an address that is not the default changes nothing
    await api.call(sid, "customer_address.update", [first, {"is_default_billing": False}])
    assert await defaults() == (second, second)
    await api.call(sid, "customer_address.update", [second, {"is_default_billing": False}])
    assert await defaults() == (None, second)
    await api.call(sid, "customer_address.delete", second)
    assert await defaults() == (None, None)


async def test_customer_update_can_point_defaults_at_its_own_addresses(
    api: Api, sid: str, customer: int
) -> None:
    address_id = await add(api, sid, customer)
    await api.call(sid, "customer.update", [customer, {"default_billing": address_id}])
    assert (await api.call(sid, "customer_address.info", address_id))["is_default_billing"]
    other = await api.call(
        sid,
        "customer.create",
        [{"email": "b@x.com", "firstname": "B", "lastname": "C", "website_id": 1}],
    )
    error = await api.fault(sid, "customer.update", [other, {"default_billing": address_id}])
    assert fault_name(error) == "customer_data_invalid"


async def test_deleting_a_customer_removes_its_addresses(api: Api, sid: str, customer: int) -> None:
    address_id = await add(api, sid, customer, is_default_billing=True)
    await add(api, sid, customer)
    await api.call(sid, "customer.delete", customer)
    assert await api.fetchval("SELECT count(*) FROM customer_address") == 0
    error = await api.fault(sid, "customer_address.info", address_id)
    assert fault_name(error) == "address_not_exists"
