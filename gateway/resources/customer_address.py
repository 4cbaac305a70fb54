"""Resource ``customer_address``: a customer's addresses, and which are its defaults.

The defaults live on the customer row (``default_billing``, ``default_shipping``) and point at
addresses through foreign keys that PostgreSQL clears when the address goes, so they can
never dangle; ``is_default_*`` in an entity is derived from them.
"""

from typing import Any

import orjson

from gateway.faults import Kind
from gateway.resources.address_data import (
    STORED,
    AddressChange,
    AddressSchema,
    address_schema,
    parse_address_data,
)
from gateway.resources.kit import CallContext, InvalidData, Param, Resource, id_param
from gateway.resources.kit.attributes import Definitions
from gateway.resources.kit.sql import assignments, placeholders

__all__ = ["CUSTOMER_ADDRESS", "LIST_SQL"]

CUSTOMER_ADDRESS = Resource(
    "customer_address", "Customer Address API", "Create, retrieve, update and delete addresses."
)
DATA_INVALID = CUSTOMER_ADDRESS.fault(
    100, "data_invalid", "Invalid address data. Details in error message."
)
CUSTOMER_NOT_EXISTS = CUSTOMER_ADDRESS.fault(
    101, "customer_not_exists", "Customer not exists.", Kind.NOT_FOUND
)
ADDRESS_NOT_EXISTS = CUSTOMER_ADDRESS.fault(
    102, "address_not_exists", "Address not exists.", Kind.NOT_FOUND
)
NOT_DELETED = CUSTOMER_ADDRESS.fault(
    103, "not_deleted", "Address not deleted. Details in error message.", Kind.INTERNAL
)


def _entity_sql(schema: AddressSchema) -> str:
    return schema.entity.json_sql(schema.entity.fields)


class _Sql:
    """The address's SQL for one set of custom attributes."""

    def __init__(self, schema: AddressSchema) -> None:
        entity = _entity_sql(schema)
        self.info = f"""
SELECT {entity} FROM customer_address a JOIN customer c USING (customer_id)
WHERE a.address_id = $1
"""
        # One round trip tells "no such customer" (no row) from "no addresses" ('[]').
        self.list = f"""
SELECT (SELECT coalesce(json_agg({entity}::json ORDER BY a.address_id), '[]')::text
        FROM customer_address a WHERE a.customer_id = c.customer_id)
FROM customer c WHERE c.customer_id = $1
"""


async def _address(ctx: CallContext) -> tuple[AddressSchema, _Sql]:
    """The address's schema and SQL as the shop's custom attributes are now."""
    definitions = await ctx.definitions()
    sql: _Sql | None = definitions.memo.get("customer_address.sql")
    if sql is None:
        sql = definitions.memo["customer_address.sql"] = _Sql(address_schema(definitions))
    return address_schema(definitions), sql


# Without custom attributes: for the bench's baseline.
LIST_SQL = _Sql(AddressSchema(())).list
# Every write locks the customer row before its addresses, as customer.update does: two
# writes never wait for each other's locks in opposite order.
_LOCK_CUSTOMER_SQL = "SELECT 1 FROM customer WHERE customer_id = $1 FOR UPDATE"
_OWNER_SQL = "SELECT customer_id FROM customer_address WHERE address_id = $1"
_CURRENT_SQL = f"""
SELECT {", ".join(f"a.{column}" for column in STORED)}
FROM customer_address a WHERE a.address_id = $1 AND a.customer_id = $2 FOR UPDATE
"""
_INSERT_SQL = """
INSERT INTO customer_address (customer_id, {columns}) VALUES ($1, {values})
RETURNING address_id
"""
_UPDATE_SQL = """
UPDATE customer_address SET {assignments}, updated_at = now() WHERE address_id = $1
"""
_ATTRIBUTES_SQL = """
UPDATE customer_address SET attributes = (attributes || $2::jsonb) - $3::text[],
    updated_at = now()
WHERE address_id = $1
"""
# $3/$4: true sets the default to this address, false clears it if it was this one, null
# leaves it as it is.
_DEFAULTS_SQL = """
UPDATE customer SET
    default_billing = CASE WHEN $3::boolean THEN $2
                           WHEN NOT $3::boolean AND default_billing = $2 THEN NULL
                           ELSE default_billing END,
    default_shipping = CASE WHEN $4::boolean THEN $2
                            WHEN NOT $4::boolean AND default_shipping = $2 THEN NULL
                            ELSE default_shipping END,
    updated_at = now()
WHERE customer_id = $1
"""
_DELETE_SQL = "DELETE FROM customer_address WHERE address_id = $1"


_CUSTOMER_ID = id_param("customerId")
_ADDRESS_ID = id_param("addressId")


def _data_schema(definitions: Definitions) -> dict[str, Any]:
    return address_schema(definitions).model.model_json_schema()


def _entity_schema(definitions: Definitions) -> dict[str, Any]:
    return address_schema(definitions).entity.result_schema()


def _entities_schema(definitions: Definitions) -> dict[str, Any]:
    return {"type": "array", "items": _entity_schema(definitions)}


_ADDRESS_DATA = Param("addressData", required=True, schema=_data_schema)


def _address_change(
    raw: Any, schema: AddressSchema, current: dict[str, Any] | None = None
) -> AddressChange:
    """``addressData`` checked; the fault's message joins OpenMage's own messages (each
    "Please enter …") and names the field of any other problem."""
    if not isinstance(raw, dict):
        raise DATA_INVALID("addressData must be an object")
    try:
        return parse_address_data(raw, schema, current)
    except InvalidData as invalid:
        message = "\n".join(
            d["message"] if d["message"].startswith("Please") else f"{d['field']}: {d['message']}"
            for d in invalid.details
        )
        raise DATA_INVALID(message, details=invalid.details) from None


@CUSTOMER_ADDRESS.method(
    "list",
    faults=(CUSTOMER_NOT_EXISTS,),
    acl="customer/address/info",
    title="Retrieve customer addresses",
    params=(_CUSTOMER_ID,),
    writes=False,
    example={"customerId": 1},
    result=_entities_schema,
)
async def list_addresses(ctx: CallContext, customer_id: int) -> Any:
    _, sql = await _address(ctx)
    text = await ctx.connection.fetchrow(sql.list, customer_id)
    if text is None:
        raise CUSTOMER_NOT_EXISTS()
    return ctx.json(text[0])


async def _apply_defaults(
    ctx: CallContext, customer_id: int, address_id: int, change: AddressChange
) -> None:
    if change.defaults:
        await ctx.connection.execute(
            _DEFAULTS_SQL,
            customer_id,
            address_id,
            change.defaults.get("is_default_billing"),
            change.defaults.get("is_default_shipping"),
        )


@CUSTOMER_ADDRESS.method(
    "create",
    faults=(CUSTOMER_NOT_EXISTS, DATA_INVALID),
    acl="customer/address/create",
    title="Create customer address",
    params=(_CUSTOMER_ID, _ADDRESS_DATA),
    writes=True,
    example={
        "customerId": 1,
        "addressData": {
            "firstname": "Alan",
            "lastname": "Turing",
            "street": ["1 Bletchley Park"],
            "city": "Milton Keynes",
            "postcode": "MK3 6EB",
            "country_id": "GB",
            "telephone": "+44 1908 640404",
            "is_default_billing": True,
        },
    },
    result={"type": "integer"},
)
async def create(ctx: CallContext, customer_id: int, address_data: Any) -> int:
    # Locking the customer serialises its default changes and keeps it from going meanwhile.
    if await ctx.connection.fetchval(_LOCK_CUSTOMER_SQL, customer_id) is None:
        raise CUSTOMER_NOT_EXISTS()
    schema, _ = await _address(ctx)
    change = _address_change(address_data, schema)
    columns = dict(change.columns)
    values = {k: v for k, v in change.attributes.items() if v is not None}
    if values:
        columns["attributes"] = orjson.dumps(values).decode()
    names = list(columns)
    sql = _INSERT_SQL.format(columns=", ".join(names), values=placeholders(len(names), first=2))
    address_id: int = await ctx.connection.fetchval(sql, customer_id, *columns.values())
    await _apply_defaults(ctx, customer_id, address_id, change)
    return address_id


@CUSTOMER_ADDRESS.method(
    "info",
    faults=(ADDRESS_NOT_EXISTS,),
    acl="customer/address/info",
    title="Retrieve address data",
    params=(_ADDRESS_ID,),
    writes=False,
    example={"addressId": 1},
    result=_entity_schema,
)
async def info(ctx: CallContext, address_id: int) -> Any:
    _, sql = await _address(ctx)
    text = await ctx.connection.fetchval(sql.info, address_id)
    if text is None:
        raise ADDRESS_NOT_EXISTS()
    return ctx.json(text)


@CUSTOMER_ADDRESS.method(
    "update",
    faults=(ADDRESS_NOT_EXISTS, DATA_INVALID),
    acl="customer/address/update",
    title="Update customer address data",
    params=(_ADDRESS_ID, _ADDRESS_DATA),
    writes=True,
    example={"addressId": 1, "addressData": {"city": "Bletchley"}},
    result={"type": "boolean"},
)
async def update(ctx: CallContext, address_id: int, address_data: Any) -> bool:
    customer_id = await _lock_owner(ctx, address_id)
    current = await ctx.connection.fetchrow(_CURRENT_SQL, address_id, customer_id)
    if current is None:
        raise ADDRESS_NOT_EXISTS()
    stored = dict(current)
    schema, _ = await _address(ctx)
    change = _address_change(address_data, schema, stored)
    changed = {k: v for k, v in change.columns.items() if v != stored.get(k)}
    if changed:
        sql = _UPDATE_SQL.format(assignments=assignments(changed, first=2))
        await ctx.connection.execute(sql, address_id, *changed.values())
    if change.attributes:
        kept = {k: v for k, v in change.attributes.items() if v is not None}
        cleared = [k for k, v in change.attributes.items() if v is None]
        await ctx.connection.execute(
            _ATTRIBUTES_SQL, address_id, orjson.dumps(kept).decode(), cleared
        )
    await _apply_defaults(ctx, customer_id, address_id, change)
    return True


@CUSTOMER_ADDRESS.method(
    "delete",
    faults=(ADDRESS_NOT_EXISTS, NOT_DELETED),
    acl="customer/address/delete",
    title="Delete customer address",
    params=(_ADDRESS_ID,),
    writes=True,
    example={"addressId": 1},
    result={"type": "boolean"},
)
async def delete(ctx: CallContext, address_id: int) -> bool:
    await _lock_owner(ctx, address_id)  # deleting clears the customer's defaults pointing here
    if await ctx.connection.execute(_DELETE_SQL, address_id) == "DELETE 0":
        raise ADDRESS_NOT_EXISTS()
    return True


async def _lock_owner(ctx: CallContext, address_id: int) -> int:
    """The address's customer, its row locked; ``address_not_exists`` if there is none."""
    customer_id: int | None = await ctx.connection.fetchval(_OWNER_SQL, address_id)
    if (
        customer_id is None
        or await ctx.connection.fetchval(_LOCK_CUSTOMER_SQL, customer_id) is None
    ):
        raise ADDRESS_NOT_EXISTS()
    return customer_id
