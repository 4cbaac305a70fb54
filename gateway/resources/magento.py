"""Resource ``core_magento`` (alias ``magento``): what is answering, for integrations that
check their connection with ``magento.info``."""

from importlib.metadata import version
from typing import Any

from gateway.resources.kit import CallContext, Resource

__all__ = ["CORE_MAGENTO"]

CORE_MAGENTO = Resource(
    "core_magento", "Magento info API", "What is answering.", aliases=("magento",)
)


@CORE_MAGENTO.method(
    "info",
    acl="core/magento/info",
    title="Get info about current Magento installation",
    writes=False,
    result={
        "type": "object",
        "properties": {
            "magento_version": {"type": "string"},
            "magento_edition": {"type": "string"},
        },
    },
)
async def info(ctx: CallContext) -> Any:
    return {"magento_version": version("customer-gateway"), "magento_edition": "Customer gateway"}
