"""Lists and counts of a resource's entities, from ``filters`` and ``options``.

A resource describes what can be listed once (``Listing``: its table, filterable columns and
unique ordering key); the compiled query runs here, so that every resource pages, filters,
streams and bounds its lists alike. Entities are built as JSON by PostgreSQL and passed on
as pre-built JSON text, never parsed here.
"""

from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from gateway.core.faults import LIMIT_EXCEEDED, Fault
from gateway.resources.kit.declarations import CallContext
from gateway.resources.kit.filters import (
    Column,
    FilterError,
    ListQuery,
    QueryParams,
    compile_list_query,
)

__all__ = ["Listing", "RowStream", "json_list"]

# Lists up to this long are fetched in one statement; longer or unlimited ones are streamed
# (or, where they may not be, read up to the caller's row limit).
FETCH_AT_ONCE = 1000
STREAM_CHUNK = 1000

_REGEXP_CHECK_SQL = "SELECT '' ~ $1"


def json_list(texts: list[str]) -> orjson.Fragment:
    """A JSON array of entities that PostgreSQL built as JSON text."""
    return orjson.Fragment("[" + ",".join(texts) + "]")


class RowStream:
    """A list answered while it is read: its entities' JSON texts, a chunk at a time, from a
    cursor in a read-only transaction of its own."""

    __slots__ = ("sql", "values")

    def __init__(self, sql: str, values: list[Any]) -> None:
        self.sql = sql
        self.values = values

    async def chunks(self, connection: asyncpg.Connection) -> AsyncGenerator[list[str], None]:
        async with connection.transaction(readonly=True):
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

    async def query(
        self, ctx: CallContext, filters: Any, options: Any, scope: Scope | None = None
    ) -> ListQuery:
        """The compiled query, refused with ``filters_invalid`` before any row is read."""
        try:
            query = compile_list_query(filters, options, self.columns, self.key, scope)
        except FilterError as error:
            raise self.filters_invalid(str(error)) from None
        for pattern in query.patterns:
            # PostgreSQL's own verdict on a regular expression, now rather than mid-stream.
            try:
                await ctx.connection.fetchval(_REGEXP_CHECK_SQL, pattern)
            except asyncpg.InvalidRegularExpressionError:
                raise self.filters_invalid(f"not a valid regular expression: {pattern}") from None
        return query

    async def entities(self, ctx: CallContext, entity_sql: str, query: ListQuery) -> Any:
        """The matching entities: fetched at once when few, streamed when the call may be,
        otherwise read here up to the caller's row limit."""
        head = f"SELECT {entity_sql} FROM {self.source}"
        limit = query.limit
        if limit is not None and limit <= FETCH_AT_ONCE:
            sql, values = query.sql(head, limit)
            return json_list([row[0] for row in await ctx.connection.fetch(sql, *values)])
        if ctx.may_stream:
            return RowStream(*query.sql(head, limit))
        most = ctx.max_rows
        sql, values = query.sql(head, most + 1 if limit is None or limit > most else limit)
        rows = await ctx.connection.fetch(sql, *values)
        if len(rows) > most:
            raise LIMIT_EXCEEDED(
                f"A list inside a batch or a multiCall may hold at most {most} rows; "
                "page it with options.limit, or call it on its own to stream it.",
                limit="GATEWAY_MAX_LISTED_ROWS",
                value=most,
            )
        return json_list([row[0] for row in rows])

    async def count(self, ctx: CallContext, query: ListQuery) -> int:
        sql = f"SELECT count(*) FROM {self.source} WHERE {query.where}"
        counted: int = await ctx.connection.fetchval(sql, *query.values)
        return counted
