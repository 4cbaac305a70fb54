"""Streamed lists (a ``RowStream``): opened during their call, written by the front-end after.

A stream reads on a connection of its own, in a read-only transaction, in a turn of
``stream_slots`` (a few at once per process, at most half of them for one API user; a call
that finds none free within ``GATEWAY_BUSY_WAIT`` is answered ``busy``), so that streams never
hold the whole pool and one user's slow readers cannot take every turn. It is opened, and its
first chunk read, while its call runs: a refusal then (no turn, a heavy list's timeout) is the
call's own fault, answered before any byte is written. Each FETCH runs under the call deadline,
so that a database that stops answering cannot hold the writer; a heavy stream's under the
heavy statements' timeout. The writer bounds the other side: how long a client may take to
take each chunk. A stream the front-end never writes is closed with the request.
"""

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack

import asyncpg

from gateway.core.context import RequestContext
from gateway.resources.kit import RowStream

__all__ = ["open_stream", "stream_rows"]

log = logging.getLogger(__name__)

_SET_TIMEOUT_SQL = "SELECT set_config('statement_timeout', $1, true)"
# Ending a transaction a writer abandoned: a server that answers does so at once.
_ROLLBACK_TIMEOUT = 2.0


class _Reader:
    """An opened stream: its connection, transaction and cursor, and the turn it holds."""

    def __init__(
        self,
        ctx: RequestContext,
        resources: AsyncExitStack,
        connection: asyncpg.Connection,
        transaction: asyncpg.transaction.Transaction,
        rest: AsyncGenerator[list[str], None],
        first: list[str] | None,
    ) -> None:
        self._ctx = ctx
        self._resources = resources
        self._connection = connection
        self._transaction = transaction
        self._rest = rest
        self._first = first
        self._closed = False

    async def chunks(self) -> AsyncIterator[list[str]]:
        """Every chunk, the first one (read at opening) first; at the end, the transaction
        commits and everything is given back."""
        deadline = self._ctx.services.deadlines.watch
        try:
            chunk = self._first
            while chunk is not None:
                yield chunk
                # Each round trip is bounded, but not the time the writer takes in between.
                with deadline():
                    chunk = await anext(self._rest, None)
            with deadline():
                await self._transaction.commit()
        except TimeoutError:
            # The database stopped answering: a rollback would wait as long.
            self._connection.terminate()
            raise
        finally:
            await self.close()

    async def close(self) -> None:
        """Roll back what did not finish (a connection that does not answer is closed), give
        the connection and the turn back; once."""
        if self._closed:
            return
        self._closed = True
        connection, transaction = self._connection, self._transaction
        await self._rest.aclose()
        if not connection.is_closed() and connection.is_in_transaction():
            try:
                async with asyncio.timeout(_ROLLBACK_TIMEOUT):
                    await transaction.rollback()
            except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                log.warning("stream connection closed")
                connection.terminate()
        await self._resources.aclose()


async def open_stream(ctx: RequestContext, rows: RowStream) -> None:
    """Open ``rows`` for its writer (``rows.reader``): a turn, a connection, a read-only
    transaction, its first chunk; any refusal is raised here, within the call."""
    services = ctx.services
    # The call is done with the request's connection (a stream is a single call's read):
    # given back first, so that waiting for a turn holds none, and a pool of one suffices.
    await ctx.release()
    resources = AsyncExitStack()
    connection: asyncpg.Connection | None = None
    try:
        await resources.enter_async_context(services.stream_slots.turn(rows.user_id))
        connection = await services.pool.acquire(timeout=services.settings.call_deadline)
        resources.push_async_callback(services.pool.release, connection)
        transaction = connection.transaction(readonly=True)
        await transaction.start()
        if rows.heavy:
            timeout = str(int(services.settings.heavy_timeout * 1000))
            await connection.execute(_SET_TIMEOUT_SQL, timeout)
        rest = rows.chunks(connection)
        first = await anext(rest, None)
    except BaseException as exc:
        if isinstance(exc, TimeoutError | asyncio.CancelledError) and connection is not None:
            # Cut off (by the call's deadline) mid-statement: given back as it is, asyncpg
            # would wait for a server that may never answer.
            connection.terminate()
        await resources.aclose()
        raise
    reader = _Reader(ctx, resources, connection, transaction, rest, first)
    ctx.streams.append(reader)
    rows.reader = reader


async def stream_rows(ctx: RequestContext, rows: RowStream) -> AsyncGenerator[list[str], None]:
    """The stream's entities (JSON texts), a chunk at a time."""
    reader = rows.reader
    assert reader is not None, "a stream is opened within its call"
    try:
        async for chunk in reader.chunks():
            yield chunk
    finally:
        await reader.close()  # at once, should the writer stop early
