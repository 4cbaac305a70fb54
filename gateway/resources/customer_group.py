"""Resource ``customer_group``: the customer groups, read-only."""

from typing import Any

import orjson

from gateway.resources.base import CallContext, Resource, ResourceMethod

__all__ = ["METHODS", "RESOURCE"]

RESOURCE = Resource("customer_group", "Customer's Groups", "Read-only access to customer groups.")

_LIST_SQL = """
SELECT coalesce(json_agg(json_build_object(
    'customer_group_id', customer_group_id,
    'customer_group_code', customer_group_code) ORDER BY customer_group_id), '[]')::text
FROM customer_group
"""


async def list_groups(ctx: CallContext) -> Any:
    return orjson.Fragment(await ctx.connection.fetchval(_LIST_SQL))


METHODS = (
    ResourceMethod(
        resource=RESOURCE,
        name="list",
        acl="customer",
        title="Retrieve customer groups",
        description="The customer groups, in id order.",
        handler=list_groups,
        writes=False,
        result_schema={
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "customer_group_id": {"type": "integer"},
                    "customer_group_code": {"type": "string"},
                },
            },
        },
    ),
)
