"""Faults: what a call can answer instead of a result, each declared once as a constant, below
every layer (resources, the core and the front-ends all raise or render them).

The global faults are declared here; each resource declares its own beside its handlers
(``Resource.fault`` in ``gateway.resources.kit``), and ``gateway.resources`` gathers them like
the method table. Code raises a constant, never a name looked up at run time, so a misspelt
fault is an undefined name that ruff and mypy refuse before anything runs:

    raise SESSION_EXPIRED()
    raise CUSTOMER_NOT_EXISTS(details=[...])

Each fault has a ``Kind`` (not found, conflict, invalid, denied, a limit, busy…), from which
each wire derives what it needs: REST's HTTP status, whether a retry may succeed. How a fault
looks on each wire is decided in one place, ``gateway.frontends.rendering``.

    Exception
     ├── FaultError          a declared fault, safe to show to the client
     └── MalformedParams     a top-level method's params have the wrong shape
"""

import enum
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACCESS_DENIED",
    "BUSY",
    "GLOBAL",
    "GLOBAL_FAULTS",
    "IDEMPOTENCY_KEY_REUSED",
    "INTERNAL",
    "INVALID_REQUEST_PARAM",
    "LIMIT_EXCEEDED",
    "QUERY_TIMEOUT",
    "REQUEST_IN_PROGRESS",
    "RESOURCE_PATH_INVALID",
    "RESOURCE_PATH_NOT_CALLABLE",
    "SESSION_EXPIRED",
    "UNKNOWN",
    "Fault",
    "FaultError",
    "Kind",
    "MalformedParams",
]

GLOBAL = "global"


class Kind(enum.Enum):
    """What sort of refusal a fault is: its HTTP status (for REST), and whether the same
    request may succeed later (``retryable``)."""

    INVALID = (400, False)  # the request's data or arguments
    UNAUTHENTICATED = (401, False)
    DENIED = (403, False)
    NOT_FOUND = (404, False)
    NOT_CALLABLE = (405, False)
    CONFLICT = (409, False)
    TOO_LARGE = (413, False)  # over one of the gateway's limits
    MISMATCH = (422, False)  # a key sent again with another request
    PENDING = (409, True)  # the same request still runs
    BUSY = (503, True)  # no turn came in time
    INTERNAL = (500, False)

    def __init__(self, status: int, retryable: bool) -> None:
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: Magento's numeric code, a stable name clients branch on, its message, its
    kind, and the resource that declares it."""

    code: int
    name: str
    message: str
    kind: Kind = Kind.INVALID
    resource: str = GLOBAL

    def __call__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        **extra: Any,
    ) -> "FaultError":
        """This fault as an exception to raise; ``message`` replaces the declared text with a
        specific detail, ``extra`` goes into the fault's data."""
        return FaultError(self, message, details=details, **extra)


class FaultError(Exception):
    """A declared fault being answered, with what is known about this occurrence."""

    def __init__(
        self,
        fault: Fault,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        **extra: Any,
    ) -> None:
        self.fault = fault
        self.message = message or fault.message
        self.details = details
        if fault.kind.retryable:
            extra = {"retryable": True, **extra}
        self.extra = extra
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later: by its kind, or (an internal fault of
        an unavailable database) by this occurrence."""
        return bool(self.extra.get("retryable"))

    def data(self) -> dict[str, Any]:
        """What a client may branch on: the fault's name and resource, the details, extras."""
        data: dict[str, Any] = {"fault": self.fault.name, "resource": self.fault.resource}
        if self.details is not None:
            data["details"] = self.details
        data.update(self.extra)
        return data


class MalformedParams(ValueError):
    """A top-level method (login, multiCall, ...) was given params of the wrong shape; the
    message says which. Not a Magento fault: each wire answers it as its own kind of error."""


UNKNOWN = Fault(0, "unknown", "Unknown Error", Kind.INTERNAL)
INTERNAL = Fault(1, "internal", "Internal Error. Please see log for details.", Kind.INTERNAL)
ACCESS_DENIED = Fault(2, "access_denied", "Access denied.", Kind.DENIED)
RESOURCE_PATH_INVALID = Fault(3, "resource_path_invalid", "Invalid api path.", Kind.NOT_FOUND)
RESOURCE_PATH_NOT_CALLABLE = Fault(
    4, "resource_path_not_callable", "Resource path is not callable.", Kind.NOT_CALLABLE
)
SESSION_EXPIRED = Fault(
    5, "session_expired", "Session expired. Try to relogin.", Kind.UNAUTHENTICATED
)
INVALID_REQUEST_PARAM = Fault(
    6,
    "invalid_request_param",
    'Required parameter is missing, for more details see "exception.log".',
)

# Beyond Magento's catalogue: what this gateway bounds that Magento left unbounded.
LIMIT_EXCEEDED = Fault(
    7, "limit_exceeded", "The request exceeds a limit of the gateway.", Kind.TOO_LARGE
)
QUERY_TIMEOUT = Fault(
    8, "query_timeout", "The query ran too long and was stopped; narrow its filters down."
)
# Idempotency keys (gateway.core.keys).
IDEMPOTENCY_KEY_REUSED = Fault(
    9, "idempotency_key_reused", "This Idempotency-Key was used for another request.", Kind.MISMATCH
)
REQUEST_IN_PROGRESS = Fault(
    10,
    "request_in_progress",
    "A request with this Idempotency-Key is still running; retry.",
    Kind.PENDING,
)
# Waiting for a turn (a login check, a heavy statement, a stream) took too long.
BUSY = Fault(
    11, "busy", "The gateway is busy with requests like this one; retry in a moment.", Kind.BUSY
)

GLOBAL_FAULTS: tuple[Fault, ...] = (
    UNKNOWN,
    INTERNAL,
    ACCESS_DENIED,
    RESOURCE_PATH_INVALID,
    RESOURCE_PATH_NOT_CALLABLE,
    SESSION_EXPIRED,
    INVALID_REQUEST_PARAM,
    LIMIT_EXCEEDED,
    QUERY_TIMEOUT,
    IDEMPOTENCY_KEY_REUSED,
    REQUEST_IN_PROGRESS,
    BUSY,
)
