"""What a user may learn about the API itself: the resources and methods it may call, and the
faults (global, or of one resource)."""

from typing import Any

from gateway.auth.acl import allows
from gateway.auth.users import Principal
from gateway.faults import ACCESS_DENIED, GLOBAL_FAULTS, RESOURCE_PATH_INVALID, Fault
from gateway.resources import RESOURCES
from gateway.resources.kit import Resource

__all__ = ["global_faults", "resource_faults", "resources_for"]


def resources_for(principal: Principal) -> list[dict[str, Any]]:
    """Each resource with the methods the principal may call, leaving out the rest."""
    listing = []
    for resource in RESOURCES:
        methods = [
            {
                "name": m.name,
                "path": m.path,
                "title": m.title,
                "description": m.description or m.title,
                "aliases": list(m.alias_paths),
            }
            for m in resource.methods
            if allows(principal.resources, m.acl)
        ]
        if methods:
            listing.append(
                {
                    "name": resource.name,
                    "title": resource.title,
                    "description": resource.description,
                    "aliases": list(resource.aliases),
                    "methods": methods,
                }
            )
    return listing


def global_faults() -> tuple[Fault, ...]:
    return GLOBAL_FAULTS


def declared_faults(resource: Resource) -> tuple[Fault, ...]:
    """The resource's own faults that its methods declare they may raise, in the order the
    resource declares them."""
    raised = {fault for method in resource.methods for fault in method.faults}
    return tuple(fault for fault in resource.faults if fault in raised)


def resource_faults(principal: Principal, resource_name: Any) -> tuple[Fault, ...]:
    """One resource's faults, for a user who may call at least one of its methods."""
    resource = next(
        (r for r in RESOURCES if resource_name == r.name or resource_name in r.aliases), None
    )
    if resource is None:
        raise RESOURCE_PATH_INVALID()
    if not any(allows(principal.resources, m.acl) for m in resource.methods):
        raise ACCESS_DENIED()
    return declared_faults(resource)
