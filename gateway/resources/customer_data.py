"""``customerData``: what a client may send to create or update a customer, and its rules."""

from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from gateway.auth.passwords import is_importable_hash
from gateway.resources.kit.fields import Date, Flag, InvalidData, Text, details_of

__all__ = ["CustomerData", "parse_customer_data"]

# Set by the gateway, never by a client.
_NEVER_SET = ("rp_token", "rp_token_created_at")
# The entity's own read-only fields: an update may carry them back as they are (a client that
# sends customer.info's answer to customer.update), and they are then ignored.
_READ_ONLY = ("customer_id", "entity_id", "created_at", "updated_at")
_REQUIRED = ("email", "firstname", "lastname")
# ``null`` clears these on update; any other field given as null is an error.
_CLEARABLE = frozenset(
    {
        "middlename",
        "prefix",
        "suffix",
        "dob",
        "taxvat",
        "gender",
        "confirmation",
        "increment_id",
        "default_billing",
        "default_shipping",
    }
)


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


class CustomerData(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    email: Annotated[Text, AfterValidator(_email)] | None = None
    firstname: Text | None = None
    middlename: Text | None = None
    lastname: Text | None = None
    prefix: Text | None = None
    suffix: Text | None = None
    taxvat: Text | None = None
    dob: Date = None
    gender: Annotated[int, Field(ge=1, le=3)] | None = None
    website_id: SmallId | None = None
    store_id: SmallId | None = None
    group_id: SmallId | None = None
    password: Annotated[str, AfterValidator(_password)] | None = None
    password_hash: Annotated[Text, AfterValidator(_password_hash)] | None = None
    confirmation: Text | None = None
    increment_id: Annotated[Text, Field(max_length=50)] | None = None
    created_in: Text | None = None
    default_billing: AddressId | None = None
    default_shipping: AddressId | None = None
    disable_auto_group_change: Flag | None = None
    is_active: Flag | None = None
    is_subscribed: Flag | None = None

    def given(self) -> dict[str, Any]:
        """The fields the client sent, with their parsed values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def _carried_back(raw: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """``raw`` without what the entity carries back unchanged: its read-only fields, and a
    ``password_hash`` that is the stored one (or null where there is none)."""
    if current is None:
        return raw
    kept = dict(raw)
    own = {**current, "entity_id": current["customer_id"]}
    for name in (*_READ_ONLY, "password_hash"):
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
    raw: dict[str, Any], *, creating: bool, current: dict[str, Any] | None = None
) -> CustomerData:
    """Validate ``customerData``; every problem is reported at once (``InvalidData``).
    ``current``: the stored customer, for an update (its own read-only fields may come back)."""
    raw = _carried_back(raw, current)
    details = _password_confirmation(raw)
    raw = {k: v for k, v in raw.items() if k != "password_confirmation"}
    protected = (*_NEVER_SET, *_READ_ONLY)
    details += [
        {"field": k, "message": "cannot be changed" if current else "cannot be set"}
        for k in raw
        if k in protected
    ]
    data: CustomerData | None = None
    try:
        data = CustomerData.model_validate({k: v for k, v in raw.items() if k not in protected})
    except ValidationError as error:
        details.extend(details_of(error))
    if data is not None:
        details.extend(_rule_problems(data, creating))
    if details:
        raise InvalidData(details)
    assert data is not None
    return data


def _rule_problems(data: CustomerData, creating: bool) -> list[dict[str, str]]:
    given = data.given()
    problems = []
    for name in _REQUIRED:
        value = given.get(name, None if creating else "kept")
        if value is None or not str(value).strip():
            problems.append({"field": name, "message": "is required"})
    if not creating:
        problems.extend(
            {"field": name, "message": "may not be null"}
            for name, value in given.items()
            if value is None and name not in _CLEARABLE and name not in _REQUIRED
        )
    if data.password is not None and data.password_hash is not None:
        problems.append({"field": "password", "message": "give password or password_hash"})
    if creating and (data.default_billing or data.default_shipping):
        problems.append({"field": "default_billing", "message": "a new customer has no addresses"})
    return problems
