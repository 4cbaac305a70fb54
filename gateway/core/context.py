"""What a request runs with, whatever its wire: the application's services, the request's
one database connection, its bookkeeping for the log and metrics, and ``operation``, which
bounds each top-level operation by the call deadline and turns every unexpected error into the
``internal`` fault (logged with the request id, never shown)."""

import logging
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from gateway.auth.passwords import SecretHasher
from gateway.core.deadlines import Deadlines, Watch
from gateway.core.faults import INTERNAL, FaultError, MalformedParams
from gateway.settings import Settings

__all__ = ["Operation", "RequestContext", "Services"]

log = logging.getLogger(__name__)

# Errors that mean "the database is not there right now": a retry later may succeed.
_UNAVAILABLE = (
    OSError,  # refused, reset, the socket gone
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, terminated
)


@dataclass(slots=True)
class Services:
    """What lives as long as the application: settings, the pool, the secret hasher, the
    calls' deadlines."""

    settings: Settings
    pool: asyncpg.Pool
    hasher: SecretHasher
    deadlines: Deadlines


@dataclass(slots=True)
class RequestContext:
    """One request: at most one pool connection, taken on first use and given back once;
    ``calls`` books each operation and API path with its fault, for the log and metrics.

    ``may_stream``: the wire can write a long list while it is read, and this request is one
    call (not a batch), so such a list need not be held in memory."""

    services: Services
    request_id: str
    client_address: str | None = None
    authorization: str | None = None
    may_stream: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    _connection: asyncpg.Connection | None = None

    async def connection(self) -> asyncpg.Connection:
        if self._connection is None:
            self._connection = await self.services.pool.acquire()
        return self._connection

    async def release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await self.services.pool.release(connection)
            except (*_UNAVAILABLE, asyncpg.exceptions.InternalClientError) as exc:
                # A connection broken mid-request: the pool has terminated it already.
                log.warning("connection dropped", extra={"error": type(exc).__name__})

    def operation(self, name: str, passing: tuple[type[Exception], ...] = ()) -> "Operation":
        """``with ctx.operation("login"):`` around one top-level operation of the request;
        exceptions of the ``passing`` types are the front-end's own, and pass untouched."""
        return Operation(self, name, passing)

    def _database_unavailable(self, exc: BaseException) -> bool:
        # A dropped connection can surface as almost any asyncpg error; a closed one tells.
        connection = self._connection
        return isinstance(exc, _UNAVAILABLE) or (connection is not None and connection.is_closed())

    def internal_fault(self, exc: BaseException) -> FaultError:
        """Log an unexpected error with the request id; the client sees only the id (and, when
        the database is unavailable, that a retry may succeed). A connection cut off by the
        call's deadline is closed here, so that giving it back cannot hang."""
        extra: dict[str, Any] = {"request_id": self.request_id}
        if isinstance(exc, TimeoutError) and self._connection is not None:
            # Given back as it is, asyncpg would wait for the server to acknowledge the
            # cancelled statement, which a server that stopped answering never does.
            self._connection.terminate()
        if self._database_unavailable(exc):
            extra["retryable"] = True
            log.warning(
                "database unavailable",
                extra={"request_id": self.request_id, "error": f"{type(exc).__name__}: {exc}"},
            )
        else:
            log.error("internal error", exc_info=exc, extra={"request_id": self.request_id})
        return INTERNAL(**extra)


class Operation:
    """One top-level operation under the call deadline: its fault booked, and any error that
    is not a fault answered as ``internal``. (A plain context manager: no coroutine.)"""

    __slots__ = ("_context", "_entry", "_passing", "_watch")

    def __init__(
        self, context: RequestContext, name: str, passing: tuple[type[Exception], ...]
    ) -> None:
        self._context = context
        self._passing = passing
        self._entry: dict[str, Any] = {"method": name}
        context.calls.append(self._entry)
        # Should the database stop answering, the operation ends as a retryable internal
        # fault (TimeoutError) instead of hanging.
        self._watch: Watch = context.services.deadlines.watch()

    def __enter__(self) -> None:
        self._watch.__enter__()

    def __exit__(self, exc_type: type[BaseException] | None, exc: Any, traceback: Any) -> None:
        try:
            self._watch.__exit__(exc_type, exc, traceback)
        except TimeoutError as late:
            exc = late
        if exc is None:
            return
        if isinstance(exc, FaultError):
            self._entry["fault"] = exc.fault.name
        elif isinstance(exc, MalformedParams):
            self._entry["fault"] = "malformed_params"
        elif isinstance(exc, Exception) and not isinstance(exc, self._passing):
            self._entry["fault"] = INTERNAL.name
            raise self._context.internal_fault(exc) from None
