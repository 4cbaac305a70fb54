"""The fault catalogue: every fault the API can answer, declared once.

Resource code raises ``FaultError("customer", "customer_not_exists")``; the transport turns it
into a JSON-RPC error, a multiCall slot or a REST error with the functions at the bottom of this
module, and nowhere else.

    Exception
     └── FaultError          a catalogued fault, safe to show to the client
"""

from dataclasses import dataclass
from typing import Any

__all__ = [
    "GLOBAL",
    "Fault",
    "FaultError",
    "faults_of",
    "lookup",
    "multicall_slot",
    "rest_status",
    "rpc_error",
]

GLOBAL = "global"


@dataclass(frozen=True, slots=True)
class Fault:
    code: int
    name: str
    message: str
    resource: str


_CATALOGUE: tuple[Fault, ...] = (
    Fault(0, "unknown", "Unknown Error", GLOBAL),
    Fault(1, "internal", "Internal Error. Please see log for details.", GLOBAL),
    Fault(2, "access_denied", "Access denied.", GLOBAL),
    Fault(3, "resource_path_invalid", "Invalid api path.", GLOBAL),
    Fault(4, "resource_path_not_callable", "Resource path is not callable.", GLOBAL),
    Fault(5, "session_expired", "Session expired. Try to relogin.", GLOBAL),
    Fault(
        6,
        "invalid_request_param",
        'Required parameter is missing, for more details see "exception.log".',
        GLOBAL,
    ),
    Fault(100, "data_invalid", "Invalid customer data. Details in error message.", "customer"),
    Fault(100, "customer_data_invalid", "Invalid customer data.", "customer"),
    Fault(100, "customer_exists", "This customer email already exists.", "customer"),
    Fault(100, "website_not_exists", "Website does not exist.", "customer"),
    Fault(100, "group_not_exists", "Customer group does not exist.", "customer"),
    Fault(100, "store_not_exists", "Requested store does not exist.", "customer"),
    Fault(
        101, "filters_invalid", "Invalid filters specified. Details in error message.", "customer"
    ),
    Fault(102, "customer_not_exists", "Customer does not exist.", "customer"),
    Fault(103, "not_deleted", "Customer not deleted. Details in error message.", "customer"),
    Fault(
        100, "data_invalid", "Invalid address data. Details in error message.", "customer_address"
    ),
    Fault(101, "customer_not_exists", "Customer not exists.", "customer_address"),
    Fault(102, "address_not_exists", "Address not exists.", "customer_address"),
    Fault(103, "not_deleted", "Address not deleted. Details in error message.", "customer_address"),
)

_BY_KEY: dict[tuple[str, str], Fault] = {(f.resource, f.name): f for f in _CATALOGUE}


def lookup(resource: str, name: str) -> Fault:
    """The fault ``name`` of ``resource``, falling back to the global fault of that name."""
    return _BY_KEY.get((resource, name)) or _BY_KEY[(GLOBAL, name)]


def faults_of(resource: str) -> list[Fault]:
    """The faults declared for one resource (``GLOBAL`` for the global ones), in code order."""
    return [f for f in _CATALOGUE if f.resource == resource]


class FaultError(Exception):
    """A catalogued fault; ``message`` overrides the catalogue's text with a specific detail."""

    def __init__(
        self,
        resource: str,
        name: str,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        **extra: Any,
    ) -> None:
        self.fault = lookup(resource, name)
        self.message = message or self.fault.message
        self.details = details
        self.extra = extra
        super().__init__(self.message)

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"fault": self.fault.name, "resource": self.fault.resource}
        if self.details is not None:
            data["details"] = self.details
        data.update(self.extra)
        return data


def rpc_error(error: FaultError) -> dict[str, Any]:
    """The JSON-RPC error object for a fault."""
    return {"code": error.fault.code, "message": error.message, "data": error.data()}


def multicall_slot(error: FaultError) -> dict[str, Any]:
    """A faulting call's slot in a multiCall answer, as OpenMage shapes it."""
    return {
        "isFault": True,
        "faultCode": error.fault.code,
        "faultMessage": error.message,
        "fault": error.fault.name,
    }


# REST answers with an HTTP status; every fault not named here is the client's data: 400.
_HTTP_STATUS = {
    "unknown": 500,
    "internal": 500,
    "access_denied": 403,
    "resource_path_invalid": 404,
    "resource_path_not_callable": 405,
    "session_expired": 401,
    "customer_exists": 409,
    "customer_not_exists": 404,
    "address_not_exists": 404,
    "not_deleted": 500,
}


def rest_status(error: FaultError) -> int:
    """The HTTP status of a fault in a REST answer."""
    return _HTTP_STATUS.get(error.fault.name, 400)
