"""The customer's fields, declared once (``CUSTOMER_FIELDS``), and ``customerData``: what a
client may send to create or update a customer, and its rules."""

from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from gateway.auth.acl import PASSWORD_HASH
from gateway.auth.passwords import is_importable_hash
from gateway.resources.kit.attributes import Attribute, Definitions, field_of
from gateway.resources.kit.entity import Entity, Soap
from gateway.resources.kit.entity import Field as F
from gateway.resources.kit.fields import Date, Flag, InvalidData, Text, details_of
from gateway.resources.kit.sql import utc_text_sql

__all__ = [
    "CUSTOMER_FIELDS",
    "CustomerData",
    "CustomerSchema",
    "customer_schema",
    "parse_customer_data",
]


def _email(value: str) -> str:
    """The address in one normal form, as email-validator gives it: Unicode NFC, and the
    domain in Unicode whether it came so or in its IDNA ASCII form (``xn--``), lower case. Two
    spellings of one address are then one email, which the unique index can see."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None


def _password(value: str) -> str:
    value = value.strip()
    if not 7 <= len(value) <= 256:
        raise ValueError("must be 7 to 256 characters long")
    return value


def _password_hash(value: str) -> str:
    if not is_importable_hash(value):
        raise ValueError("must be an Argon2id, bcrypt, md5 or sha256 hash (hash or hash:salt)")
    return value


SmallId = Annotated[int, Field(ge=0, le=32767)]
AddressId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Email = Annotated[Text, AfterValidator(_email)]
Password = Annotated[str, AfterValidator(_password)]
PasswordHash = Annotated[Text, AfterValidator(_password_hash)]
IncrementId = Annotated[Text, Field(max_length=50)]
Gender = Annotated[int, Field(ge=1, le=3)]

# The customer's fields, in the order its entity answers them: SQL over ``customer c``.
CUSTOMER_FIELDS = Entity(
    "customer",
    (
        F(
            "customer_id",
            "int",
            sql="c.customer_id",
            index="key",
            read_only=True,
            aliases=("entity_id",),
            rest=1,
            rest_name="entity_id",
            soap=Soap(1, 1),
        ),
        F(
            "created_at",
            "datetime",
            sql=utc_text_sql("c.created_at"),
            column="c.created_at",
            read_only=True,
            rest=5,
            soap=Soap(2),
        ),
        F(
            "updated_at",
            "datetime",
            sql=utc_text_sql("c.updated_at"),
            column="c.updated_at",
            read_only=True,
            soap=Soap(3),
        ),
        F(
            "increment_id",
            "text",
            sql="c.increment_id",
            value=IncrementId,
            clearable=True,
            soap=Soap(4),
        ),
        F("store_id", "int", sql="c.store_id", index="equality", value=SmallId, soap=Soap(5, 8)),
        F(
            "website_id",
            "int",
            sql="c.website_id",
            index="equality",
            value=SmallId,
            rest=2,
            soap=Soap(6, 7),
        ),
        F("created_in", "text", sql="c.created_in", value=Text, rest=7, soap=Soap(7)),
        F(
            "email",
            "text",
            sql="c.email",
            index="equality",
            value=Email,
            required=True,
            rest=3,
            soap=Soap(8, 2),
        ),
        F(
            "firstname",
            "text",
            sql="c.firstname",
            value=Text,
            required=True,
            rest=8,
            soap=Soap(9, 3),
        ),
        F(
            "middlename",
            "text",
            sql="c.middlename",
            value=Text,
            clearable=True,
            rest=9,
            soap=Soap(10, 5),
        ),
        F(
            "lastname",
            "text",
            sql="c.lastname",
            value=Text,
            required=True,
            rest=10,
            soap=Soap(11, 4),
        ),
        F("prefix", "text", sql="c.prefix", value=Text, clearable=True, rest=11, soap=Soap(13, 10)),
        F("suffix", "text", sql="c.suffix", value=Text, clearable=True, rest=12, soap=Soap(14, 11)),
        F(
            "group_id",
            "int",
            sql="c.group_id",
            index="equality",
            value=SmallId,
            rest=4,
            soap=Soap(12, 9),
        ),
        F(
            "dob",
            "date",
            sql="to_char(c.dob, 'YYYY-MM-DD')",
            column="c.dob",
            value=Date,
            clearable=True,
            rest=14,
            soap=Soap(15, 12),
        ),
        F("taxvat", "text", sql="c.taxvat", value=Text, clearable=True, rest=13, soap=Soap(16, 13)),
        F(
            "gender",
            "int",
            sql="c.gender",
            value=Gender,
            clearable=True,
            rest=15,
            soap=Soap(input=14),
        ),
        F(
            "confirmation",
            "text",
            sql="c.confirmation",
            value=Text,
            clearable=True,
            soap=Soap(17, entity_type="xsd:boolean"),
        ),
        F("default_billing", "int", sql="c.default_billing", value=AddressId, clearable=True),
        F("default_shipping", "int", sql="c.default_shipping", value=AddressId, clearable=True),
        F(
            "disable_auto_group_change",
            "bool",
            sql="c.disable_auto_group_change",
            value=Flag,
            rest=6,
        ),
        F("is_active", "bool", sql="c.is_active", value=Flag),
        F(
            "password_hash",
            "text",
            sql="c.password_hash",
            column=None,
            value=PasswordHash,
            needs=PASSWORD_HASH,
            soap=Soap(18),
        ),
        # Written, never answered.
        F("password", "text", value=Password, soap=Soap(input=6)),
        F("is_subscribed", "bool", value=Flag),
        # Set by the gateway (a password reset), never by a client nor answered.
        F("rp_token", "text"),
        F("rp_token_created_at", "datetime"),
    ),
)


class CustomerSchema:
    """The customer's fields with a shop's custom attributes, and what follows from them for
    writes: the model of ``customerData`` and its rules."""

    def __init__(self, attributes: tuple[Attribute, ...]) -> None:
        self.attributes = {a.code: a for a in attributes}
        self.entity = CUSTOMER_FIELDS.with_fields(field_of(a) for a in attributes)
        self.model = self.entity.input_model("CustomerData")
        # The entity's own read-only fields: an update may carry them back as they are (a
        # client that sends customer.info's answer to customer.update), and they are ignored.
        self.read_only = self.entity.read_only()


def customer_schema(definitions: Definitions) -> CustomerSchema:
    """The schema for these definitions (made once for them)."""
    schema: CustomerSchema | None = definitions.memo.get("customer")
    if schema is None:
        schema = definitions.memo["customer"] = CustomerSchema(definitions.of("customer"))
    return schema


# Without custom attributes: the OpenRPC document's own model, the bench's entity.
CustomerData = CustomerSchema(()).model


def given(data: BaseModel) -> dict[str, Any]:
    """The fields the client sent, with their parsed values."""
    return {name: getattr(data, name) for name in data.model_fields_set}


def _carried_back(
    raw: dict[str, Any], schema: CustomerSchema, current: dict[str, Any] | None
) -> dict[str, Any]:
    """``raw`` without what the entity carries back unchanged: its read-only fields, and a
    ``password_hash`` that is the stored one (or null where there is none)."""
    if current is None:
        return raw
    kept = dict(raw)
    own = {**current, "entity_id": current["customer_id"]}
    for name in (*schema.read_only, "password_hash"):
        if name in kept and kept[name] == own.get(name):
            del kept[name]
    return kept


def _password_confirmation(raw: dict[str, Any]) -> list[dict[str, str]]:
    if "password_confirmation" not in raw:
        return []
    if raw["password_confirmation"] != raw.get("password"):
        return [{"field": "password_confirmation", "message": "must equal password"}]
    return []


def parse_customer_data(
    raw: dict[str, Any],
    schema: CustomerSchema,
    *,
    creating: bool,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate ``customerData``: the fields sent, with their parsed values; every problem is
    reported at once (``InvalidData``). ``current``: the stored customer, for an update (its
    own read-only fields may come back)."""
    raw = _carried_back(raw, schema, current)
    details = _password_confirmation(raw)
    raw = {k: v for k, v in raw.items() if k != "password_confirmation"}
    protected = (*schema.entity.never_set, *schema.read_only)
    details += [
        {"field": k, "message": "cannot be changed" if current else "cannot be set"}
        for k in raw
        if k in protected
    ]
    sent: dict[str, Any] | None = None
    try:
        data = schema.model.model_validate({k: v for k, v in raw.items() if k not in protected})
        sent = given(data)
    except ValidationError as error:
        details.extend(details_of(error))
    if sent is not None:
        details.extend(_rule_problems(sent, schema, creating))
    if details:
        raise InvalidData(details)
    assert sent is not None
    return sent


def _rule_problems(
    given: dict[str, Any], schema: CustomerSchema, creating: bool
) -> list[dict[str, str]]:
    entity = schema.entity
    problems = []
    for name in entity.required:
        value = given.get(name, None if creating else "kept")
        if value is None or not str(value).strip():
            problems.append({"field": name, "message": "is required"})
    if not creating:
        problems.extend(
            {"field": name, "message": "may not be null"}
            for name, value in given.items()
            if value is None and name not in entity.clearable and name not in entity.required
        )
    if given.get("password") is not None and given.get("password_hash") is not None:
        problems.append({"field": "password", "message": "give password or password_hash"})
    if creating and (given.get("default_billing") or given.get("default_shipping")):
        problems.append({"field": "default_billing", "message": "a new customer has no addresses"})
    return problems
