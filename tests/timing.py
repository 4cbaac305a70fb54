"""Bounds for tests that must hold on a busy machine too: never a bare wall-clock figure, but
the gateway's promise or a multiple of what the same thing took, idle, in the same test
(whichever is longer): a machine that is slow for every call is slow for the idle figure too.

    idle = await idle_seconds(lambda: api.call(sid, "customer_group.list"))
    await refused_within(api, sid, allowance(0.1, idle))
"""

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["SLACK", "allowance", "idle_seconds"]

# How many idle round trips a promise may take on a machine under load before it is broken.
SLACK = 50


async def idle_seconds(work: Callable[[], Awaitable[Any]], times: int = 11) -> float:
    """The median time ``work`` takes, run one after another."""
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        await work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def allowance(promise: float, idle: float, slack: float = SLACK) -> float:
    """The longer of the promise and ``slack`` idle round trips."""
    return max(promise, slack * idle)
