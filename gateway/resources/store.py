"""Resource ``core_store`` (alias ``store``): the store views, read-only, answered from the
process's copy (gateway.resources.kit.stores)."""

import dataclasses
from typing import Any

from gateway.resources.kit import ID_OR_CODE, CallContext, Param, Resource

__all__ = ["CORE_STORE"]

CORE_STORE = Resource("core_store", "Store API", "The store views.", aliases=("store",))
STORE_NOT_EXISTS = CORE_STORE.fault(100, "store_not_exists", "Requested store view not found.")

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
    return [dataclasses.asdict(store) for store in (await ctx.stores()).stores]


def _is_store_ref(value: Any) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


@CORE_STORE.method(
    "info",
    faults=(STORE_NOT_EXISTS,),
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
    store = (await ctx.stores()).find(store_id)
    if store is None:
        raise STORE_NOT_EXISTS()
    return dataclasses.asdict(store)
