"""Custom attributes: a shop's own fields of customers and addresses (a loyalty number, a tier,
a credit limit), defined in the database (``custom_attribute``: by an import from Magento or
by ``python -m gateway attribute add``), their values kept in each row's ``attributes`` JSON
object. Each definition is a ``Field`` of its entity (``field_of``), beside the entity's own:
answered, filterable and orderable, checked on write (its type, its options), required on
create if it says so, and in every wire's documents.

The definitions are kept in memory (``definitions_cache``), exact by a notice at any change
(schema/014), so that one added or removed shows up in every process within the notice's trip.

Values as stored and answered: ``varchar``/``text`` a string, ``int`` and ``select`` (the
option's id, as Magento answers it) a number, ``decimal`` a number, ``boolean`` true/false,
``datetime`` ``YYYY-MM-DD HH:MM:SS`` (UTC), ``multiselect`` the option ids joined by commas
(``"3,5"``, as Magento stores and answers them).
"""

import decimal
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import asyncpg
import orjson
from pydantic import AfterValidator, BeforeValidator
from pydantic import Field as Limits

from gateway.resources.kit.entity import Field, Soap
from gateway.resources.kit.fields import Flag, Text, parse_datetime, text_of
from gateway.resources.kit.filters import Kind
from gateway.resources.kit.noticed import NoticedCache

__all__ = [
    "CHANNEL",
    "ENTITIES",
    "TYPES",
    "Attribute",
    "Definitions",
    "add_attribute",
    "definitions_cache",
    "field_of",
    "read_definitions",
    "remove_attribute",
    "stored_value",
]

CHANNEL = "gateway_attributes"
ENTITIES = ("customer", "customer_address")
Type = Literal["varchar", "text", "int", "decimal", "datetime", "boolean", "select", "multiselect"]
TYPES: tuple[Type, ...] = (
    "varchar",
    "text",
    "int",
    "decimal",
    "datetime",
    "boolean",
    "select",
    "multiselect",
)
CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# The table each entity's values are in, and its rows' alias in the entity's SQL.
_TABLES = {"customer": ("customer", "c"), "customer_address": ("customer_address", "a")}

_KINDS: dict[str, Kind] = {
    "varchar": "text",
    "text": "text",
    "int": "int",
    "decimal": "decimal",
    "datetime": "datetime",
    "boolean": "bool",
    "select": "int",
    "multiselect": "text",
}
# How a stored value is compared: its JSON text as the kind's SQL type.
_CAST = {"int": "::bigint", "decimal": "::numeric", "bool": "::boolean"}


@dataclass(frozen=True, slots=True)
class Attribute:
    attribute_id: int
    entity: str
    code: str
    type: Type
    label: str = ""
    required: bool = False
    options: tuple[tuple[int, str], ...] = ()  # (option id, label), in order

    @property
    def kind(self) -> Kind:
        return _KINDS[self.type]


@dataclass(frozen=True, slots=True)
class Definitions:
    """Every custom attribute, by entity; ``memo`` holds what is derived from them (an
    entity's SQL, its models), made once per set of definitions."""

    attributes: tuple[Attribute, ...]
    memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def of(self, entity: str) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if a.entity == entity)


_READ_SQL = """
SELECT attribute_id, entity, code, type, label, required, options::text
FROM custom_attribute ORDER BY attribute_id
"""


async def read_definitions(connection: asyncpg.Connection) -> Definitions:
    return Definitions(
        tuple(
            Attribute(
                row["attribute_id"],
                row["entity"],
                row["code"],
                row["type"],
                row["label"],
                row["required"],
                tuple((o["id"], o["label"]) for o in orjson.loads(row["options"])),
            )
            for row in await connection.fetch(_READ_SQL)
        )
    )


def definitions_cache() -> NoticedCache[Definitions]:
    """The definitions, kept in memory on the word of ``CHANNEL``."""
    return NoticedCache(CHANNEL, read_definitions)


# --- a definition as a field ------------------------------------------------------------------


def _option_checker(attribute: Attribute) -> Any:
    known = {option_id for option_id, _ in attribute.options}

    def one(value: Any) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("must be one of its options' ids") from None
        if isinstance(value, bool) or number not in known:
            raise ValueError(f"is not an option of {attribute.code}: {sorted(known)}")
        return number

    if attribute.type == "select":
        return BeforeValidator(one)

    def many(value: Any) -> str:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ValueError("must be a list of its options' ids, or them joined by commas")
        return ",".join(str(one(item)) for item in items if str(item).strip())

    return BeforeValidator(many)


def _datetime_text(value: Any) -> str:
    return parse_datetime(value).strftime("%Y-%m-%d %H:%M:%S")


def _finite(value: decimal.Decimal) -> decimal.Decimal:
    if not value.is_finite():
        raise ValueError("must be a number")
    return value


_VALUE_TYPES: dict[str, Any] = {
    "varchar": Text,
    "text": text_of(65535),
    "int": Annotated[int, Limits(ge=-(2**31), le=2**31 - 1)],
    "decimal": Annotated[
        decimal.Decimal, Limits(max_digits=16, decimal_places=4), AfterValidator(_finite)
    ],
    "datetime": Annotated[str, BeforeValidator(_datetime_text)],
    "boolean": Flag,
}
_XSD = {"int": "xsd:int", "decimal": "xsd:double", "bool": "xsd:boolean"}


def field_of(attribute: Attribute) -> Field:
    """The attribute as a field of its entity: after the entity's own, in the order they were
    defined, in every wire's answers and documents."""
    _, alias = _TABLES[attribute.entity]
    kind = attribute.kind
    stored = f"{alias}.attributes->'{attribute.code}'"  # a code is [a-z0-9_]: safe as text
    text = f"({alias}.attributes->>'{attribute.code}')"
    column = f"gateway_timestamp{text}" if kind == "datetime" else f"({text}{_CAST.get(kind, '')})"
    value = (
        Annotated[int | str | list[Any], _option_checker(attribute)]
        if attribute.type in ("select", "multiselect")
        else _VALUE_TYPES[attribute.type]
    )
    place = 1000 + attribute.attribute_id
    return Field(
        attribute.code,
        kind,
        sql=stored,
        column=column,
        value=value,
        stored=False,
        required=attribute.required,
        clearable=not attribute.required,
        rest=place,
        soap=Soap(place, place, _XSD.get(kind), _XSD.get(kind)),
        description=attribute.label or attribute.code,
    )


def stored_value(value: Any) -> Any:
    """A checked value as its JSON in ``attributes`` (a decimal as a JSON number)."""
    return float(value) if isinstance(value, decimal.Decimal) else value


# --- defining them ----------------------------------------------------------------------------

_INSERT_SQL = """
INSERT INTO custom_attribute (entity, code, type, label, required, options)
VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)
ON CONFLICT (entity, code) DO UPDATE SET
    type = EXCLUDED.type, label = EXCLUDED.label, required = EXCLUDED.required,
    options = EXCLUDED.options
RETURNING attribute_id
"""
_DELETE_SQL = "DELETE FROM custom_attribute WHERE entity = $1 AND code = $2"


def _index_sql(attribute: Attribute) -> str | None:
    """An index that answers an equality on the attribute, as filters compare it."""
    table, _ = _TABLES[attribute.entity]
    if attribute.entity != "customer" or attribute.kind == "datetime":
        return None
    expression = f"(attributes->>'{attribute.code}')"
    if attribute.kind == "text":
        expression = f"lower({expression})"
    else:
        expression = f"({expression}{_CAST[attribute.kind]})"
    name = f"{table}_attribute_{attribute.code}"
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({expression})"


async def add_attribute(connection: asyncpg.Connection, attribute: Attribute) -> int:
    """Define (or redefine) an attribute, with the index its filters use; its id."""
    options = orjson.dumps([{"id": i, "label": label} for i, label in attribute.options])
    async with connection.transaction():
        attribute_id: int = await connection.fetchval(
            _INSERT_SQL,
            attribute.entity,
            attribute.code,
            attribute.type,
            attribute.label,
            attribute.required,
            options.decode(),
        )
        index = _index_sql(attribute)
        if index is not None:
            await connection.execute(index)
    return attribute_id


async def remove_attribute(connection: asyncpg.Connection, entity: str, code: str) -> bool:
    """Remove an attribute's definition, its values and its index."""
    table, _ = _TABLES[entity]
    async with connection.transaction():
        if await connection.execute(_DELETE_SQL, entity, code) == "DELETE 0":
            return False
        await connection.execute(
            f"UPDATE {table} SET attributes = attributes - $1::text WHERE attributes ? $1", code
        )
        await connection.execute(f"DROP INDEX IF EXISTS {table}_attribute_{code}")
    return True
