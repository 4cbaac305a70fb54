"""Resource ``core_store`` (alias ``store``): the store views, read-only.

Stores are read from the database at each call (one statement over a table of a few rows):
an operator may add one, and every process then sees it at once.
"""

from typing import Any

from gateway.resources.kit import ID_OR_CODE, CallContext, Param, Resource
from gateway.resources.kit.stores import find_store

__all__ = ["CORE_STORE"]

CORE_STORE = Resource("core_store", "Store API", "The store views.", aliases=("store",))
STORE_NOT_EXISTS = CORE_STORE.fault(100, "store_not_exists", "Requested store view not found.")

_ENTITY = """json_build_object(
    'store_id', store_id, 'code', code, 'website_id', website_id, 'group_id', group_id,
    'name', name, 'sort_order', sort_order, 'is_active', is_active)"""
_LIST_SQL = f"""
SELECT coalesce(json_agg({_ENTITY} ORDER BY sort_order, store_id), '[]')::text FROM core_store
"""
_INFO_SQL = f"SELECT {_ENTITY}::text FROM core_store WHERE store_id = $1"
_ENTITY_SCHEMA = {
    "type": "object",
    "properties": {
        "store_id": {"type": "integer"},
        "code": {"type": "string"},
        "website_id": {"type": "integer"},
        "group_id": {"type": "integer"},
        "name": {"type": "string"},
        "sort_order": {"type": "integer"},
        "is_active": {"type": "boolean"},
    },
}


@CORE_STORE.method(
    "list",
    acl="core/store/list",
    title="Retrieve store list",
    writes=False,
    result={"type": "array", "items": _ENTITY_SCHEMA},
)
async def list_stores(ctx: CallContext) -> Any:
    return ctx.json(await ctx.connection.fetchval(_LIST_SQL))


def _is_store_ref(value: Any) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


@CORE_STORE.method(
    "info",
    acl="core/store/info",
    title="Retrieve store data",
    params=(
        Param(
            "storeId",
            required=True,
            fits=_is_store_ref,
            schema=ID_OR_CODE,
            description="A store id or code",
        ),
    ),
    writes=False,
    example={"storeId": "default"},
    result=_ENTITY_SCHEMA,
)
async def info(ctx: CallContext, store_id: Any) -> Any:
    store = await find_store(ctx.connection, store_id)
    if store is None:
        raise STORE_NOT_EXISTS()
    return ctx.json(await ctx.connection.fetchval(_INFO_SQL, store.store_id))
