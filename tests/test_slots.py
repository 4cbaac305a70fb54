"""Turns for costly work: a total per process, a share per user, a bounded wait, in order."""

import asyncio

import pytest

from gateway.core.slots import Slots
from gateway.faults import FaultError


async def hold(slots: Slots, user: int, release: asyncio.Event, log: list[int]) -> None:
    async with slots.turn(user):
        log.append(user)
        await release.wait()


async def test_one_user_holds_at_most_its_share_and_others_go_first() -> None:
    slots = Slots(total=3, per_user=2, wait=5)
    release, log = asyncio.Event(), []
    tasks = [asyncio.create_task(hold(slots, user, release, log)) for user in (1, 1, 1, 2)]
    await asyncio.sleep(0.01)
    assert log == [1, 1, 2]  # the third of user 1 waits; user 2, after it, does not
    release.set()
    await asyncio.gather(*tasks)
    assert log == [1, 1, 2, 1]


async def test_a_turn_that_does_not_come_in_time_is_busy_and_retryable() -> None:
    slots = Slots(total=2, per_user=1, wait=0.05)
    release, log = asyncio.Event(), []
    holders = [asyncio.create_task(hold(slots, user, release, log)) for user in (1, 4)]
    await asyncio.sleep(0.01)
    with pytest.raises(FaultError) as refused:
        async with slots.turn(2):
            pass
    assert refused.value.fault.name == "busy" and refused.value.extra["retryable"] is True
    with pytest.raises(FaultError):
        async with slots.turn(3, wait=False):  # one that may not wait is refused at once
            pass
    release.set()
    await asyncio.gather(*holders)
    async with slots.turn(2), slots.turn(3, wait=False):  # the refused left nothing behind
        assert log == [1, 4]


async def test_a_cancelled_wait_gives_nothing_away() -> None:
    slots = Slots(total=1, per_user=1, wait=5)
    release, log = asyncio.Event(), []
    holder = asyncio.create_task(hold(slots, 1, release, log))
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(hold(slots, 2, asyncio.Event(), log))
    await asyncio.sleep(0.01)
    waiter.cancel()
    release.set()
    await holder
    with pytest.raises(asyncio.CancelledError):
        await waiter
    async with slots.turn(3, wait=False):
        assert log == [1]
