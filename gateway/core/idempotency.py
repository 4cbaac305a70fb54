"""Idempotency keys: a write request sent again under its ``Idempotency-Key`` is answered as
the first time, without running again.

The key is claimed for the calling API user just before the request's first write: a row
inserted in a transaction that then holds every write of the request and, last, the answer as
it is sent. So the key, the writes and the answer commit together or not at all; a gateway
that dies before the commit leaves nothing, one that dies after it leaves an answer to replay.

The same key again, from the same user:

- with the same request (its digest) and unexpired: ``Replay`` with the stored answer;
- with another request: ``idempotency_key_reused``;
- while the first request is still running: the claim waits on the first one's row, then
  replays its answer (or takes the key, if the first one was rolled back); a wait longer than
  a statement may run answers ``request_in_progress``, which is retryable.

Reads never claim a key. Expired keys are deleted by the next claims (``Sweeper``).
"""

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg
import orjson
from asyncpg.transaction import Transaction

from gateway.auth.users import Principal
from gateway.core.faults import (
    IDEMPOTENCY_KEY_REUSED,
    INVALID_REQUEST_PARAM,
    REQUEST_IN_PROGRESS,
)

if TYPE_CHECKING:
    from gateway.core.context import RequestContext

__all__ = [
    "KeyedRequest",
    "Replay",
    "StoredAnswer",
    "Sweeper",
    "claim",
    "keep",
    "request_digest",
]

# Printable ASCII without spaces, as other APIs take them (a UUID fits, with room to spare).
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def request_digest(*parts: bytes) -> bytes:
    """What identifies a request: the digest of its method, path and body."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer as it was sent: status, content type, the headers that matter, body."""

    status: int
    content_type: str
    headers: dict[str, str]
    body: bytes


class Replay(Exception):
    """The request was answered before, under its key: this answer is sent again, and
    nothing runs."""

    def __init__(self, answer: StoredAnswer) -> None:
        super().__init__("replay")
        self.answer = answer


@dataclass(slots=True)
class KeyedRequest:
    """A request that came with an ``Idempotency-Key``; once it claims the key,
    ``transaction`` holds its writes until ``keep`` stores the answer."""

    key: str
    digest: bytes
    transaction: Transaction | None = None
    user_id: int = field(default=0)

    @property
    def claimed(self) -> bool:
        return self.transaction is not None


_CLAIM_SQL = """
INSERT INTO api_idempotency (user_id, key, digest, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (user_id, key) DO NOTHING
RETURNING true
"""
_EARLIER_SQL = """
SELECT digest, status, content_type, headers::text, answer, expires_at <= now() AS expired
FROM api_idempotency WHERE user_id = $1 AND key = $2
"""
_FORGET_SQL = "DELETE FROM api_idempotency WHERE user_id = $1 AND key = $2"
_KEEP_SQL = """
UPDATE api_idempotency SET status = $3, content_type = $4, headers = $5::text::jsonb, answer = $6
WHERE user_id = $1 AND key = $2
"""
_SWEEP_SQL = """
DELETE FROM api_idempotency WHERE ctid = ANY (ARRAY(
    SELECT ctid FROM api_idempotency WHERE expires_at <= now() LIMIT 10000))
"""
_LOCK_TIMEOUT_SQL = "SELECT set_config('lock_timeout', $1, true)"


async def claim(ctx: "RequestContext", principal: Principal) -> None:
    """Take the request's key for ``principal`` before its first write, opening the
    transaction that will hold the writes and the answer; or raise ``Replay``, or a fault."""
    keyed = ctx.keyed
    if keyed is None or keyed.claimed:
        return
    if not _KEY.fullmatch(keyed.key):
        raise INVALID_REQUEST_PARAM(
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters."
        )
    settings = ctx.services.settings
    ctx.services.sweeper.maybe_sweep(ctx.services.pool)
    connection = await ctx.connection()
    transaction = connection.transaction()
    await transaction.start()
    try:
        # Waiting on a first request that runs on: no longer than a statement may run.
        await connection.execute(_LOCK_TIMEOUT_SQL, f"{int(settings.db_command_timeout * 1000)}")
        for _ in range(2):  # a second time after an expired key is forgotten
            args = (principal.user_id, keyed.key)
            if await connection.fetchval(_CLAIM_SQL, *args, keyed.digest, settings.idempotency_ttl):
                await connection.execute(_LOCK_TIMEOUT_SQL, "0")
                keyed.transaction, keyed.user_id = transaction, principal.user_id
                return
            earlier = await connection.fetchrow(_EARLIER_SQL, *args)
            if earlier is None:
                continue  # the first request was rolled back: the key is free
            if earlier["expired"]:
                await connection.execute(_FORGET_SQL, *args)
                continue
            if earlier["digest"] != keyed.digest:
                raise IDEMPOTENCY_KEY_REUSED()
            headers = orjson.loads(earlier["headers"])
            raise Replay(
                StoredAnswer(earlier["status"], earlier["content_type"], headers, earlier["answer"])
            )
        raise REQUEST_IN_PROGRESS(retryable=True, retry_after=1)
    except asyncpg.LockNotAvailableError:
        await transaction.rollback()
        raise REQUEST_IN_PROGRESS(retryable=True, retry_after=1) from None
    except BaseException:
        if not connection.is_closed():
            await transaction.rollback()
        raise


async def keep(ctx: "RequestContext", answer: StoredAnswer) -> None:
    """Store the answer of a request that claimed its key, and commit it with the writes."""
    keyed = ctx.keyed
    if keyed is None or keyed.transaction is None:
        return
    transaction, keyed.transaction = keyed.transaction, None
    connection = await ctx.connection()
    try:
        await connection.execute(
            _KEEP_SQL,
            keyed.user_id,
            keyed.key,
            answer.status,
            answer.content_type,
            orjson.dumps(answer.headers).decode(),
            answer.body,
        )
        await transaction.commit()
    except BaseException:
        if not connection.is_closed() and connection.is_in_transaction():
            await transaction.rollback()
        raise


class Sweeper:
    """Deletes expired keys now and then, on the side of a claim: no cron job needed. Each
    process sweeps at most once per ``interval`` seconds, in a task of its own."""

    def __init__(self, interval: float = 60.0) -> None:
        self.interval = interval
        self._last = 0.0
        self._running: asyncio.Task[None] | None = None

    def maybe_sweep(self, pool: asyncpg.Pool) -> None:
        now = time.monotonic()
        if now - self._last < self.interval or self._running is not None:
            return
        self._last = now
        self._running = asyncio.create_task(self._sweep(pool))

    async def _sweep(self, pool: asyncpg.Pool) -> None:
        try:
            await pool.execute(_SWEEP_SQL)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the next claim's sweep will try again
        finally:
            self._running = None
