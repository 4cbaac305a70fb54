"""The address's fields, declared once (``ADDRESS_FIELDS``), and ``addressData``: what a
client may send for an address, and OpenMage's rules for it.

An update is validated as the address it would leave behind (the stored fields with the given
ones on top), so the same rules hold for create and update and every problem is reported at
once, with OpenMage's messages where OpenMage has one.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError

from gateway.resources.kit.attributes import Attribute, Definitions, field_of, stored_value
from gateway.resources.kit.directory import directory
from gateway.resources.kit.entity import Entity, Soap
from gateway.resources.kit.entity import Field as F
from gateway.resources.kit.fields import Flag, InvalidData, LongText, Text, details_of
from gateway.resources.kit.sql import utc_text_sql

__all__ = [
    "ADDRESS_FIELDS",
    "STORED",
    "AddressChange",
    "AddressFields",
    "AddressSchema",
    "address_schema",
    "parse_address_data",
]

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


def _street(value: Any) -> Any:
    """A list of lines or one string; stored as one string, lines joined by LF."""
    if isinstance(value, list):
        if not all(isinstance(line, str | int) and not isinstance(line, bool) for line in value):
            raise ValueError("street lines must be text")
        return "\n".join(str(line) for line in value)
    return value


def _region_id(value: Any) -> Any:
    return None if value == "" else value


Street = Annotated[LongText | None, BeforeValidator(_street)]
RegionId = Annotated[Annotated[int, Field(ge=1, le=2**31 - 1)] | None, BeforeValidator(_region_id)]
IncrementId = Annotated[Text, Field(max_length=50)]

# The address's fields, in the order its entity answers them: SQL over ``customer_address a``
# joined with its customer ``c`` (whose defaults say which address is one).
ADDRESS_FIELDS = Entity(
    "customer_address",
    (
        F(
            "customer_address_id",
            "int",
            sql="a.address_id",
            read_only=True,
            aliases=("entity_id", "address_id"),
            soap=Soap(1),
        ),
        F("created_at", "datetime", sql=utc_text_sql("a.created_at"), read_only=True, soap=Soap(2)),
        F("updated_at", "datetime", sql=utc_text_sql("a.updated_at"), read_only=True, soap=Soap(3)),
        F("increment_id", "text", sql="a.increment_id", value=IncrementId, soap=Soap(4)),
        F("city", "text", sql="a.city", value=Text, soap=Soap(5, 1)),
        F("company", "text", sql="a.company", value=Text, soap=Soap(6, 2)),
        F("country_id", "text", sql="a.country_id", value=Text, soap=Soap(7, 3)),
        F("fax", "text", sql="a.fax", value=Text, soap=Soap(8, 4)),
        F("firstname", "text", sql="a.firstname", value=Text, soap=Soap(9, 5)),
        F("lastname", "text", sql="a.lastname", value=Text, soap=Soap(10, 6)),
        F("middlename", "text", sql="a.middlename", value=Text, soap=Soap(11, 7)),
        F("postcode", "text", sql="a.postcode", value=Text, soap=Soap(12, 8)),
        F("prefix", "text", sql="a.prefix", value=Text, soap=Soap(13, 9)),
        F("region", "text", sql="a.region", value=Text, soap=Soap(14, 11)),
        F("region_id", "int", sql="a.region_id", value=RegionId, soap=Soap(15, 10)),
        # One text, its lines joined by LF; written as a list of lines or a string.
        F(
            "street",
            "text",
            sql="a.street",
            value=Street,
            soap=Soap(16, 12, input_type="ArrayOfString"),
        ),
        F("suffix", "text", sql="a.suffix", value=Text, soap=Soap(17, 13)),
        F("telephone", "text", sql="a.telephone", value=Text, soap=Soap(18, 14)),
        F("vat_id", "text", sql="a.vat_id", value=Text),
        F("vat_is_valid", "bool", sql="a.vat_is_valid", value=Flag),
        F("vat_request_id", "text", sql="a.vat_request_id", value=Text),
        F("vat_request_date", "text", sql="a.vat_request_date", value=Text),
        F("vat_request_success", "bool", sql="a.vat_request_success", value=Flag),
        # The customer's defaults, read as flags of the address, set through it.
        F(
            "is_default_billing",
            "bool",
            sql="coalesce(c.default_billing = a.address_id, false)",
            value=Flag,
            stored=False,
            soap=Soap(19, 15),
        ),
        F(
            "is_default_shipping",
            "bool",
            sql="coalesce(c.default_shipping = a.address_id, false)",
            value=Flag,
            stored=False,
            soap=Soap(20, 16),
        ),
        F("customer_id", "int", sql="a.customer_id", read_only=True),
    ),
)
# Stored columns an address entity shows as they are.
STORED = ADDRESS_FIELDS.stored()


class AddressSchema:
    """The address's fields with a shop's custom attributes, and the model of
    ``addressData``."""

    def __init__(self, attributes: tuple[Attribute, ...]) -> None:
        self.attributes = {a.code: a for a in attributes}
        self.entity = ADDRESS_FIELDS.with_fields(field_of(a) for a in attributes)
        self.model = self.entity.input_model("AddressFields")
        self.protected = self.entity.read_only()


def address_schema(definitions: Definitions) -> AddressSchema:
    """The schema for these definitions (made once for them)."""
    schema: AddressSchema | None = definitions.memo.get("customer_address")
    if schema is None:
        schema = definitions.memo["customer_address"] = AddressSchema(
            definitions.of("customer_address")
        )
    return schema


# Without custom attributes: the OpenRPC document's own model.
AddressFields = AddressSchema(()).model


_DEFAULT_FLAGS = ("is_default_billing", "is_default_shipping")


@dataclass(frozen=True, slots=True)
class AddressChange:
    """The address's column values after the change, the default flags the client set, and
    the custom attributes it set (as stored; None: cleared)."""

    columns: dict[str, Any]
    defaults: dict[str, bool]
    attributes: dict[str, Any]


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


def parse_address_data(
    raw: dict[str, Any], schema: AddressSchema, current: dict[str, Any] | None = None
) -> AddressChange:
    """Validate ``addressData`` on top of ``current`` (the stored columns, for an update);
    every problem is reported at once (``InvalidData``)."""
    protected = schema.protected
    problems = [{"field": k, "message": "cannot be set"} for k in raw if k in protected]
    try:
        fields = schema.model.model_validate({k: v for k, v in raw.items() if k not in protected})
    except ValidationError as error:
        raise InvalidData(problems + details_of(error)) from None
    if problems:
        raise InvalidData(problems)
    given = {name: getattr(fields, name) for name in fields.model_fields_set}
    attributes = {
        code: None if given[code] is None else stored_value(given[code])
        for code in schema.attributes
        if code in given
    }
    for code in attributes:
        del given[code]
    problems = _attribute_problems(schema, attributes, creating=current is None)
    flags = {k: given.pop(k) for k in _DEFAULT_FLAGS if k in given}
    defaults = {k: bool(v) for k, v in flags.items() if v is not None}
    columns = {**(current or {}), **given}
    if current and "country_id" in given and given["country_id"] != current.get("country_id"):
        # A region of the old country would not fit the new one.
        if "region_id" not in given:
            columns["region_id"] = None
        if "region" not in given:
            columns["region"] = None
    problems = _address_problems(columns) + problems
    if problems:
        raise InvalidData(problems)
    return AddressChange(columns, defaults, attributes)


def _attribute_problems(
    schema: AddressSchema, attributes: dict[str, Any], *, creating: bool
) -> list[dict[str, str]]:
    """Required custom attributes: given on create, never cleared."""
    return [
        {"field": code, "message": "is required" if creating else "may not be null"}
        for code, attribute in schema.attributes.items()
        if attribute.required
        and (
            attributes.get(code) is None
            if creating
            else code in attributes and attributes[code] is None
        )
    ]


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
