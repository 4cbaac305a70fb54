"""The method table: every resource and its methods by API path, gathered from the resource
modules' declarations."""

from gateway.resources.customer import CUSTOMER
from gateway.resources.customer_address import CUSTOMER_ADDRESS
from gateway.resources.customer_group import CUSTOMER_GROUP
from gateway.resources.directory import DIRECTORY_COUNTRY, DIRECTORY_REGION
from gateway.resources.kit import Resource, ResourceMethod
from gateway.resources.magento import CORE_MAGENTO
from gateway.resources.store import CORE_STORE

__all__ = ["METHODS", "RESOURCES", "acl_paths"]

# In the order Magento's ``resources`` lists them.
RESOURCES: tuple[Resource, ...] = (
    CORE_STORE,
    CORE_MAGENTO,
    DIRECTORY_COUNTRY,
    DIRECTORY_REGION,
    CUSTOMER,
    CUSTOMER_GROUP,
    CUSTOMER_ADDRESS,
)

# Each method by its path and by its paths under the resource's aliases (store.list is
# core_store.list).
METHODS: dict[str, ResourceMethod] = {
    path: m for r in RESOURCES for m in r.methods for path in (m.path, *m.alias_paths)
}


def acl_paths() -> set[str]:
    """Every ACL path a user may be granted, parents included."""
    paths = {"all", "customer/password_hash"}
    for method in METHODS.values():
        parts = method.acl.split("/")
        paths.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return paths
