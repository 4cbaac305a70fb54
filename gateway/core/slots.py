"""Turns for costly work (heavy statements, streamed lists): at most ``total`` at once per
process, at most ``per_user`` of them for one API user, so that one user cannot take every
turn; and a bounded wait for one, past which the call is answered ``busy`` (retryable)
instead of waiting on. Waiting turns are given out in order, skipping a user at its share."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.faults import BUSY

__all__ = ["Slots"]


class Slots:
    def __init__(self, total: int, per_user: int, wait: float) -> None:
        self.total = total
        self.per_user = per_user
        self.wait = wait
        self._in_use = 0
        self._by_user: dict[int, int] = {}
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []

    def _free_for(self, user_id: int) -> bool:
        return self._in_use < self.total and self._by_user.get(user_id, 0) < self.per_user

    def _take(self, user_id: int) -> None:
        self._in_use += 1
        self._by_user[user_id] = self._by_user.get(user_id, 0) + 1

    def _give_back(self, user_id: int) -> None:
        self._in_use -= 1
        left = self._by_user[user_id] - 1
        if left:
            self._by_user[user_id] = left
        else:
            del self._by_user[user_id]
        for entry in list(self._waiting):
            waiting_user, granted = entry
            if granted.done():
                self._waiting.remove(entry)
            elif self._free_for(waiting_user):
                self._waiting.remove(entry)
                self._take(waiting_user)
                granted.set_result(None)

    @asynccontextmanager
    async def turn(self, user_id: int, *, wait: bool = True) -> AsyncIterator[None]:
        """Hold a turn for the block; ``busy`` when none came within ``wait`` seconds, or at
        once when the caller may not wait (it holds what others need)."""
        ahead = any(not f.done() and self._free_for(u) for u, f in self._waiting)
        if self._free_for(user_id) and not ahead:
            self._take(user_id)
        elif not wait:
            raise BUSY(retry_after=1)
        else:
            granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append((user_id, granted))
            try:
                async with asyncio.timeout(self.wait):
                    await asyncio.shield(granted)
            except TimeoutError:
                if not granted.done():
                    granted.cancel()
                    raise BUSY(retry_after=1) from None
                # granted just as the wait ended: taken
            except BaseException:
                if granted.done() and not granted.cancelled():
                    self._give_back(user_id)
                else:
                    granted.cancel()
                raise
        try:
            yield
        finally:
            self._give_back(user_id)
