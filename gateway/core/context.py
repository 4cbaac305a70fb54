"""What a request runs with, whatever its wire: the application's services, the request's
one database connection, its bookkeeping for the log and metrics, and ``operation``, which
bounds each top-level operation by the call deadline and turns every unexpected error into a
fault (``internal``, logged with the request id and never shown, or ``query_timeout``)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from gateway.auth.passwords import SecretHasher
from gateway.auth.session_cache import SessionCache
from gateway.auth.sessions import touch_after
from gateway.auth.users import Principal
from gateway.core import idempotency
from gateway.core.deadlines import Deadlines, Watch
from gateway.core.idempotency import KeyedRequest, StoredAnswer, Upkeep
from gateway.core.slots import Slots
from gateway.faults import INTERNAL, QUERY_TIMEOUT, FaultError, MalformedParams
from gateway.notices import Listener
from gateway.resources.kit.attributes import Definitions, definitions_cache
from gateway.resources.kit.listing import StreamReader
from gateway.resources.kit.noticed import NoticedCache
from gateway.resources.kit.stores import StoreViews, store_cache
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
    calls' deadlines, the slots that bound heavy statements and streamed lists, the upkeep of
    idempotency keys, and what is kept in memory (checked sessions, store views, custom
    attributes' definitions) with the listener that keeps it exact."""

    settings: Settings
    pool: asyncpg.Pool
    hasher: SecretHasher
    deadlines: Deadlines
    heavy_slots: Slots
    stream_slots: Slots
    upkeep: Upkeep
    sessions: SessionCache
    stores: NoticedCache[StoreViews]
    definitions: NoticedCache[Definitions]
    listener: Listener

    @classmethod
    def open(cls, settings: Settings, pool: asyncpg.Pool) -> "Services":
        sessions = SessionCache(
            settings.session_ttl, touch_after(settings.session_ttl), enabled=settings.session_cache
        )
        stores, definitions = store_cache(), definitions_cache()
        return cls(
            settings,
            pool,
            SecretHasher(settings.hash_concurrency),
            Deadlines(settings.call_deadline),
            Slots(settings.heavy_slots, _share(settings.heavy_slots), settings.busy_wait),
            Slots(settings.stream_slots, _share(settings.stream_slots), settings.busy_wait),
            Upkeep(pool),
            sessions,
            stores,
            definitions,
            Listener((sessions, stores, definitions)),
        )


def _share(slots: int) -> int:
    """The turns one API user may hold at once: half of them, at least one."""
    return max(1, slots // 2)


@dataclass(slots=True)
class RequestContext:
    """One request: at most one pool connection, taken on first use and given back once;
    ``calls`` books each operation and API path with its fault, for the log and metrics.

    ``may_stream``: the wire can write a long list while it is read, and this request is one
    call (not a batch), so such a list need not be held in memory. ``answer_left``: bytes of
    results this request may still hold (``GATEWAY_MAX_ANSWER``). ``keyed``: the request's
    idempotency key, if it came with one (``gateway.core.idempotency``)."""

    services: Services
    request_id: str
    client_address: str | None = None
    authorization: str | None = None
    may_stream: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    answer_left: int = 0
    keyed: KeyedRequest | None = None
    atomic: bool = False  # inside an atomic multiCall's transaction
    streams: list[StreamReader] = field(default_factory=list)  # opened by its calls
    _connection: asyncpg.Connection | None = None

    def __post_init__(self) -> None:
        self.answer_left = self.services.settings.max_answer

    async def connection(self) -> asyncpg.Connection:
        if self._connection is None:
            self._connection = await self.services.pool.acquire()
        return self._connection

    async def claim_key(self, principal: Principal) -> None:
        """Take the request's ``Idempotency-Key``, if it has one, before its first write
        (``gateway.core.idempotency``); or raise ``Replay``, or a fault."""
        if self.keyed is not None:
            services = self.services
            await idempotency.claim(
                self.keyed,
                await self.connection(),
                principal.user_id,
                services.settings,
                services.upkeep,
            )

    async def keep_answer(self, answer: StoredAnswer) -> None:
        """Store the answer of a request that claimed its key, and commit it with its writes."""
        if self.keyed is not None:
            services = self.services
            await idempotency.keep(
                self.keyed, await self.connection(), answer, services.settings, services.upkeep
            )

    @asynccontextmanager
    async def outside_transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection whose statements commit on their own: the request's, unless it holds
        a transaction (a claimed key's, an atomic multiCall's), then one taken for the block."""
        connection = await self.connection()
        if not connection.is_in_transaction():
            yield connection
            return
        pool = self.services.pool
        own = await pool.acquire(timeout=self.services.settings.db_connect_timeout)
        try:
            yield own
        finally:
            await pool.release(own)

    def note(self, **fields: Any) -> None:
        """Add ``fields`` to the current operation's line in the request log."""
        operations = [c for c in self.calls if "method" in c]
        if operations:
            operations[-1].update(fields)

    async def release(self) -> None:
        """Give the connection back for now (a later use takes one again); not while it holds
        a claimed idempotency key's transaction, which must see the request to its end."""
        if self.keyed is not None and self.keyed.claimed:
            return
        await self._give_back()

    async def close(self) -> None:
        """At the end of the request: close any stream its calls opened that was not written
        to its end, and give the connection back (an open transaction, such as a claimed
        key's whose answer was never kept, is rolled back by the pool)."""
        for stream in self.streams:
            await stream.close()
        await self._give_back()

    async def _give_back(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await self.services.pool.release(connection)
            except (*_UNAVAILABLE, asyncpg.exceptions.InternalClientError) as exc:
                # A connection broken mid-request: the pool has terminated it already.
                log.warning("connection dropped", extra={"error": type(exc).__name__})

    @asynccontextmanager
    async def heavy_connection(
        self, seconds: float, user_id: int
    ) -> AsyncIterator[asyncpg.Connection]:
        """A connection for a statement that may run long (a regular expression over many
        rows, a list or count that may scan), bounded to ``seconds``, in a turn of
        ``heavy_slots`` (a few at once per process, fewer for one user; ``busy`` after a
        bounded wait). One waiting for its turn holds no connection, so that they never
        starve other callers. Inside a transaction (an atomic multiCall, a keyed request) it
        must keep its connection: it does not wait for a turn then (``busy`` at once, should
        none be free), and runs in a savepoint, whose end undoes the shorter timeout whether
        the statement ends well or not."""
        connection = await self.connection()
        if connection.is_in_transaction():
            turn = self.services.heavy_slots.turn(user_id, wait=False)
            async with turn, connection.transaction():
                await connection.execute(_SET_TIMEOUT_SQL, _millis(seconds))
                yield connection
                await connection.execute(
                    _SET_TIMEOUT_SQL, _millis(self.services.settings.db_command_timeout)
                )
            return
        await self.release()
        async with self.services.heavy_slots.turn(user_id):
            connection = await self.connection()
            async with connection.transaction(readonly=True):
                await connection.execute(_SET_TIMEOUT_SQL, _millis(seconds))
                yield connection

    def operation(self, name: str, passing: tuple[type[Exception], ...] = ()) -> "Operation":
        """``with ctx.operation("login"):`` around one top-level operation of the request;
        exceptions of the ``passing`` types are the front-end's own, and pass untouched."""
        return Operation(self, name, passing)

    def _database_unavailable(self, exc: BaseException) -> bool:
        # A dropped connection can surface as almost any asyncpg error; a closed one tells.
        connection = self._connection
        return isinstance(exc, _UNAVAILABLE) or (connection is not None and connection.is_closed())

    def fault_for(self, exc: BaseException) -> FaultError:
        """The fault for an unexpected error. A statement stopped by its timeout is
        ``query_timeout`` (not retryable: the same query would run as long again), logged as
        a slow query with its API path; anything else is ``internal``, logged with the request
        id that the client sees (and, when the database is unavailable, ``retryable``). A
        connection cut off by the call's deadline is closed here, so that giving it back
        cannot hang."""
        if isinstance(exc, asyncpg.QueryCanceledError):
            api_paths = [c["api_path"] for c in self.calls if c.get("api_path")]
            log.warning(
                "slow query",
                extra={"request_id": self.request_id, "api_path": api_paths[-1:] or None},
            )
            return QUERY_TIMEOUT(request_id=self.request_id)
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


_SET_TIMEOUT_SQL = "SELECT set_config('statement_timeout', $1, true)"


def _millis(seconds: float) -> str:
    return str(max(1, int(seconds * 1000)))  # 0 would mean no timeout at all


class Operation:
    """One top-level operation under the call deadline: its fault booked, and any error that
    is not a fault answered as one. (A plain context manager: no coroutine.)"""

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
            fault = self._context.fault_for(exc)
            self._entry["fault"] = fault.fault.name
            raise fault from None
