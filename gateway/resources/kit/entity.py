"""An entity's fields, each declared once (``Field``), and everything that follows from them
(``Entity``): the SQL that builds the entity as JSON, the columns a list may filter and order
on, the model that checks what a client writes, and the JSON Schema of the entity; the wires
read the same declarations for what is theirs (REST's field names and order, SOAP v2's struct
members and types).

    Field("group_id", "int", sql="c.group_id", index="equality", value=SmallId,
          rest=4, soap=Soap(entity=12, input=9))

A field is answered when it has ``sql``, filterable when it has a ``column`` (``sql`` unless
said otherwise), writable when it has a ``value`` type. Adding a field to an entity is one
such line (and a migration for its column).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from gateway.resources.kit.filters import Column, Index, Kind
from gateway.resources.kit.sql import json_object_sql

__all__ = ["Entity", "Field", "Soap"]


@dataclass(frozen=True, slots=True)
class Soap:
    """Where a field is in SOAP v2's structs: its place in the entity struct and in the one a
    client writes (None: not there), and its XML Schema type where it is not its kind's."""

    entity: float | None = None
    input: float | None = None
    entity_type: str | None = None
    input_type: str | None = None


_NOT_FILTERED = object()


@dataclass(frozen=True, slots=True)
class Field:
    """One field: its name, kind, how it is read (``sql``, as the client sees it; None: never
    answered), filtered and ordered (``column``, with its ``index``), and written (``value``:
    the type a client's value is checked with; None: not writable), and what the wires make
    of it (``rest``: its place among REST's fields, under ``rest_name``; ``soap``).

    ``stored``: what is written goes to the entity table's column of the field's name (False:
    the resource does something else with it). ``required``: a create needs it.
    ``clearable``: ``null`` clears it on update.
    ``read_only``: answered, never written (an update may carry it back unchanged).
    ``needs``: the ACL path a reader needs to see it. ``aliases``: other names it has in
    filters and for carrying back (``entity_id``)."""

    name: str
    kind: Kind
    sql: str | None = None
    column: Any = _NOT_FILTERED  # str, None (not filterable), or: as sql
    index: Index = "none"
    value: Any = None
    stored: bool = True
    required: bool = False
    clearable: bool = False
    read_only: bool = False
    needs: str | None = None
    aliases: tuple[str, ...] = ()
    rest: float | None = None
    rest_name: str | None = None
    soap: Soap = Soap()
    description: str = ""

    @property
    def filter_column(self) -> str | None:
        return self.sql if self.column is _NOT_FILTERED else self.column

    @property
    def writable(self) -> bool:
        return self.value is not None


# A field's kind as JSON Schema types (every value may be null: a field not set is null).
_JSON_TYPES: dict[Kind, dict[str, Any]] = {
    "int": {"type": "integer"},
    "decimal": {"type": "number"},
    "text": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "datetime": {
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
    },
    "bool": {"type": "boolean"},
}


class Entity:
    """An entity's fields, in the order its answers hold them, and what follows from them."""

    def __init__(self, name: str, fields: Iterable[Field]) -> None:
        self.name = name
        self.fields = tuple(fields)
        self.by_name = {f.name: f for f in self.fields}
        # The rules a write follows: what a create needs, what null clears on update, and
        # what is known but set by the gateway alone.
        self.required = tuple(f.name for f in self.fields if f.required)
        self.clearable = frozenset(f.name for f in self.fields if f.clearable)
        self.never_set = tuple(f.name for f in self.fields if not f.sql and not f.writable)

    def with_fields(self, more: Iterable[Field]) -> "Entity":
        """The entity with ``more`` fields after its own (a shop's custom attributes)."""
        return Entity(self.name, (*self.fields, *more))

    def answered(self, may: Callable[[str], bool]) -> tuple[Field, ...]:
        """The fields a reader with these permissions sees, in order."""
        return tuple(f for f in self.fields if f.sql and (f.needs is None or may(f.needs)))

    def json_sql(self, fields: Iterable[Field]) -> str:
        """SQL building the entity of these fields as one JSON object (as text)."""
        return json_object_sql(tuple((f.name, f.sql) for f in fields if f.sql))

    def columns(self) -> dict[str, Column]:
        """What a list may filter and order on, by field name and alias."""
        columns: dict[str, Column] = {}
        for f in self.fields:
            if f.filter_column is not None and f.needs is None:
                column = Column(f.filter_column, f.kind, f.index)
                columns.update(dict.fromkeys((f.name, *f.aliases), column))
        return columns

    def input_model(self, name: str, **extra: Any) -> type[BaseModel]:
        """The model of what a client may write: each writable field, optional (the rules of
        the entity say what is required when), and ``extra`` fields ``name=(type, default)``
        that are accepted without being fields (a password, a flag)."""
        fields: dict[str, Any] = {f.name: (f.value | None, None) for f in self.fields if f.writable}
        model: type[BaseModel] = create_model(
            name,
            __config__=ConfigDict(extra="forbid", coerce_numbers_to_str=True),
            **fields,
            **extra,
        )
        return model

    def stored(self) -> tuple[str, ...]:
        """The columns a client's values are written to."""
        return tuple(f.name for f in self.fields if f.writable and f.stored)

    def read_only(self) -> tuple[str, ...]:
        """The names (aliases too) of the fields answered but never written."""
        return tuple(n for f in self.fields if f.read_only for n in (f.name, *f.aliases))

    def result_schema(self, fields: Iterable[Field] | None = None) -> dict[str, Any]:
        """The JSON Schema of the entity as answered (of every field a reader may see)."""
        shown = tuple(f for f in self.fields if f.sql) if fields is None else tuple(fields)
        return {
            "type": "object",
            "properties": {
                f.name: {
                    "anyOf": [_JSON_TYPES[f.kind], {"type": "null"}],
                    **({"description": f.description} if f.description else {}),
                }
                for f in shown
            },
        }

    def ranked(self, rank: Callable[[Field], float | None]) -> tuple[Field, ...]:
        """The fields a wire shows, in the order it shows them (``rank``: a field's place, or
        None where it is not shown)."""
        placed = [(r, f) for f in self.fields if (r := rank(f)) is not None]
        return tuple(f for _, f in sorted(placed, key=lambda pair: pair[0]))
