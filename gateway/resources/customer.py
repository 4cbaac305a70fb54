"""Resource ``customer``: list, count, info, create, update, delete.

Entities are built as JSON by PostgreSQL and passed on as pre-built JSON text.
"""

from typing import Any

import asyncpg
import orjson

from gateway.auth.acl import PASSWORD_HASH
from gateway.faults import BUSY, INVALID_REQUEST_PARAM, LIMIT_EXCEEDED, QUERY_TIMEOUT, Kind
from gateway.resources.customer_data import (
    CUSTOMER_FIELDS,
    CustomerSchema,
    customer_schema,
    parse_customer_data,
)
from gateway.resources.kit import (
    FILTERS,
    OPTIONS,
    STORE,
    CallContext,
    InvalidData,
    Listing,
    Param,
    Resource,
    id_param,
)
from gateway.resources.kit.attributes import Definitions, stored_value
from gateway.resources.kit.fields import email_key
from gateway.resources.kit.sql import assignments, placeholders, utc_text_sql
from gateway.resources.kit.stores import Store

__all__ = ["COLUMNS", "CUSTOMER", "ENTITY_SQL"]

CUSTOMER = Resource("customer", "Customer API", "Create, retrieve, update and delete customers.")
DATA_INVALID = CUSTOMER.fault(
    100, "data_invalid", "Invalid customer data. Details in error message."
)
CUSTOMER_DATA_INVALID = CUSTOMER.fault(100, "customer_data_invalid", "Invalid customer data.")
CUSTOMER_EXISTS = CUSTOMER.fault(
    100, "customer_exists", "This customer email already exists", Kind.CONFLICT
)
WEBSITE_NOT_EXISTS = CUSTOMER.fault(100, "website_not_exists", "Website does not exist.")
GROUP_NOT_EXISTS = CUSTOMER.fault(100, "group_not_exists", "Customer group does not exist.")
STORE_NOT_EXISTS = CUSTOMER.fault(100, "store_not_exists", "Requested store does not exist.")
FILTERS_INVALID = CUSTOMER.fault(
    101, "filters_invalid", "Invalid filters specified. Details in error message."
)
CUSTOMER_NOT_EXISTS = CUSTOMER.fault(
    102, "customer_not_exists", "Customer not exists.", Kind.NOT_FOUND
)
NOT_DELETED = CUSTOMER.fault(
    103, "not_deleted", "Customer not deleted. Details in error message.", Kind.INTERNAL
)


class _Sql:
    """The customer's SQL, and its list's columns, for one set of custom attributes."""

    def __init__(self, schema: CustomerSchema) -> None:
        entity = schema.entity
        # The entity by whether its reader may see password_hash.
        self.entity = {
            False: entity.json_sql(entity.answered(lambda _: False)),
            True: entity.json_sql(entity.answered(lambda _: True)),
        }
        self.info = {
            shown: f"SELECT {sql} FROM customer c WHERE c.customer_id = $1"
            for shown, sql in self.entity.items()
        }
        self.ahead = {
            shown: f"SELECT c.customer_id, {sql} FROM customer c WHERE c.customer_id = ANY($1)"
            for shown, sql in self.entity.items()
        }
        self.listing = Listing(
            "customer c", entity.columns(), key="customer_id", filters_invalid=FILTERS_INVALID
        )


async def _customer(ctx: CallContext) -> tuple[CustomerSchema, _Sql]:
    """The customer's schema and SQL as the shop's custom attributes are now."""
    definitions = await ctx.definitions()
    sql = definitions.memo.get("customer.sql")
    if sql is None:
        sql = definitions.memo["customer.sql"] = _Sql(customer_schema(definitions))
    return customer_schema(definitions), sql


# Without custom attributes: for the bench's baseline, and the fuzzing's fields.
ENTITY_SQL = _Sql(CustomerSchema(())).entity[False]
COLUMNS = CUSTOMER_FIELDS.columns()

_GROUP_EXISTS_SQL = "SELECT EXISTS (SELECT 1 FROM customer_group WHERE customer_group_id = $1)"
_HOLDER_SQL = "SELECT customer_id FROM customer WHERE website_id = $1 AND email_key = $2"
_INSERT_SQL = """
INSERT INTO customer ({columns}) VALUES ({values})
ON CONFLICT (website_id, email_key) DO NOTHING
RETURNING customer_id
"""
_CURRENT_SQL = f"""
SELECT customer_id, website_id, created_in, email, password_hash,
       {utc_text_sql("created_at")} AS created_at, {utc_text_sql("updated_at")} AS updated_at
FROM customer WHERE customer_id = $1 FOR UPDATE
"""
# Locked, so that the address cannot go before this update commits (its deletion waits for
# the customer row, which this update holds).
_OWN_ADDRESS_SQL = """
SELECT 1 FROM customer_address WHERE address_id = $1 AND customer_id = $2 FOR KEY SHARE
"""
_UPDATE_SQL = "UPDATE customer SET {assignments}, updated_at = now() WHERE customer_id = $1"
_DELETE_SQL = "DELETE FROM customer WHERE customer_id = $1"


async def _store(ctx: CallContext, ref: Any) -> Store:
    store = (await ctx.stores()).find(ref)
    if store is None:
        raise STORE_NOT_EXISTS()
    return store


def _website_scope(website_id: int | None) -> Any:
    if website_id is None:
        return None
    return lambda params: f"c.website_id = {params.add(website_id, 'bigint')}"


async def _list_query(
    ctx: CallContext, listing: Listing, filters: Any, options: Any, store: Any
) -> Any:
    website_id = (await _store(ctx, store)).website_id if store is not None else None
    return listing.query(filters, options, _website_scope(website_id))


# --- arguments --------------------------------------------------------------------------------


def _attribute_names(value: Any) -> list[str] | None:
    """A list of field names; one name alone stands for a list of one."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise INVALID_REQUEST_PARAM("'attributes' must be a list of names")
    return value


def _is_list(value: Any) -> bool:
    return value is None or isinstance(value, list)


_ATTRIBUTES = Param(
    "attributes",
    fits=_is_list,
    parse=_attribute_names,
    schema={"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
    description="the fields to answer (customer_id always comes too)",
)
_CUSTOMER_ID = id_param("customerId")


def _data_schema(definitions: Definitions) -> dict[str, Any]:
    return customer_schema(definitions).model.model_json_schema()


def _entity_schema(definitions: Definitions) -> dict[str, Any]:
    return customer_schema(definitions).entity.result_schema()


def _entities_schema(definitions: Definitions) -> dict[str, Any]:
    return {"type": "array", "items": _entity_schema(definitions)}


_CUSTOMER_DATA = Param("customerData", required=True, schema=_data_schema)


# --- reading ----------------------------------------------------------------------------------


@CUSTOMER.method(
    "list",
    faults=(FILTERS_INVALID, STORE_NOT_EXISTS, QUERY_TIMEOUT, BUSY, LIMIT_EXCEEDED),
    acl="customer/info",
    title="Retrieve customers",
    params=(FILTERS, STORE, OPTIONS),
    writes=False,
    example={"filters": {"email": {"like": "%@example.com"}}},
    result=_entities_schema,
)
async def list_customers(
    ctx: CallContext, filters: Any = None, store: Any = None, options: Any = None
) -> Any:
    _, sql = await _customer(ctx)
    query = await _list_query(ctx, sql.listing, filters, options, store)
    return await sql.listing.entities(ctx, sql.entity[ctx.may(PASSWORD_HASH)], query)


# --- writing ----------------------------------------------------------------------------------


def _customer_data(
    raw: Any, schema: CustomerSchema, *, creating: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DATA_INVALID()
    try:
        data = parse_customer_data(raw, schema, creating=creating, current=current)
    except InvalidData as invalid:
        raise CUSTOMER_DATA_INVALID(str(invalid), details=invalid.details) from None
    # Writing a hash needs only what writing a password needs (customer/create, /update):
    # whoever may set a customer's password may set its hash. Reading one is another matter.
    return data


async def _check_group(ctx: CallContext, group_id: int) -> None:
    if not await ctx.connection.fetchval(_GROUP_EXISTS_SQL, group_id):
        raise GROUP_NOT_EXISTS()


def _data_invalid(field: str, message: str) -> Exception:
    return CUSTOMER_DATA_INVALID(
        f"{field}: {message}", details=[{"field": field, "message": message}]
    )


async def _holder_of(ctx: CallContext, website_id: int, email: str) -> Exception:
    holder = await ctx.connection.fetchval(_HOLDER_SQL, website_id, email_key(email))
    return CUSTOMER_EXISTS(customer_id=holder)


def _attributes_of(schema: CustomerSchema, given: dict[str, Any]) -> dict[str, Any]:
    """The custom attributes' values given, as stored (None: cleared)."""
    return {
        code: None if given[code] is None else stored_value(given[code])
        for code in schema.attributes
        if code in given
    }


async def _columns_for(
    ctx: CallContext, schema: CustomerSchema, given: dict[str, Any]
) -> dict[str, Any]:
    """Column values for the given fields: the password hashed, the rest as parsed (custom
    attributes apart: ``_attributes_of``)."""
    columns = {
        k: v
        for k, v in given.items()
        if k not in ("password", "store_id") and k not in schema.attributes
    }
    if "email" in columns:
        columns["email_key"] = email_key(columns["email"])
    if given.get("password") is not None:
        columns["password_hash"] = await ctx.hasher.hash(given["password"])
    return columns


@CUSTOMER.method(
    "create",
    faults=(
        DATA_INVALID,
        CUSTOMER_DATA_INVALID,
        CUSTOMER_EXISTS,
        WEBSITE_NOT_EXISTS,
        GROUP_NOT_EXISTS,
        STORE_NOT_EXISTS,
    ),
    acl="customer/create",
    title="Create customer",
    params=(_CUSTOMER_DATA, STORE),
    writes=True,
    example={
        "customerData": {
            "email": "alan@example.com",
            "firstname": "Alan",
            "lastname": "Turing",
            "website_id": 1,
            "group_id": 1,
        }
    },
    result={"type": "integer"},
)
async def create(ctx: CallContext, customer_data: Any, store: Any = None) -> int:
    schema, _ = await _customer(ctx)
    given = _customer_data(customer_data, schema, creating=True)
    chosen = await _store(ctx, store) if store is not None else None
    if given.get("store_id") is not None:
        chosen = await _store(ctx, given["store_id"])
    website_id = given.get("website_id")
    if website_id is None and chosen is not None:
        website_id = chosen.website_id
    if website_id is None:
        raise _data_invalid("website_id", "is required unless a store is given")
    views = await ctx.stores()
    if not views.website_exists(website_id):
        raise WEBSITE_NOT_EXISTS()
    chosen = chosen or views.first_of(website_id)
    if chosen is None:
        raise STORE_NOT_EXISTS()
    # The admin store holds customers of every website, as in Magento.
    if chosen.store_id != 0 and chosen.website_id != website_id:
        raise _data_invalid("store_id", "belongs to another website")
    group_id = given.get("group_id")
    if group_id is None:
        group_id = 1
    await _check_group(ctx, group_id)
    columns = await _columns_for(ctx, schema, given)
    values = {k: v for k, v in _attributes_of(schema, given).items() if v is not None}
    if values:
        columns["attributes"] = orjson.dumps(values).decode()
    columns.update(
        website_id=website_id,
        store_id=chosen.store_id,
        group_id=group_id,
        created_in=given.get("created_in") or chosen.name,
    )
    names = list(columns)
    sql = _INSERT_SQL.format(columns=", ".join(names), values=placeholders(len(names)))
    customer_id = await ctx.connection.fetchval(sql, *columns.values())
    if customer_id is None:
        raise await _holder_of(ctx, website_id, columns["email"])
    return int(customer_id)


async def _read_infos_ahead(ctx: CallContext, calls: list[dict[str, Any]]) -> None:
    """Many ``customer.info`` in a row: every customer in one statement (None: not there)."""
    ids = list({call["customer_id"] for call in calls})
    ctx.ahead.update(dict.fromkeys(ids))
    _, sql = await _customer(ctx)
    ctx.ahead.update(await ctx.connection.fetch(sql.ahead[ctx.may(PASSWORD_HASH)], ids))


@CUSTOMER.method(
    "info",
    faults=(CUSTOMER_NOT_EXISTS, STORE_NOT_EXISTS),
    acl="customer/info",
    title="Retrieve customer data",
    params=(_CUSTOMER_ID, _ATTRIBUTES, STORE),
    writes=False,
    example={"customerId": 1, "attributes": ["email", "firstname", "lastname"]},
    result=_entity_schema,
    read_ahead=_read_infos_ahead,
)
async def info(
    ctx: CallContext, customer_id: int, attributes: list[str] | None = None, store: Any = None
) -> Any:
    if store is not None:
        await _store(ctx, store)
    if customer_id in ctx.ahead:
        text = ctx.ahead[customer_id]
    else:
        _, sql = await _customer(ctx)
        text = await ctx.connection.fetchval(sql.info[ctx.may(PASSWORD_HASH)], customer_id)
    if text is None:
        raise CUSTOMER_NOT_EXISTS()
    if not attributes:
        return ctx.json(text)
    wanted = {"customer_id", *attributes}
    return {k: v for k, v in orjson.loads(text).items() if k in wanted}


@CUSTOMER.method(
    "update",
    faults=(
        DATA_INVALID,
        CUSTOMER_DATA_INVALID,
        CUSTOMER_NOT_EXISTS,
        CUSTOMER_EXISTS,
        GROUP_NOT_EXISTS,
        STORE_NOT_EXISTS,
    ),
    acl="customer/update",
    title="Update customer data",
    params=(_CUSTOMER_ID, _CUSTOMER_DATA, STORE),
    writes=True,
    example={"customerId": 1, "customerData": {"firstname": "Alan Mathison"}},
    result={"type": "boolean"},
)
async def update(ctx: CallContext, customer_id: int, customer_data: Any, store: Any = None) -> bool:
    if not isinstance(customer_data, dict):
        raise DATA_INVALID()
    if store is not None:
        await _store(ctx, store)
    current = await ctx.connection.fetchrow(_CURRENT_SQL, customer_id)
    if current is None:
        raise CUSTOMER_NOT_EXISTS()
    schema, _ = await _customer(ctx)
    given = _customer_data(customer_data, schema, creating=False, current=dict(current))
    for fixed in ("website_id", "created_in"):
        if fixed in given and given[fixed] != current[fixed]:
            raise _data_invalid(fixed, "cannot be changed")
    given.pop("website_id", None)
    given.pop("created_in", None)
    if given.get("store_id") is not None:
        chosen = await _store(ctx, given["store_id"])
        if chosen.store_id != 0 and chosen.website_id != current["website_id"]:
            raise _data_invalid("store_id", "belongs to another website")
    if given.get("group_id") is not None:
        await _check_group(ctx, given["group_id"])
    for default in ("default_billing", "default_shipping"):
        address_id = given.get(default)
        if (
            address_id is not None
            and await ctx.connection.fetchval(_OWN_ADDRESS_SQL, address_id, customer_id) is None
        ):
            raise _data_invalid(default, "is not an address of this customer")
    columns = await _columns_for(ctx, schema, given)
    if "store_id" in given:
        columns["store_id"] = given["store_id"]
    changed = _attributes_of(schema, given)
    if not columns and not changed:
        return True
    values = [customer_id, *columns.values()]
    sets = [assignments(columns, first=2)] if columns else []
    if changed:
        kept = {k: v for k, v in changed.items() if v is not None}
        values += [orjson.dumps(kept).decode(), [k for k, v in changed.items() if v is None]]
        sets.append(
            f"attributes = (attributes || ${len(values) - 1}::jsonb) - ${len(values)}::text[]"
        )
    sql = _UPDATE_SQL.format(assignments=", ".join(sets))
    try:
        # A savepoint, so that a duplicate email leaves the transaction usable for the lookup.
        async with ctx.connection.transaction():
            await ctx.connection.execute(sql, *values)
    except asyncpg.UniqueViolationError:
        raise await _holder_of(ctx, current["website_id"], columns["email"]) from None
    except asyncpg.ForeignKeyViolationError:
        # A default address deleted in the meantime (by a writer that did not lock first).
        raise _data_invalid("default_billing", "is not an address of this customer") from None
    return True


@CUSTOMER.method(
    "delete",
    faults=(CUSTOMER_NOT_EXISTS, NOT_DELETED),
    acl="customer/delete",
    title="Delete customer",
    params=(_CUSTOMER_ID,),
    writes=True,
    example={"customerId": 1},
    result={"type": "boolean"},
)
async def delete(ctx: CallContext, customer_id: int) -> bool:
    try:
        async with ctx.connection.transaction():
            status = await ctx.connection.execute(_DELETE_SQL, customer_id)
    except asyncpg.IntegrityConstraintViolationError:
        raise NOT_DELETED() from None
    if status == "DELETE 0":
        raise CUSTOMER_NOT_EXISTS()
    return True


@CUSTOMER.method(
    "count",
    faults=(FILTERS_INVALID, STORE_NOT_EXISTS, QUERY_TIMEOUT, BUSY),
    acl="customer/info",
    title="Count the customers that match filters",
    params=(FILTERS, STORE),
    writes=False,
    result={"type": "integer"},
    example={"filters": {"group_id": {"eq": 1}}},
)
async def count_customers(ctx: CallContext, filters: Any = None, store: Any = None) -> int:
    _, sql = await _customer(ctx)
    return await sql.listing.count(ctx, await _list_query(ctx, sql.listing, filters, None, store))
