"""Reading a streamed list (a ``RowStream``) for the front-end that writes it.

A stream is read after the request's calls are done, on a connection of its own, in a
read-only transaction: at most ``stream_slots`` at once per process, so that streams never hold
the whole pool; each FETCH under the call deadline, so that a database that stops answering
cannot hold the writer; a regular expression's shorter timeout when its filters carry one. The
writer bounds the other side: how long a client may take to take each chunk.
"""

import asyncio
import logging
from collections.abc import AsyncGenerator

import asyncpg

from gateway.core.context import RequestContext
from gateway.resources.kit import RowStream

__all__ = ["stream_rows"]

log = logging.getLogger(__name__)

_SET_TIMEOUT_SQL = "SELECT set_config('statement_timeout', $1, true)"
# Ending a transaction a writer abandoned: a server that answers does so at once.
_ROLLBACK_TIMEOUT = 2.0


async def stream_rows(ctx: RequestContext, rows: RowStream) -> AsyncGenerator[list[str], None]:
    """The stream's entities (JSON texts), a chunk at a time."""
    services = ctx.services
    await ctx.release()  # the request's calls are done; the stream reads on its own connection
    async with services.stream_slots:
        connection = await services.pool.acquire(timeout=services.settings.call_deadline)
        transaction = connection.transaction(readonly=True)
        finished = False
        deadline = services.deadlines.watch
        try:
            with deadline():
                await transaction.start()
                if rows.heavy:
                    timeout = str(int(services.settings.regexp_timeout * 1000))
                    await connection.execute(_SET_TIMEOUT_SQL, timeout)
            chunks = rows.chunks(connection)
            while True:
                # Each round trip is bounded, but not the time the writer takes in between.
                with deadline():
                    chunk = await anext(chunks, None)
                if chunk is None:
                    break
                yield chunk
            with deadline():
                await transaction.commit()
            finished = True
        except TimeoutError:
            # The database stopped answering: a rollback would wait as long.
            connection.terminate()
            raise
        finally:
            if not finished:
                await _abandon(transaction, connection)
            await services.pool.release(connection)


async def _abandon(
    transaction: asyncpg.transaction.Transaction, connection: asyncpg.Connection
) -> None:
    """Roll back a stream that did not finish; a connection that does not answer is closed."""
    if connection.is_closed():
        return
    try:
        async with asyncio.timeout(_ROLLBACK_TIMEOUT):
            await transaction.rollback()
    except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        log.warning("stream connection closed")
        connection.terminate()
