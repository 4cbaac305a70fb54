"""How a fault looks on each wire, in one place: a JSON-RPC error object, a multiCall slot,
a REST status, a SOAP fault. Every front-end renders faults with these and nothing else."""

from typing import Any

from gateway.faults import Fault, FaultError

__all__ = [
    "fault_entries",
    "fault_listing",
    "multicall_slot",
    "rest_fault",
    "rpc_error",
    "soap_fault",
]


def rpc_error(error: FaultError) -> dict[str, Any]:
    """The JSON-RPC error object: Magento's code, the message, and the fault's data."""
    return {"code": error.fault.code, "message": error.message, "data": error.data()}


def multicall_slot(error: FaultError) -> dict[str, Any]:
    """A faulting call's slot in a multiCall answer, as OpenMage shapes it."""
    return {
        "isFault": True,
        "faultCode": error.fault.code,
        "faultMessage": error.message,
        "fault": error.fault.name,
    }


def fault_listing(faults: tuple[Fault, ...]) -> list[dict[str, Any]]:
    """``globalFaults`` and ``resourceFaults`` answers."""
    return [{"code": f.code, "name": f.name, "message": f.message} for f in faults]


def fault_entries(faults: tuple[Fault, ...]) -> list[dict[str, Any]]:
    """The same in SOAP v1's shape: Magento's ``code`` and ``message``, and the stable name."""
    return [{"code": f.code, "message": f.message, "fault": f.name} for f in faults]


def rest_fault(error: FaultError) -> tuple[int, str, dict[str, str]]:
    """A fault in a REST answer: its HTTP status, its message, and its headers (a lockout's
    ``Retry-After``). The REST front-end writes the message in Magento's error body."""
    retry_after = error.extra.get("retry_after")
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return error.fault.kind.status, error.message, headers


def soap_fault(error: FaultError) -> tuple[str, str, dict[str, Any]]:
    """A SOAP fault as Magento's SOAP clients read it: ``faultcode`` the numeric code,
    ``faultstring`` the message, and in ``detail`` what else a client may branch on (the
    stable name first)."""
    return str(error.fault.code), error.message, error.data()
