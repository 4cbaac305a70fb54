"""``addressData``: what a client may send for an address, and OpenMage's rules for it.

An update is validated as the address it would leave behind (the stored fields with the given
ones on top), so the same rules hold for create and update and every problem is reported at
once, with OpenMage's messages where OpenMage has one.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from gateway.resources.kit.directory import directory
from gateway.resources.kit.fields import Flag, InvalidData, LongText, Text, details_of

__all__ = ["AddressChange", "AddressFields", "parse_address_data"]

# Countries whose addresses need no postcode (Magento's default list).
POSTCODE_OPTIONAL = frozenset({"HK", "IE", "MO", "PA"})

# In the order OpenMage checks them, with its messages.
_REQUIRED: tuple[tuple[str, str], ...] = (
    ("firstname", "Please enter the first name."),
    ("lastname", "Please enter the last name."),
    ("street", "Please enter the street."),
    ("city", "Please enter the city."),
    ("telephone", "Please enter the telephone number."),
    ("postcode", "Please enter the zip/postal code."),
    ("country_id", "Please enter the country."),
)
_PROTECTED = (
    "customer_address_id",
    "entity_id",
    "address_id",
    "customer_id",
    "created_at",
    "updated_at",
)


def _street(value: Any) -> Any:
    """A list of lines or one string; stored as one string, lines joined by LF."""
    if isinstance(value, list):
        if not all(isinstance(line, str | int) and not isinstance(line, bool) for line in value):
            raise ValueError("street lines must be text")
        return "\n".join(str(line) for line in value)
    return value


def _region_id(value: Any) -> Any:
    return None if value == "" else value


class AddressFields(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    firstname: Text | None = None
    middlename: Text | None = None
    lastname: Text | None = None
    prefix: Text | None = None
    suffix: Text | None = None
    company: Text | None = None
    street: Annotated[LongText | None, BeforeValidator(_street)] = None
    city: Text | None = None
    country_id: Text | None = None
    region: Text | None = None
    region_id: Annotated[
        Annotated[int, Field(ge=1, le=2**31 - 1)] | None, BeforeValidator(_region_id)
    ] = None
    postcode: Text | None = None
    telephone: Text | None = None
    fax: Text | None = None
    vat_id: Text | None = None
    vat_is_valid: Flag | None = None
    vat_request_id: Text | None = None
    vat_request_date: Text | None = None
    vat_request_success: Flag | None = None
    increment_id: Annotated[Text, Field(max_length=50)] | None = None
    is_default_billing: Flag | None = None
    is_default_shipping: Flag | None = None


_DEFAULT_FLAGS = ("is_default_billing", "is_default_shipping")


@dataclass(frozen=True, slots=True)
class AddressChange:
    """The address's column values after the change, and the default flags the client set."""

    columns: dict[str, Any]
    defaults: dict[str, bool]


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


def parse_address_data(raw: dict[str, Any], current: dict[str, Any] | None = None) -> AddressChange:
    """Validate ``addressData`` on top of ``current`` (the stored columns, for an update);
    every problem is reported at once (``InvalidData``)."""
    problems = [{"field": k, "message": "cannot be set"} for k in raw if k in _PROTECTED]
    try:
        fields = AddressFields.model_validate({k: v for k, v in raw.items() if k not in _PROTECTED})
    except ValidationError as error:
        raise InvalidData(problems + details_of(error)) from None
    if problems:
        raise InvalidData(problems)
    given = {name: getattr(fields, name) for name in fields.model_fields_set}
    flags = {k: given.pop(k) for k in _DEFAULT_FLAGS if k in given}
    defaults = {k: bool(v) for k, v in flags.items() if v is not None}
    columns = {**(current or {}), **given}
    if current and "country_id" in given and given["country_id"] != current.get("country_id"):
        # A region of the old country would not fit the new one.
        if "region_id" not in given:
            columns["region_id"] = None
        if "region" not in given:
            columns["region"] = None
    problems = _address_problems(columns)
    if problems:
        raise InvalidData(problems)
    return AddressChange(columns, defaults)


def _address_problems(columns: dict[str, Any]) -> list[dict[str, str]]:
    problems = []
    country = directory().country(columns["country_id"]) if columns.get("country_id") else None
    if country is not None:
        columns["country_id"] = country.country_id
    for field, message in _REQUIRED:
        if field == "street":
            missing = _blank((columns.get("street") or "").split("\n")[0])
        elif field == "postcode":
            missing = _blank(columns.get("postcode")) and not (
                country and country.country_id in POSTCODE_OPTIONAL
            )
        else:
            missing = _blank(columns.get(field))
        if missing:
            problems.append({"field": field, "message": message})
    if country is None and not _blank(columns.get("country_id")):
        problems.append({"field": "country_id", "message": "is not an ISO 3166-1 country code"})
    if country is not None:
        problems.extend(_resolve_region(columns, country.country_id))
    return problems


def _resolve_region(columns: dict[str, Any], country_id: str) -> list[dict[str, str]]:
    """``region_id`` must be one of the country's regions and names it; a ``region`` text that
    names or codes one of them sets ``region_id``."""
    known = directory()
    region_id = columns.get("region_id")
    if region_id is not None:
        region = known.region(region_id)
        if region is None or region.country_id != country_id:
            return [{"field": "region_id", "message": f"is not a region of {country_id}"}]
        columns["region"] = region.name
    elif not _blank(columns.get("region")):
        region = known.region_named(country_id, columns["region"])
        if region is not None:
            columns["region_id"], columns["region"] = region.region_id, region.name
    return []
