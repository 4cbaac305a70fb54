"""List filters and options compiled to SQL from a whitelist of columns and operators.

A filter is ``{field: condition}``, ANDed. A condition is a value (equality), a list (any of
them), ``null`` (is null) or an object of operators that all apply. Field names and operators
are looked up in tables here and never copied from the client into SQL; values always travel
as ``$n`` parameters. Text comparisons ignore case, as Magento's MySQL collation does.

The SOAP v2 shape (``filter`` / ``complex_filter`` lists of key/value pairs) is turned into the
same object first.

A compiled list is *light* when an index answers it in key order without reading what it does
not return: every condition is on the key (any operator) or an equality on a column whose
index keeps the key order (``Column.index``), it is ordered by the key alone, and its offset
is at most ``LIGHT_OFFSET``. Anything else may scan, and is *heavy*: run under the heavy
statements' shorter timeout and bounded turns (as a regular expression is). An offset over
``MAX_OFFSET`` is refused: deep pages are for a keyset (``{key: {gt: last}}``).
"""

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gateway.resources.kit.fields import UNSAFE_MESSAGE, has_unsafe_characters, parse_datetime
from gateway.resources.kit.regexps import regexp_problem

__all__ = [
    "LIGHT_OFFSET",
    "MAX_OFFSET",
    "Column",
    "FilterError",
    "Index",
    "Kind",
    "ListQuery",
    "QueryParams",
    "compile_list_query",
    "compile_where",
]


Kind = Literal["int", "decimal", "text", "date", "datetime", "bool"]

_SQL_TYPE: dict[Kind, str] = {
    "int": "bigint",
    "decimal": "numeric",
    "text": "text",
    "date": "date",
    "datetime": "timestamptz",
    "bool": "boolean",
}
_BIGINT = 2**63
LIGHT_OFFSET = 10_000
MAX_OFFSET = 100_000
# Operators an equality index answers.
_EQUALITIES = frozenset({"eq", "seq", "in"})


class FilterError(ValueError):
    """A filter or option the client got wrong; the message says which and why."""


Index = Literal["none", "equality", "key"]


@dataclass(frozen=True, slots=True)
class Column:
    """A column a client may filter and order on. ``index``: "key" for the unique key (an
    index answers any operator on it), "equality" for a column whose index answers an
    equality in key order, "none" otherwise."""

    sql: str
    kind: Kind
    index: Index = "none"

    def answered_by_index(self, op: str) -> bool:
        return self.index == "key" or (self.index == "equality" and op in _EQUALITIES)

    @property
    def as_text(self) -> str:
        """The column as the text a client sees, for ``like`` and ``regexp``."""
        if self.kind == "text":
            return self.sql
        if self.kind == "date":
            return f"to_char({self.sql}, 'YYYY-MM-DD')"
        if self.kind == "datetime":
            return f"to_char({self.sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
        return f"({self.sql})::text"


def _value(column: Column, field: str, value: Any) -> Any:
    """A client's value as the column's type, or FilterError."""
    try:
        if column.kind == "int":
            if isinstance(value, bool):
                raise ValueError
            number = int(value.strip()) if isinstance(value, str) else value
            if isinstance(number, float) and number.is_integer():
                number = int(number)
            if not isinstance(number, int) or not -_BIGINT < number < _BIGINT:
                raise ValueError
            return number
        if column.kind == "decimal":
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValueError
            number = decimal.Decimal(str(value).strip())
            if not number.is_finite():
                raise ValueError
            return number
        if column.kind == "text":
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValueError
            if has_unsafe_characters(str(value)):
                raise FilterError(f"'{field}': {UNSAFE_MESSAGE}")
            return str(value)
        if column.kind == "bool":
            flags = {"1": True, "0": False, "true": True, "false": False}
            if isinstance(value, bool):
                return value
            if isinstance(value, int | str) and str(value).strip().lower() in flags:
                return flags[str(value).strip().lower()]
            raise ValueError
        moment = parse_datetime(value)
        return moment.date() if column.kind == "date" else moment
    except FilterError:
        raise
    except (ValueError, TypeError, AttributeError, decimal.InvalidOperation):
        raise FilterError(f"'{field}': {value!r} is not a valid {column.kind} value") from None


class QueryParams:
    """Collects parameter values and hands out their ``$n`` placeholders; notes the regular
    expressions, and whether a condition may make the statement scan."""

    def __init__(self, values: list[Any], patterns: list[str] | None = None) -> None:
        self.values = values
        self.patterns = patterns if patterns is not None else []
        self.may_scan = False

    def add(self, value: Any, sql_type: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{sql_type}"


def _text_pattern(column: Column, field: str, operand: Any) -> tuple[str, str]:
    if column.kind == "bool":
        raise FilterError(f"'{field}' cannot be matched as text")
    if isinstance(operand, bool) or not isinstance(operand, str | int | float):
        raise FilterError(f"'{field}': the pattern must be text")
    _check_pattern_text(str(operand), field)
    if column.kind == "text":
        return f"lower({column.sql})", str(operand).lower()
    return column.as_text, str(operand)


def _listed(operand: Any, field: str) -> list[Any]:
    if isinstance(operand, list):
        return operand
    if isinstance(operand, str | int | float) and not isinstance(operand, bool):
        return [part.strip() for part in str(operand).split(",")]
    raise FilterError(f"'{field}': 'in' and 'nin' take a list")


def _null_test(operand: Any, field: str, *, negate: bool) -> str:
    if operand in (False, 0, "0"):
        negate = not negate
    elif operand not in (True, 1, "1", None, ""):
        raise FilterError(f"'{field}': null and notnull take true or false")
    return "IS NOT NULL" if negate else "IS NULL"


def _condition(column: Column, field: str, op: str, operand: Any, params: QueryParams) -> str:
    if not column.answered_by_index(op):
        params.may_scan = True
    sql_type = _SQL_TYPE[column.kind]
    ci = column.kind == "text"  # text compares without case

    def compare(sign: str) -> str:
        value = _value(column, field, operand)
        if ci and sign in ("=", "<>"):
            return f"lower({column.sql}) {sign} lower({params.add(value, sql_type)})"
        return f"{column.sql} {sign} {params.add(value, sql_type)}"

    if op in ("eq", "seq"):
        return f"{column.sql} IS NULL" if operand is None else compare("=")
    if op in ("neq", "sneq"):
        return f"{column.sql} IS NOT NULL" if operand is None else compare("<>")
    if op in ("gt", "lt", "gteq", "lteq", "from", "to"):
        if operand is None:
            raise FilterError(f"'{field}': '{op}' needs a value")
        return compare(_COMPARISONS[op])
    if op in ("in", "nin"):
        values = [_value(column, field, v) for v in _listed(operand, field)]
        target = f"lower({column.sql})" if ci else column.sql
        if ci:
            values = [v.lower() for v in values]
        array = params.add(values, sql_type + "[]")
        return f"{target} = ANY({array})" if op == "in" else f"NOT ({target} = ANY({array}))"
    if op in ("like", "nlike"):
        target, pattern = _text_pattern(column, field, operand)
        negation = "NOT " if op == "nlike" else ""
        return f"{target} {negation}LIKE {params.add(pattern, 'text')}"
    if op == "regexp":
        if column.kind == "bool" or not isinstance(operand, str):
            raise FilterError(f"'{field}': 'regexp' takes a text pattern")
        _check_pattern_text(operand, field)
        _check_regexp(operand, field)
        params.patterns.append(operand)
        # Case-insensitive, as MySQL's REGEXP is under Magento's collation.
        return f"{column.as_text} ~* {params.add(operand, 'text')}"
    if op == "null":
        return f"{column.sql} {_null_test(operand, field, negate=False)}"
    if op == "notnull":
        return f"{column.sql} {_null_test(operand, field, negate=True)}"
    if op == "is":
        return _is_condition(column, field, operand)
    raise FilterError(f"'{field}': unknown operator '{op}'")


_COMPARISONS = {"gt": ">", "lt": "<", "gteq": ">=", "lteq": "<=", "from": ">=", "to": "<="}
_IS_OPERANDS = {"null": "IS NULL", "not null": "IS NOT NULL"}
_FLAGS = frozenset({"date", "datetime"})


def _is_condition(column: Column, field: str, operand: Any) -> str:
    if operand is None:
        return f"{column.sql} IS NULL"
    if isinstance(operand, str) and operand.strip().lower() in _IS_OPERANDS:
        return f"{column.sql} {_IS_OPERANDS[operand.strip().lower()]}"
    if column.kind == "bool" and isinstance(operand, bool):
        return f"{column.sql} IS {'TRUE' if operand else 'FALSE'}"
    raise FilterError(f"'{field}': 'is' takes null or 'not null'")


def _check_pattern_text(pattern: str, field: str) -> None:
    if has_unsafe_characters(pattern):
        raise FilterError(f"'{field}': {UNSAFE_MESSAGE}")
    # LIKE's escape character is a backslash; PostgreSQL refuses one with nothing after it.
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    if trailing % 2:
        raise FilterError(f"'{field}': the pattern ends with an escape character")


def _check_regexp(pattern: str, field: str) -> None:
    # What PostgreSQL cannot run in bounded time and memory; its own verdict on the syntax is
    # asked for before the list runs.
    problem = regexp_problem(pattern)
    if problem is not None:
        raise FilterError(f"'{field}': {problem}")


def _from_soap_v2(filters: dict[str, Any]) -> dict[str, Any]:
    """``{"filter": [{key, value}], "complex_filter": [{key, value: {key, value}}]}`` as v1."""
    merged: dict[str, dict[str, Any]] = {}
    for entry in filters.get("filter") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise FilterError("each 'filter' entry needs a key and a value")
        merged.setdefault(entry["key"], {})["eq"] = entry.get("value")
    for entry in filters.get("complex_filter") or []:
        inner = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise FilterError("each 'complex_filter' entry needs a key and a value")
        if not isinstance(inner, dict) or not isinstance(inner.get("key"), str):
            raise FilterError(f"'{entry['key']}': a complex filter's value is {{key, value}}")
        merged.setdefault(entry["key"], {})[inner["key"]] = inner.get("value")
    return merged


def _is_soap_v2(filters: dict[str, Any]) -> bool:
    return (
        bool(filters)
        and filters.keys() <= {"filter", "complex_filter"}
        and all(v is None or isinstance(v, list) for v in filters.values())
    )


def compile_where(filters: Any, columns: Mapping[str, Column], params: "QueryParams") -> list[str]:
    """The SQL conditions (to be ANDed) for ``filters``; their values are added to ``params``.
    Raises FilterError for anything unknown or of the wrong type."""
    if filters is None or filters == []:
        return []
    if not isinstance(filters, dict):
        raise FilterError("filters must be an object of field: condition")
    if _is_soap_v2(filters):
        filters = _from_soap_v2(filters)
    conditions: list[str] = []
    for field, condition in filters.items():
        column = columns.get(field)
        if column is None:
            raise FilterError(f"Invalid attribute name: {field}")
        if isinstance(condition, dict):
            unknown_flags = [
                k for k in condition if k in _FLAGS and not isinstance(condition[k], bool)
            ]
            if unknown_flags:
                raise FilterError(f"'{field}': '{unknown_flags[0]}' is a true/false flag")
            operators = {k: v for k, v in condition.items() if k not in _FLAGS}
            if not operators:
                raise FilterError(f"'{field}': no operator given")
            conditions.extend(
                _condition(column, field, op, operand, params) for op, operand in operators.items()
            )
        elif isinstance(condition, list):
            conditions.append(_condition(column, field, "in", condition, params))
        else:
            conditions.append(_condition(column, field, "eq", condition, params))
    return conditions


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A compiled list: its conditions and order (values in ``values``), and the paging the
    client asked for."""

    where: str
    order_by: str
    values: list[Any]
    limit: int | None
    offset: int
    patterns: list[str]
    heavy: bool  # may scan: see the module's docstring

    def sql(self, head: str, limit: int | None) -> tuple[str, list[Any]]:
        """``head WHERE … ORDER BY … [LIMIT …] [OFFSET …]`` with ``limit``, and its values."""
        values = list(self.values)
        paging = ""
        if limit is not None:
            values.append(limit)
            paging += f" LIMIT ${len(values)}"
        if self.offset:
            values.append(self.offset)
            paging += f" OFFSET ${len(values)}"
        return f"{head} WHERE {self.where} ORDER BY {self.order_by}{paging}", values


def _whole(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FilterError(f"option '{name}' must be a whole number")
    try:
        number = int(value)
    except ValueError:
        raise FilterError(f"option '{name}' must be a whole number") from None
    if not minimum <= number < _BIGINT:
        raise FilterError(f"option '{name}' must be at least {minimum}")
    return number


def compile_list_query(
    filters: Any,
    options: Any,
    columns: Mapping[str, Column],
    key: str,
    scope: Callable[[QueryParams], str] | None = None,
) -> ListQuery:
    """WHERE and ORDER BY (ending with ``key`` so that pages are stable) for a list, and the
    paging its options ask for."""
    params = QueryParams([])
    conditions = compile_where(filters, columns, params)
    if scope is not None:
        conditions.append(scope(params))
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise FilterError("options must be an object")
    unknown = set(options) - {"limit", "offset", "order", "dir"}
    if unknown:
        raise FilterError(f"unknown option '{sorted(unknown)[0]}'")
    direction = str(options.get("dir", "asc")).strip().lower()
    if direction not in ("asc", "desc"):
        raise FilterError("option 'dir' must be 'asc' or 'desc'")
    order = options.get("order") or []
    order_fields = [order] if isinstance(order, str) else order
    if not isinstance(order_fields, list) or not all(isinstance(f, str) for f in order_fields):
        raise FilterError("option 'order' must be a field name or a list of them")
    for field in order_fields:
        if field not in columns:
            raise FilterError(f"option 'order': unknown field '{field}'")
    sql_fields = [columns[f].sql for f in order_fields]
    key_sql = columns[key].sql
    by_key_alone = all(sql == key_sql for sql in sql_fields)
    if key_sql not in sql_fields:
        sql_fields.append(key_sql)
    order_by = ", ".join(f"{sql} {direction.upper()}" for sql in sql_fields)
    limit = _whole(options["limit"], "limit", 0) if "limit" in options else None
    offset = _whole(options["offset"], "offset", 0) if "offset" in options else 0
    if offset > MAX_OFFSET:
        raise FilterError(
            f"option 'offset' may be at most {MAX_OFFSET}: page deeper by a keyset, a filter"
            f" {{{key!r}: {{'gt': the last {key} seen}}}} ordered by {key}"
        )
    where = " AND ".join(conditions) or "TRUE"
    heavy = bool(params.patterns) or params.may_scan or not by_key_alone or offset > LIGHT_OFFSET
    return ListQuery(where, order_by, params.values, limit, offset, params.patterns, heavy)
