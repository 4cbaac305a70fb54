"""Lists and counts of a resource's entities, from ``filters`` and ``options``.

A resource describes what can be listed once (``Listing``: its table, filterable columns and
unique ordering key); the compiled query runs here, so that every resource pages, filters,
streams and bounds its lists alike. Entities are built as JSON by PostgreSQL and passed on
as pre-built JSON text, never parsed here.
"""

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from gateway.faults import LIMIT_EXCEEDED, Fault
from gateway.resources.kit.declarations import CallContext
from gateway.resources.kit.filters import (
    Column,
    FilterError,
    ListQuery,
    QueryParams,
    compile_list_query,
)

__all__ = ["Listing", "RowStream", "StreamReader"]

# Lists up to this long are fetched in one statement; longer or unlimited ones are streamed
# (or, where they may not be, read up to the caller's row limit).
FETCH_AT_ONCE = 1000
STREAM_CHUNK = 1000

_REGEXP_CHECK_SQL = "SELECT '' ~ $1"


class StreamReader(Protocol):
    """A stream opened for reading (by the core): its chunks, the first already read."""

    def chunks(self) -> AsyncIterator[list[str]]: ...

    async def close(self) -> None: ...


class RowStream:
    """A list answered while it is read: its entities' JSON texts, read a chunk at a time from
    a cursor by whoever writes the answer. ``heavy``: it may scan, so its statements get the
    heavy statements' shorter timeout. ``user_id``: who reads it (streams are shared out by
    user). ``reader``: set once the stream is opened, before its call ends, so that what
    could refuse it (no turn free, a timeout on its first rows) is the call's fault."""

    __slots__ = ("heavy", "reader", "sql", "user_id", "values")

    def __init__(self, sql: str, values: list[Any], *, heavy: bool, user_id: int = 0) -> None:
        self.sql = sql
        self.values = values
        self.heavy = heavy
        self.user_id = user_id
        self.reader: StreamReader | None = None

    async def chunks(self, connection: asyncpg.Connection) -> AsyncGenerator[list[str], None]:
        """The rows, a chunk at a time; ``connection`` must be in a transaction."""
        cursor = await connection.cursor(self.sql, *self.values)
        while rows := await cursor.fetch(STREAM_CHUNK):
            yield [row[0] for row in rows]


Scope = Callable[[QueryParams], str]


@dataclass(frozen=True, slots=True)
class Listing:
    """What one resource's lists run over: ``source`` (a FROM clause), the ``columns`` a client
    may filter and order on, the unique ``key`` that ends every ordering, and the resource's
    own fault for filters it gets wrong."""

    source: str
    columns: Mapping[str, Column]
    key: str
    filters_invalid: Fault

    def query(self, filters: Any, options: Any, scope: Scope | None = None) -> ListQuery:
        """The compiled query, refused with ``filters_invalid`` before any row is read."""
        try:
            return compile_list_query(filters, options, self.columns, self.key, scope)
        except FilterError as error:
            raise self.filters_invalid(str(error)) from None

    async def entities(self, ctx: CallContext, entity_sql: str, query: ListQuery) -> Any:
        """The matching entities: streamed when there may be many and the call may stream,
        otherwise read here, up to the caller's row limit."""
        head = f"SELECT {entity_sql} FROM {self.source}"
        limit = query.limit
        if ctx.may_stream and (limit is None or limit > FETCH_AT_ONCE):
            await self._check_patterns(ctx.connection, query)
            sql, values = query.sql(head, limit)
            stream = RowStream(sql, values, heavy=query.heavy, user_id=ctx.principal.user_id)
            await ctx.open_stream(stream)
            return stream
        most = ctx.max_rows
        capped = most + 1 if limit is None else min(limit, most + 1)
        rows = await self._fetch(ctx, query, *query.sql(head, capped))
        if len(rows) > most:
            raise LIMIT_EXCEEDED(
                f"A list inside a batch or a multiCall may hold at most {most} rows; "
                "page it with options.limit, or call it on its own to stream it.",
                limit="GATEWAY_MAX_LISTED_ROWS",
                value=most,
            )
        return ctx.json_list([row[0] for row in rows])

    async def count(self, ctx: CallContext, query: ListQuery) -> int:
        """The number of matches: always a heavy statement, since it reads every match."""
        sql = f"SELECT count(*) FROM {self.source} WHERE {query.where}"
        counted: int = (await self._fetch(ctx, query, sql, query.values, heavy=True))[0][0]
        return counted

    async def _check_patterns(self, connection: asyncpg.Connection, query: ListQuery) -> None:
        """PostgreSQL's own verdict on each regular expression, before any row is read."""
        for pattern in query.patterns:
            try:
                await connection.fetchval(_REGEXP_CHECK_SQL, pattern)
            except asyncpg.InvalidRegularExpressionError:
                raise self.filters_invalid(f"not a valid regular expression: {pattern}") from None

    async def _fetch(
        self,
        ctx: CallContext,
        query: ListQuery,
        sql: str,
        values: list[Any],
        *,
        heavy: bool = False,
    ) -> list[asyncpg.Record]:
        """The rows of ``sql``; when it may scan, as a heavy statement (bounded in time, and
        in how many run at once)."""
        if not (heavy or query.heavy):
            return list(await ctx.connection.fetch(sql, *values))
        async with ctx.heavy() as connection:
            ctx.connection = connection
            await self._check_patterns(connection, query)
            return list(await connection.fetch(sql, *values))
