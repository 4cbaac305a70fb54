"""Resource ``customer``: list, count, info, create, update, delete.

Entities are built as JSON by PostgreSQL and passed through untouched (``orjson.Fragment``);
a list with no limit is streamed from a cursor, so its memory cost does not grow with its length.
"""

from collections.abc import AsyncGenerator
from typing import Any

import asyncpg
import orjson

from gateway.auth.acl import PASSWORD_HASH
from gateway.faults import GLOBAL, FaultError
from gateway.resources.base import (
    CallContext,
    Param,
    Resource,
    ResourceMethod,
    assignments,
    id_param,
    json_object_sql,
    placeholders,
    utc_text_sql,
)
from gateway.resources.customer_data import CustomerData, parse_customer_data
from gateway.resources.filters import Column, FilterError, ListQuery, compile_list_query
from gateway.resources.stores import Store, find_store, first_store_of, website_exists
from gateway.streaming import JsonStream

__all__ = ["COLUMNS", "ENTITY_SQL", "METHODS", "RESOURCE"]

RESOURCE = Resource("customer", "Customer API", "Create, retrieve, update and delete customers.")
NAME = RESOURCE.name

# The entity's fields in the order clients see them, as SQL over ``customer c``.
_ENTITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("customer_id", "c.customer_id"),
    ("created_at", utc_text_sql("c.created_at")),
    ("updated_at", utc_text_sql("c.updated_at")),
    ("increment_id", "c.increment_id"),
    ("store_id", "c.store_id"),
    ("website_id", "c.website_id"),
    ("created_in", "c.created_in"),
    ("email", "c.email"),
    ("firstname", "c.firstname"),
    ("middlename", "c.middlename"),
    ("lastname", "c.lastname"),
    ("prefix", "c.prefix"),
    ("suffix", "c.suffix"),
    ("group_id", "c.group_id"),
    ("dob", "to_char(c.dob, 'YYYY-MM-DD')"),
    ("taxvat", "c.taxvat"),
    ("gender", "c.gender"),
    ("confirmation", "c.confirmation"),
    ("default_billing", "c.default_billing"),
    ("default_shipping", "c.default_shipping"),
    ("disable_auto_group_change", "c.disable_auto_group_change"),
    ("is_active", "c.is_active"),
)
_PASSWORD_HASH_FIELD = ("password_hash", "c.password_hash")


ENTITY_SQL = json_object_sql(_ENTITY_FIELDS)
# The entity by whether its reader may see password_hash.
_ENTITY_FOR = {
    False: ENTITY_SQL,
    True: json_object_sql((*_ENTITY_FIELDS, _PASSWORD_HASH_FIELD)),
}

# What list and count may filter and order on: field name -> column and type.
COLUMNS: dict[str, Column] = {
    "customer_id": Column("c.customer_id", "int"),
    "entity_id": Column("c.customer_id", "int"),
    **{
        f: Column(f"c.{f}", "int")
        for f in (
            "website_id",
            "store_id",
            "group_id",
            "gender",
            "default_billing",
            "default_shipping",
        )
    },
    **{
        f: Column(f"c.{f}", "text")
        for f in (
            "email",
            "firstname",
            "middlename",
            "lastname",
            "prefix",
            "suffix",
            "taxvat",
            "created_in",
            "increment_id",
            "confirmation",
        )
    },
    "dob": Column("c.dob", "date"),
    "created_at": Column("c.created_at", "datetime"),
    "updated_at": Column("c.updated_at", "datetime"),
    "disable_auto_group_change": Column("c.disable_auto_group_change", "bool"),
    "is_active": Column("c.is_active", "bool"),
}

_INFO_SQL_FOR = {
    shown: f"SELECT {entity} FROM customer c WHERE c.customer_id = $1"
    for shown, entity in _ENTITY_FOR.items()
}
_LIST_SQL = "SELECT {entity} FROM customer c {suffix}"
_COUNT_SQL = "SELECT count(*) FROM customer c WHERE {where}"
_REGEXP_CHECK_SQL = "SELECT '' ~ $1"
_GROUP_EXISTS_SQL = "SELECT EXISTS (SELECT 1 FROM customer_group WHERE customer_group_id = $1)"
_HOLDER_SQL = "SELECT customer_id FROM customer WHERE website_id = $1 AND lower(email) = lower($2)"
_INSERT_SQL = """
INSERT INTO customer ({columns}) VALUES ({values})
ON CONFLICT (website_id, lower(email)) DO NOTHING
RETURNING customer_id
"""
_CURRENT_SQL = """
SELECT website_id, created_in, email FROM customer WHERE customer_id = $1 FOR UPDATE
"""
_OWN_ADDRESS_SQL = """
SELECT EXISTS (SELECT 1 FROM customer_address WHERE address_id = $1 AND customer_id = $2)
"""
_UPDATE_SQL = "UPDATE customer SET {assignments}, updated_at = now() WHERE customer_id = $1"
_DELETE_SQL = "DELETE FROM customer WHERE customer_id = $1"

# Lists up to this long are fetched in one go; longer or unlimited ones are streamed.
_FETCH_AT_ONCE = 1000
_STREAM_CHUNK = 1000


def _entity(ctx: CallContext) -> str:
    return _ENTITY_FOR[ctx.may(PASSWORD_HASH)]


def _fault(name: str, message: str | None = None, **extra: Any) -> FaultError:
    return FaultError(NAME, name, message, **extra)


async def _store(ctx: CallContext, ref: Any) -> Store:
    store = await find_store(ctx.connection, ref)
    if store is None:
        raise _fault("store_not_exists")
    return store


# --- reading ----------------------------------------------------------------------------------


async def _list_query(ctx: CallContext, filters: Any, options: Any, store: Any) -> ListQuery:
    website_id = (await _store(ctx, store)).website_id if store is not None else None
    try:
        query = compile_list_query(
            filters,
            options,
            COLUMNS,
            key="customer_id",
            scope=None
            if website_id is None
            else (lambda params: f"c.website_id = {params.add(website_id, 'bigint')}"),
        )
    except FilterError as error:
        raise _fault("filters_invalid", str(error)) from None
    await _check_patterns(ctx, query)
    return query


async def _check_patterns(ctx: CallContext, query: ListQuery) -> None:
    """Let PostgreSQL reject a bad regular expression now, not halfway through a stream."""
    for pattern in query.patterns:
        try:
            await ctx.connection.fetchval(_REGEXP_CHECK_SQL, pattern)
        except asyncpg.InvalidRegularExpressionError:
            raise _fault("filters_invalid", f"not a valid regular expression: {pattern}") from None


async def list_customers(
    ctx: CallContext, filters: Any = None, store: Any = None, options: Any = None
) -> Any:
    query = await _list_query(ctx, filters, options, store)
    sql = _LIST_SQL.format(entity=_entity(ctx), suffix=query.suffix())
    if query.limit is not None and query.limit <= _FETCH_AT_ONCE:
        rows = await ctx.connection.fetch(sql, *query.values)
        return orjson.Fragment("[" + ",".join(row[0] for row in rows) + "]")
    return JsonStream(_stream(ctx.connection, sql, query.values))


async def _stream(
    connection: asyncpg.Connection, sql: str, values: list[Any]
) -> AsyncGenerator[bytes, None]:
    yield b"["
    separator = ""
    async with connection.transaction(readonly=True):
        cursor = await connection.cursor(sql, *values)
        while rows := await cursor.fetch(_STREAM_CHUNK):
            yield (separator + ",".join(row[0] for row in rows)).encode()
            separator = ","
    yield b"]"


async def count_customers(ctx: CallContext, filters: Any = None, store: Any = None) -> int:
    query = await _list_query(ctx, filters, None, store)
    count: int = await ctx.connection.fetchval(_COUNT_SQL.format(where=query.where), *query.values)
    return count


def _attribute_names(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FaultError(GLOBAL, "invalid_request_param", "'attributes' must be a list of names")
    return value


async def info(
    ctx: CallContext, customer_id: int, attributes: list[str] | None = None, store: Any = None
) -> Any:
    if store is not None:
        await _store(ctx, store)
    text = await ctx.connection.fetchval(_INFO_SQL_FOR[ctx.may(PASSWORD_HASH)], customer_id)
    if text is None:
        raise _fault("customer_not_exists")
    if not attributes:
        return orjson.Fragment(text)
    wanted = {"customer_id", *attributes}
    return {k: v for k, v in orjson.loads(text).items() if k in wanted}


# --- writing ----------------------------------------------------------------------------------


async def _check_group(ctx: CallContext, group_id: int) -> None:
    if not await ctx.connection.fetchval(_GROUP_EXISTS_SQL, group_id):
        raise _fault("group_not_exists")


def _data_invalid(field: str, message: str) -> FaultError:
    return _fault(
        "customer_data_invalid",
        f"{field}: {message}",
        details=[{"field": field, "message": message}],
    )


async def _holder_of(ctx: CallContext, website_id: int, email: str) -> FaultError:
    holder = await ctx.connection.fetchval(_HOLDER_SQL, website_id, email)
    return _fault("customer_exists", customer_id=holder)


async def _columns_for(ctx: CallContext, given: dict[str, Any]) -> dict[str, Any]:
    """Column values for the given fields: the password hashed, the rest as parsed."""
    columns = {k: v for k, v in given.items() if k not in ("password", "store_id")}
    if given.get("password") is not None:
        columns["password_hash"] = await ctx.hasher.hash(given["password"])
    return columns


async def create(ctx: CallContext, customer_data: Any, store: Any = None) -> int:
    data = parse_customer_data(customer_data, creating=True)
    given = data.given()
    chosen = await _store(ctx, store) if store is not None else None
    if data.store_id is not None:
        chosen = await _store(ctx, data.store_id)
    website_id = (
        data.website_id if data.website_id is not None else (chosen.website_id if chosen else None)
    )
    if website_id is None:
        raise _data_invalid("website_id", "is required unless a store is given")
    if not await website_exists(ctx.connection, website_id):
        raise _fault("website_not_exists")
    chosen = chosen or await first_store_of(ctx.connection, website_id)
    if chosen is None:
        raise _fault("store_not_exists")
    # The admin store holds customers of every website, as in Magento.
    if chosen.store_id != 0 and chosen.website_id != website_id:
        raise _data_invalid("store_id", "belongs to another website")
    group_id = data.group_id if data.group_id is not None else 1
    await _check_group(ctx, group_id)
    columns = await _columns_for(ctx, given)
    columns.update(
        website_id=website_id,
        store_id=chosen.store_id,
        group_id=group_id,
        created_in=data.created_in or chosen.name,
    )
    names = list(columns)
    sql = _INSERT_SQL.format(columns=", ".join(names), values=placeholders(len(names)))
    customer_id = await ctx.connection.fetchval(sql, *columns.values())
    if customer_id is None:
        raise await _holder_of(ctx, website_id, columns["email"])
    return int(customer_id)


async def update(ctx: CallContext, customer_id: int, customer_data: Any, store: Any = None) -> bool:
    data = parse_customer_data(customer_data, creating=False)
    if store is not None:
        await _store(ctx, store)
    current = await ctx.connection.fetchrow(_CURRENT_SQL, customer_id)
    if current is None:
        raise _fault("customer_not_exists")
    given = data.given()
    for fixed in ("website_id", "created_in"):
        if fixed in given and given[fixed] != current[fixed]:
            raise _data_invalid(fixed, "cannot be changed")
    given.pop("website_id", None)
    given.pop("created_in", None)
    if data.store_id is not None:
        chosen = await _store(ctx, data.store_id)
        if chosen.store_id != 0 and chosen.website_id != current["website_id"]:
            raise _data_invalid("store_id", "belongs to another website")
    if data.group_id is not None:
        await _check_group(ctx, data.group_id)
    for default in ("default_billing", "default_shipping"):
        address_id = given.get(default)
        if address_id is not None and not await ctx.connection.fetchval(
            _OWN_ADDRESS_SQL, address_id, customer_id
        ):
            raise _data_invalid(default, "is not an address of this customer")
    columns = await _columns_for(ctx, given)
    if "store_id" in given:
        columns["store_id"] = given["store_id"]
    if not columns:
        return True
    sql = _UPDATE_SQL.format(assignments=assignments(columns, first=2))
    try:
        # A savepoint, so that a duplicate email leaves the transaction usable for the lookup.
        async with ctx.connection.transaction():
            await ctx.connection.execute(sql, customer_id, *columns.values())
    except asyncpg.UniqueViolationError:
        raise await _holder_of(ctx, current["website_id"], columns["email"]) from None
    return True


async def delete(ctx: CallContext, customer_id: int) -> bool:
    try:
        async with ctx.connection.transaction():
            status = await ctx.connection.execute(_DELETE_SQL, customer_id)
    except asyncpg.IntegrityConstraintViolationError:
        raise _fault("not_deleted") from None
    if status == "DELETE 0":
        raise _fault("customer_not_exists")
    return True


# --- the method table -------------------------------------------------------------------------


def _is_object(value: Any) -> bool:
    return value is None or isinstance(value, dict | list)


def _is_store_ref(value: Any) -> bool:
    return value is None or (isinstance(value, int | str) and not isinstance(value, bool))


def _is_list(value: Any) -> bool:
    return value is None or isinstance(value, list)


_STORE = Param(
    "store",
    fits=_is_store_ref,
    schema={"type": ["integer", "string"]},
    description="A store id or code",
)
_FILTERS = Param(
    "filters",
    fits=_is_object,
    schema={"type": "object"},
    description="{field: condition}, or the SOAP v2 filter/complex_filter shape",
)
_OPTIONS = Param(
    "options",
    fits=_is_object,
    schema={"type": "object"},
    description="{limit, offset, order, dir}",
)
_ATTRIBUTES = Param(
    "attributes",
    fits=_is_list,
    parse=_attribute_names,
    schema={"type": "array", "items": {"type": "string"}},
)
_CUSTOMER_ID = id_param("customerId")
_CUSTOMER_DATA = Param("customerData", required=True, schema=CustomerData.model_json_schema())
_ENTITY_SCHEMA = {"type": "object", "properties": {k: {} for k, _ in _ENTITY_FIELDS}}

METHODS = (
    ResourceMethod(
        resource=RESOURCE,
        name="list",
        acl="customer/info",
        title="Retrieve the list of customers",
        handler=list_customers,
        params=(_FILTERS, _STORE, _OPTIONS),
        writes=False,
        result_schema={"type": "array", "items": _ENTITY_SCHEMA},
    ),
    ResourceMethod(
        resource=RESOURCE,
        name="count",
        acl="customer/info",
        title="Count the customers that match filters",
        handler=count_customers,
        params=(_FILTERS, _STORE),
        writes=False,
        result_schema={"type": "integer"},
    ),
    ResourceMethod(
        resource=RESOURCE,
        name="info",
        acl="customer/info",
        title="Retrieve the customer data",
        handler=info,
        params=(_CUSTOMER_ID, _ATTRIBUTES, _STORE),
        writes=False,
        result_schema=_ENTITY_SCHEMA,
    ),
    ResourceMethod(
        resource=RESOURCE,
        name="create",
        acl="customer/create",
        title="Create a new customer",
        handler=create,
        params=(_CUSTOMER_DATA, _STORE),
        writes=True,
        result_schema={"type": "integer"},
    ),
    ResourceMethod(
        resource=RESOURCE,
        name="update",
        acl="customer/update",
        title="Update the customer data",
        handler=update,
        params=(_CUSTOMER_ID, _CUSTOMER_DATA, _STORE),
        writes=True,
        result_schema={"type": "boolean"},
    ),
    ResourceMethod(
        resource=RESOURCE,
        name="delete",
        acl="customer/delete",
        title="Delete a customer",
        handler=delete,
        params=(_CUSTOMER_ID,),
        writes=True,
        result_schema={"type": "boolean"},
    ),
)
