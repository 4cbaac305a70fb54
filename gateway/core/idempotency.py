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

Reads never claim a key, nor does a request none of whose writes its user may run. What one
API user keeps is bounded: ``GATEWAY_IDEMPOTENCY_MAX_KEYS`` live keys and
``GATEWAY_IDEMPOTENCY_MAX_BYTES`` of answers (a claim past either is ``limit_exceeded``), as
``Upkeep`` tallies them: once a minute from the table, plus what this process kept since (so
across processes the bound holds to within a minute's claims). An answer over
``GATEWAY_IDEMPOTENCY_MAX_ANSWER`` is not kept: its request is rolled back whole and answered
``limit_exceeded``, so that nothing ran that could not be replayed. Expired keys are deleted
by the next claims (``Upkeep`` too): no cron job is needed.
"""

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass, field

import asyncpg
import orjson
from asyncpg.transaction import Transaction

from gateway.faults import (
    IDEMPOTENCY_KEY_REUSED,
    INVALID_REQUEST_PARAM,
    LIMIT_EXCEEDED,
    REQUEST_IN_PROGRESS,
)
from gateway.settings import Settings

__all__ = [
    "KeyedRequest",
    "Replay",
    "StoredAnswer",
    "Upkeep",
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


class Replay(BaseException):
    """The request was answered before, under its key: this answer is sent again, and
    nothing runs. Not an error (a BaseException, as CancelledError is): it unwinds every
    layer untouched, up to the endpoint pipeline that sends the answer
    (``gateway.http.pipeline``)."""

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
# What each user keeps: live keys, and the bytes of their answers.
_KEPT_SQL = """
SELECT user_id, count(*) AS keys, coalesce(sum(octet_length(answer)), 0) AS bytes
FROM api_idempotency WHERE expires_at > now() GROUP BY user_id
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


async def claim(
    keyed: KeyedRequest,
    connection: asyncpg.Connection,
    user_id: int,
    settings: Settings,
    upkeep: "Upkeep",
) -> None:
    """Take the request's key for ``user_id`` before its first write, opening the
    transaction (on ``connection``) that will hold the writes and the answer; or raise
    ``Replay``, or a fault."""
    if keyed.claimed:
        return
    if not _KEY.fullmatch(keyed.key):
        raise INVALID_REQUEST_PARAM(
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters."
        )
    upkeep.maybe_run()
    keys, kept_bytes = upkeep.kept_by(user_id)
    for held, most, name in (
        (keys, settings.idempotency_max_keys, "GATEWAY_IDEMPOTENCY_MAX_KEYS"),
        (kept_bytes, settings.idempotency_max_bytes, "GATEWAY_IDEMPOTENCY_MAX_BYTES"),
    ):
        if held >= most:
            raise LIMIT_EXCEEDED(
                f"This API user keeps {held} of at most {most} ({name}) in answers to keyed"
                " requests; send writes without a key, or wait for keys to expire.",
                limit=name,
                value=most,
            )
    transaction = connection.transaction()
    await transaction.start()
    try:
        # Waiting on a first request that runs on: no longer than a statement may run.
        await connection.execute(_LOCK_TIMEOUT_SQL, f"{int(settings.db_command_timeout * 1000)}")
        for _ in range(2):  # a second time after an expired key is forgotten
            args = (user_id, keyed.key)
            if await connection.fetchval(_CLAIM_SQL, *args, keyed.digest, settings.idempotency_ttl):
                await connection.execute(_LOCK_TIMEOUT_SQL, "0")
                keyed.transaction, keyed.user_id = transaction, user_id
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
        raise REQUEST_IN_PROGRESS(retry_after=1)
    except asyncpg.LockNotAvailableError:
        await transaction.rollback()
        raise REQUEST_IN_PROGRESS(retry_after=1) from None
    except BaseException:
        if not connection.is_closed():
            await transaction.rollback()
        raise


async def keep(
    keyed: KeyedRequest,
    connection: asyncpg.Connection,
    answer: StoredAnswer,
    settings: Settings,
    upkeep: "Upkeep",
) -> None:
    """Store the answer of a request that claimed its key (on its ``connection``), and
    commit it with the writes."""
    if keyed.transaction is None:
        return
    transaction, keyed.transaction = keyed.transaction, None
    most = settings.idempotency_max_answer
    if len(answer.body) > most:
        await transaction.rollback()
        raise LIMIT_EXCEEDED(
            f"The answer to this keyed request would exceed {most} bytes"
            " (GATEWAY_IDEMPOTENCY_MAX_ANSWER): nothing was done. Send the reads apart from"
            " the writes, or page them.",
            limit="GATEWAY_IDEMPOTENCY_MAX_ANSWER",
            value=most,
        )
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
    upkeep.add(keyed.user_id, len(answer.body))


class Upkeep:
    """On the side of claims, at most once per ``interval`` seconds per process and in a task
    of its own: deletes expired keys, and tallies what each API user keeps (``kept_by``), to
    which this process adds what it keeps meanwhile."""

    def __init__(self, pool: asyncpg.Pool, interval: float = 60.0) -> None:
        self.pool = pool
        self.interval = interval
        self._last = 0.0
        self._running: asyncio.Task[None] | None = None
        self._kept: dict[int, tuple[int, int]] = {}

    def kept_by(self, user_id: int) -> tuple[int, int]:
        """The user's live keys and the bytes of their answers, as last tallied."""
        return self._kept.get(user_id, (0, 0))

    def add(self, user_id: int, answer_bytes: int) -> None:
        keys, kept_bytes = self.kept_by(user_id)
        self._kept[user_id] = (keys + 1, kept_bytes + answer_bytes)

    def maybe_run(self) -> None:
        now = time.monotonic()
        if now - self._last < self.interval or self._running is not None:
            return
        self._last = now
        self._running = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            await self.pool.execute(_SWEEP_SQL)
            rows = await self.pool.fetch(_KEPT_SQL)
            self._kept = {row["user_id"]: (row["keys"], row["bytes"]) for row in rows}
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the next claim's upkeep will try again
        finally:
            self._running = None
