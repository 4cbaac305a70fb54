"""customer.create / update / delete / info: every rule and every fault, through HTTP."""

import asyncio
import unicodedata
from typing import Any

import pytest
from argon2 import PasswordHasher

from tests.helpers import Api, fault_name

BASE = {"firstname": "Ada", "lastname": "Lovelace", "website_id": 1}


async def create(api: Api, sid: str, **fields: Any) -> int:
    customer_id: int = await api.call(sid, "customer.create", [{**BASE, **fields}])
    return customer_id


async def assert_no_customers(api: Api) -> None:
    assert await api.fetchval("SELECT count(*) FROM customer") == 0


async def test_create_requires_email_firstname_lastname_all_reported(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.create", [{"website_id": 1}])
    assert (error["code"], fault_name(error)) == (100, "customer_data_invalid")
    assert {d["field"] for d in error["data"]["details"]} == {"email", "firstname", "lastname"}
    await assert_no_customers(api)


async def test_create_requires_a_website_or_store(api: Api, sid: str) -> None:
    error = await api.fault(
        sid, "customer.create", [{"email": "a@example.com", "firstname": "A", "lastname": "B"}]
    )
    assert fault_name(error) == "customer_data_invalid"
    assert error["data"]["details"][0]["field"] == "website_id"


async def test_create_takes_the_website_from_the_store(api: Api, sid: str) -> None:
    data = {"email": "a@example.com", "firstname": "A", "lastname": "B", "store_id": 1}
    customer_id = await api.call(sid, "customer.create", [data])
    customer = await api.call(sid, "customer.info", customer_id)
    assert (customer["website_id"], customer["store_id"]) == (1, 1)
    assert customer["created_in"] == "Default Store View"


async def test_customer_data_not_an_object_is_data_invalid(api: Api, sid: str) -> None:
    for bad in ("text", 5, [1, 2]):
        error = await api.fault(sid, "customer.create", [bad])
        assert (error["code"], fault_name(error)) == (100, "data_invalid")
    customer_id = await create(api, sid, email="a@example.com")
    error = await api.fault(sid, "customer.update", [customer_id, "text"])
    assert fault_name(error) == "data_invalid"


async def test_invalid_email_syntax(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.create", [{**BASE, "email": "not-an-email"}])
    assert fault_name(error) == "customer_data_invalid"
    assert error["data"]["details"][0]["field"] == "email"
    await assert_no_customers(api)


async def test_unknown_and_protected_fields_are_named(api: Api, sid: str) -> None:
    data = {**BASE, "email": "a@example.com", "shoe_size": 44, "customer_id": 9, "rp_token": "x"}
    error = await api.fault(sid, "customer.create", [data])
    assert fault_name(error) == "customer_data_invalid"
    fields = {d["field"]: d["message"] for d in error["data"]["details"]}
    assert fields == {
        "shoe_size": "is not a known field",
        "customer_id": "cannot be set",
        "rp_token": "cannot be set",
    }
    await assert_no_customers(api)


async def test_email_is_unique_per_website_ignoring_case(api: Api, sid: str) -> None:
    holder = await create(api, sid, email="Ada@Example.com")
    error = await api.fault(sid, "customer.create", [{**BASE, "email": "ada@example.COM"}])
    assert (error["code"], fault_name(error)) == (100, "customer_exists")
    assert error["data"]["customer_id"] == holder
    # Another website may hold the same address.
    other = await api.call(
        sid, "customer.create", [{**BASE, "email": "ada@example.com", "website_id": 0}]
    )
    assert other != holder


async def test_unknown_website_group_and_store(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.create", [{**BASE, "email": "a@x.com", "website_id": 9}])
    assert fault_name(error) == "website_not_exists"
    error = await api.fault(sid, "customer.create", [{**BASE, "email": "a@x.com", "group_id": 9}])
    assert fault_name(error) == "group_not_exists"
    error = await api.fault(sid, "customer.create", [{**BASE, "email": "a@x.com", "store_id": 9}])
    assert fault_name(error) == "store_not_exists"
    error = await api.fault(sid, "customer.create", [{**BASE, "email": "a@x.com"}, "nowhere"])
    assert (error["code"], fault_name(error)) == (100, "store_not_exists")
    await assert_no_customers(api)


async def test_store_of_another_website_is_refused(api: Api, sid: str) -> None:
    data = {**BASE, "email": "a@x.com", "website_id": 0, "store_id": 1}
    error = await api.fault(sid, "customer.create", [data])
    assert fault_name(error) == "customer_data_invalid"


async def test_gender_dob_and_flags_are_typed(api: Api, sid: str) -> None:
    customer_id = await create(
        api,
        sid,
        email="a@x.com",
        gender="2",
        dob="1990-02-03 00:00:00",
        disable_auto_group_change="1",
        is_active=0,
    )
    customer = await api.call(sid, "customer.info", customer_id)
    assert customer["gender"] == 2
    assert customer["dob"] == "1990-02-03"
    assert customer["disable_auto_group_change"] is True
    assert customer["is_active"] is False
    error = await api.fault(sid, "customer.create", [{**BASE, "email": "b@x.com", "gender": 4}])
    assert error["data"]["details"][0]["field"] == "gender"
    error = await api.fault(sid, "customer.create", [{**BASE, "email": "b@x.com", "dob": "3 May"}])
    assert error["data"]["details"][0]["field"] == "dob"


async def test_timestamps_are_utc_text(api: Api, sid: str) -> None:
    customer = await api.call(sid, "customer.info", await create(api, sid, email="a@x.com"))
    for stamp in (customer["created_at"], customer["updated_at"]):
        assert len(stamp) == 19 and stamp[10] == " "
    assert (
        await api.fetchval(
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM customer"
        )
        == customer["created_at"]
    )


async def test_text_round_trips_exactly_and_control_characters_are_refused(
    api: Api, sid: str
) -> None:
    name = 'Zoë <b>&amp;</b> O\'Brien "x"\ttab'
    customer_id = await create(api, sid, email="a@x.com", firstname=name)
    assert (await api.call(sid, "customer.info", customer_id))["firstname"] == name
    error = await api.fault(
        sid, "customer.create", [{**BASE, "email": "b@x.com", "lastname": "bell\x07"}]
    )
    assert error["data"]["details"][0]["field"] == "lastname"


async def test_field_longer_than_the_schema_allows_is_refused(api: Api, sid: str) -> None:
    error = await api.fault(
        sid, "customer.create", [{**BASE, "email": "a@x.com", "firstname": "x" * 256}]
    )
    assert error["data"]["details"][0]["field"] == "firstname"
    await create(api, sid, email="a@x.com", firstname="x" * 255)


async def test_password_is_stored_as_argon2id_and_verifies(api: Api, sid: str) -> None:
    customer_id = await create(api, sid, email="a@x.com", password="  correct horse  ")
    stored = await api.fetchval(
        "SELECT password_hash FROM customer WHERE customer_id = $1", customer_id
    )
    assert stored.startswith("$argon2id$")
    assert PasswordHasher().verify(stored, "correct horse")

    await api.call(sid, "customer.update", [customer_id, {"password": "battery staple"}])
    updated = await api.fetchval(
        "SELECT password_hash FROM customer WHERE customer_id = $1", customer_id
    )
    assert updated != stored
    assert PasswordHasher().verify(updated, "battery staple")


async def test_password_length_is_checked(api: Api, sid: str) -> None:
    for bad in ("short", "x" * 257, "      a      "):
        error = await api.fault(
            sid, "customer.create", [{**BASE, "email": "a@x.com", "password": bad}]
        )
        assert error["data"]["details"][0]["field"] == "password"
    await assert_no_customers(api)


async def test_magento_password_hash_is_imported_verbatim(api: Api, migrator_sid: str) -> None:
    sid = migrator_sid
    salted = "cccfb3ecf54c9644a34106783148eff2:sp"
    customer_id = await create(api, sid, email="a@x.com", password_hash=salted)
    stored = "SELECT password_hash FROM customer WHERE customer_id = $1"
    assert await api.fetchval(stored, customer_id) == salted
    error = await api.fault(
        sid, "customer.create", [{**BASE, "email": "b@x.com", "password_hash": "plaintext"}]
    )
    assert error["data"]["details"][0]["field"] == "password_hash"


async def test_info_with_attributes_keeps_customer_id(api: Api, sid: str) -> None:
    customer_id = await create(api, sid, email="a@x.com")
    customer = await api.call(sid, "customer.info", [customer_id, ["email", "lastname", "nope"]])
    assert customer == {"customer_id": customer_id, "email": "a@x.com", "lastname": "Lovelace"}
    everything = await api.call(sid, "customer.info", [customer_id, []])
    assert len(everything) > 3
    named = await api.call(sid, "customer.info", {"customerId": customer_id, "attributes": ["dob"]})
    assert named == {"customer_id": customer_id, "dob": None}


async def test_info_of_a_missing_customer(api: Api, sid: str) -> None:
    for missing in (999, "999", 0, 10**12):
        error = await api.fault(sid, "customer.info", missing)
        assert (error["code"], error["message"]) == (102, "Customer not exists.")


async def test_info_with_a_non_numeric_id_is_invalid_request_param(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.info", "abc")
    assert (error["code"], fault_name(error)) == (6, "invalid_request_param")


async def test_update_is_partial_and_null_clears_optional_fields(api: Api, sid: str) -> None:
    customer_id = await create(
        api,
        sid,
        email="a@x.com",
        middlename="M",
        prefix="Dr",
        dob="1990-01-01",
        gender=1,
        taxvat="GB1",
    )
    before = await api.call(sid, "customer.info", customer_id)
    await asyncio.sleep(0.01)
    cleared = {"middlename": None, "prefix": None, "dob": None, "gender": None, "taxvat": None}
    assert await api.call(sid, "customer.update", [customer_id, cleared]) is True
    after = await api.call(sid, "customer.info", customer_id)
    for field in cleared:
        assert after[field] is None
    assert after["firstname"] == before["firstname"]
    assert after["email"] == before["email"]
    assert await api.fetchval(
        "SELECT updated_at > created_at FROM customer WHERE customer_id = $1", customer_id
    )


async def test_update_cannot_null_a_required_field(api: Api, sid: str) -> None:
    customer_id = await create(api, sid, email="a@x.com")
    error = await api.fault(
        sid, "customer.update", [customer_id, {"lastname": None, "group_id": None}]
    )
    assert {d["field"] for d in error["data"]["details"]} == {"lastname", "group_id"}
    assert (await api.call(sid, "customer.info", customer_id))["lastname"] == "Lovelace"


async def test_update_cannot_change_website_or_created_in(api: Api, sid: str) -> None:
    customer_id = await create(api, sid, email="a@x.com")
    for change in ({"website_id": 0}, {"created_in": "Elsewhere"}):
        error = await api.fault(sid, "customer.update", [customer_id, change])
        assert fault_name(error) == "customer_data_invalid"
    # The same values are not a change (seed 002 sends website_id along with an update).
    same = {"website_id": 1, "created_in": "Default Store View", "firstname": "Same"}
    assert await api.call(sid, "customer.update", [customer_id, same]) is True


async def test_update_to_a_taken_email_is_customer_exists(api: Api, sid: str) -> None:
    holder = await create(api, sid, email="taken@x.com")
    customer_id = await create(api, sid, email="mine@x.com")
    error = await api.fault(
        sid, "customer.update", [customer_id, {"email": "TAKEN@x.com", "firstname": "Changed"}]
    )
    assert fault_name(error) == "customer_exists"
    assert error["data"]["customer_id"] == holder
    unchanged = await api.call(sid, "customer.info", customer_id)
    assert (unchanged["email"], unchanged["firstname"]) == ("mine@x.com", "Ada")


async def test_update_faults(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.update", [404, {"firstname": "X"}])
    assert fault_name(error) == "customer_not_exists"
    customer_id = await create(api, sid, email="a@x.com")
    error = await api.fault(sid, "customer.update", [customer_id, {"group_id": 42}])
    assert fault_name(error) == "group_not_exists"
    error = await api.fault(sid, "customer.update", [customer_id, {"firstname": "X"}, "nowhere"])
    assert fault_name(error) == "store_not_exists"


async def test_delete_faults_and_missing_id(api: Api, sid: str) -> None:
    error = await api.fault(sid, "customer.delete", 404)
    assert (error["code"], fault_name(error)) == (102, "customer_not_exists")
    error = await api.fault(sid, "customer.delete", [])
    assert (error["code"], fault_name(error)) == (6, "invalid_request_param")


async def test_two_concurrent_creates_of_one_email_exactly_one_wins(api: Api, sid: str) -> None:
    data = {**BASE, "email": "race@x.com"}
    answers = await asyncio.gather(
        *(api.request("call", [sid, "customer.create", [data]]) for _ in range(2))
    )
    winners = [a["result"] for a in answers if "result" in a]
    losers = [a["error"] for a in answers if "error" in a]
    assert len(winners) == 1 and len(losers) == 1
    assert fault_name(losers[0]) == "customer_exists"
    assert losers[0]["data"]["customer_id"] == winners[0]
    assert await api.fetchval("SELECT count(*) FROM customer") == 1


async def test_reading_password_hash_needs_its_own_permission(
    api: Api, sid: str, migrator_sid: str
) -> None:
    customer_id = await create(api, migrator_sid, email="a@x.com", password_hash="0" * 32)
    await api.add_user("reader", ["customer"])
    for reader in (await api.login("reader"), sid):  # a role of "customer", and one of "all"
        customer = await api.call(reader, "customer.info", customer_id)
        assert "password_hash" not in customer
        listed = await api.call(reader, "customer.list")
        assert "password_hash" not in listed[0]
        asked = await api.call(reader, "customer.info", [customer_id, ["password_hash"]])
        assert asked == {"customer_id": customer_id}

    await api.add_user("auditor", ["customer/info", "customer/password_hash"])
    await api.add_user("superuser", ["all", "customer/password_hash"])
    for name in ("auditor", "superuser"):
        allowed = await api.login(name)
        assert (await api.call(allowed, "customer.info", customer_id))["password_hash"] == "0" * 32
        assert (await api.call(allowed, "customer.list"))[0]["password_hash"] == "0" * 32


async def test_writing_password_hash_needs_what_writing_password_needs(api: Api, sid: str) -> None:
    await api.add_user("writer", ["customer/create", "customer/update"])
    await api.add_user("reader", ["customer/info"])
    writer, reader = await api.login("writer"), await api.login("reader")
    customer_id = await create(api, writer, email="a@x.com", password_hash="0" * 32)
    assert await api.call(writer, "customer.update", [customer_id, {"password_hash": "1" * 32}])
    by_all = await create(api, sid, email="b@x.com", password_hash="2" * 32)
    stored = await api.fetch("SELECT customer_id, password_hash FROM customer ORDER BY 1")
    assert [tuple(r) for r in stored] == [(customer_id, "1" * 32), (by_all, "2" * 32)]
    # Without the permission to write customers, no hash is written either.
    error = await api.fault(reader, "customer.update", [customer_id, {"password_hash": "3" * 32}])
    assert (error["code"], fault_name(error)) == (2, "access_denied")
    assert (
        await api.fetchval("SELECT password_hash FROM customer WHERE customer_id = $1", customer_id)
        == "1" * 32
    )


async def test_rp_token_is_never_returned(api: Api, sid: str) -> None:
    customer_id = await create(api, sid, email="a@x.com")
    await api.fetchval("UPDATE customer SET rp_token = 'secret-token' RETURNING 1")
    customer = await api.call(sid, "customer.info", customer_id)
    assert "rp_token" not in customer
    assert "secret-token" not in str(await api.call(sid, "customer.list"))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("josé@example.com", "jose\u0301@example.com"),
        ("user@bücher.de", "user@xn--bcher-kva.de"),
        ("Ada@example.com", "ADA@example.com"),
        ("\uff41\uff44\uff41@example.com", "ada@example.com"),  # fullwidth letters
        ("\ufb01ona@example.com", "fiona@example.com"),  # the fi ligature
        ("stra\u00dfe@example.com", "STRASSE@example.com"),  # sharp s and ss
    ],
    ids=["composed-decomposed", "unicode-idna", "case", "fullwidth", "ligature", "sharp-s"],
)
async def test_two_spellings_of_one_email_are_one_customer(
    api: Api, sid: str, first: str, second: str
) -> None:
    customer_id = await create(api, sid, email=first)
    error = await api.fault(sid, "customer.create", [{**BASE, "email": second}])
    assert fault_name(error) == "customer_exists"
    assert error["data"]["customer_id"] == customer_id
    stored = await api.fetchval("SELECT email FROM customer")
    assert stored == unicodedata.normalize("NFC", first)  # stored as given
    # Another customer cannot take it by an update either.
    other = await create(api, sid, email="other@example.com")
    error = await api.fault(sid, "customer.update", [other, {"email": second}])
    assert (fault_name(error), error["data"]["customer_id"]) == ("customer_exists", customer_id)
    # In another website it is another customer.
    assert await create(api, sid, email=second, website_id=0) > other


@pytest.mark.parametrize("text", ["a\uffffb", "a\ufffeb", "a\x01b"])
async def test_text_xml_cannot_carry_is_refused(api: Api, sid: str, text: str) -> None:
    error = await api.fault(
        sid, "customer.create", [{**BASE, "email": "a@x.com", "firstname": text}]
    )
    assert fault_name(error) == "customer_data_invalid"
    assert error["data"]["details"][0]["field"] == "firstname"
    await assert_no_customers(api)


async def test_fault_messages_are_openmage_s_own(api: Api, sid: str) -> None:
    """Integrations written against OpenMage branch on these texts."""
    customer_id = await create(api, sid, email="a@x.com")
    missing = await api.fault(sid, "customer.info", 999999)
    taken = await api.fault(sid, "customer.create", [{**BASE, "email": "a@x.com"}])
    unknown = await api.fault(sid, "customer.list", [{"nope": 1}])
    slots = await api.result("multiCall", [sid, [["customer.info", [999999]]]])
    assert missing["message"] == slots[0]["faultMessage"] == "Customer not exists."
    assert taken["message"] == "This customer email already exists"
    assert taken["data"] == {
        "fault": "customer_exists",
        "resource": "customer",
        "customer_id": customer_id,
    }
    assert unknown["message"] == "Invalid attribute name: nope"
    assert (missing["code"], taken["code"], unknown["code"]) == (102, 100, 101)


async def test_info_sent_back_through_update_is_accepted(
    api: Api, sid: str, migrator_sid: str
) -> None:
    """Read-modify-write: the entity's own read-only fields come back and are ignored."""
    customer_id = await create(api, sid, email="a@x.com", password="first-pass")
    for session in (sid, migrator_sid):  # without and with password_hash in the entity
        entity = await api.call(session, "customer.info", customer_id)
        entity["firstname"] = "Changed"
        assert await api.call(session, "customer.update", [customer_id, entity]) is True
        assert (await api.call(session, "customer.info", customer_id))["firstname"] == "Changed"
    entity = await api.call(sid, "customer.info", customer_id)
    error = await api.fault(sid, "customer.update", [customer_id, {**entity, "fistname": "Typo"}])
    assert fault_name(error) == "customer_data_invalid" and "fistname" in error["message"]
    for field, value in (("customer_id", customer_id + 1), ("created_at", "2000-01-01 00:00:00")):
        error = await api.fault(sid, "customer.update", [customer_id, {**entity, field: value}])
        assert error["data"]["details"] == [{"field": field, "message": "cannot be changed"}]
    error = await api.fault(sid, "customer.update", [customer_id, {**entity, "website_id": 0}])
    assert error["data"]["details"][0]["field"] == "website_id"


async def test_password_confirmation_must_equal_password(api: Api, sid: str) -> None:
    customer_id = await create(api, sid, email="a@x.com")
    error = await api.fault(
        sid,
        "customer.update",
        [customer_id, {"password": "new-password", "password_confirmation": "other-password"}],
    )
    assert error["data"]["details"] == [
        {"field": "password_confirmation", "message": "must equal password"}
    ]
    change = {"password": "new-password", "password_confirmation": "new-password"}
    assert await api.call(sid, "customer.update", [customer_id, change]) is True
    error = await api.fault(
        sid,
        "customer.create",
        [{**BASE, "email": "b@x.com", "password": "abcdefgh", "password_confirmation": "x"}],
    )
    assert fault_name(error) == "customer_data_invalid"
