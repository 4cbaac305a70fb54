"""Resource ``customer_group``: the customer groups, read-only."""

from typing import Any

from gateway.resources.kit import CallContext, Resource

__all__ = ["CUSTOMER_GROUP"]

CUSTOMER_GROUP = Resource(
    "customer_group", "Customer's Groups API", "Read-only access to customer groups."
)

_LIST_SQL = """
SELECT coalesce(json_agg(json_build_object(
    'customer_group_id', customer_group_id,
    'customer_group_code', customer_group_code) ORDER BY customer_group_id), '[]')::text
FROM customer_group
"""


@CUSTOMER_GROUP.method(
    "list",
    acl="customer",
    title="Retrieve customer groups",
    description="The customer groups, in id order.",
    writes=False,
    result={
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "customer_group_id": {"type": "integer"},
                "customer_group_code": {"type": "string"},
            },
        },
    },
)
async def list_groups(ctx: CallContext) -> Any:
    return ctx.json(await ctx.connection.fetchval(_LIST_SQL))
