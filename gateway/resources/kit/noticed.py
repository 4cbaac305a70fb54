"""What a process keeps in memory on PostgreSQL's word: a few rows read in one statement when
first needed, and kept while the process hears the notices of their channel (gateway.notices),
each notice dropping them, to be read again at the next need. While not listening, every read
goes to the database, so a change made with SQL is seen everywhere within the notice's trip."""

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import asyncpg

__all__ = ["NoticedCache"]

T = TypeVar("T")


class NoticedCache(Generic[T]):
    """``read`` the value: from memory while it is kept exact, else with ``load``. A
    subscriber of the process's notice listener (gateway.notices), on ``channel``."""

    def __init__(self, channel: str, load: Callable[[asyncpg.Connection], Awaitable[T]]) -> None:
        self.channel = channel
        self._load = load
        self._value: T | None = None
        self.listening = False
        self._generation = 0  # moves at every notice: a read that saw it move is not kept

    async def read(self, connection: asyncpg.Connection) -> T:
        if self._value is not None:
            return self._value
        return await self._read(connection)

    async def read_with(self, pool: asyncpg.Pool) -> T:
        """``read``, on a connection of ``pool`` taken only if the database must be asked."""
        if self._value is not None:
            return self._value
        async with pool.acquire() as connection:
            return await self._read(connection)

    async def _read(self, connection: asyncpg.Connection) -> T:
        generation = self._generation
        value = await self._load(connection)
        if self.listening and generation == self._generation:
            self._value = value
        return value

    def heard(self, payload: str) -> None:
        self._generation += 1
        self._value = None

    def set_listening(self, state: bool) -> None:
        self.listening = state
        self.heard("")
