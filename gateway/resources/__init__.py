"""The method table: every resource and resource method the API offers, by API path."""

from gateway.resources import customer, customer_address, customer_group
from gateway.resources.base import Resource, ResourceMethod

__all__ = ["METHODS", "RESOURCES", "acl_paths"]

RESOURCES: tuple[Resource, ...] = (
    customer.RESOURCE,
    customer_group.RESOURCE,
    customer_address.RESOURCE,
)

METHODS: dict[str, ResourceMethod] = {
    m.path: m for m in (*customer.METHODS, *customer_group.METHODS, *customer_address.METHODS)
}


def acl_paths() -> set[str]:
    """Every ACL path a user may be granted, parents included."""
    paths = {"all", "customer/password_hash"}
    for method in METHODS.values():
        parts = method.acl.split("/")
        paths.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return paths
