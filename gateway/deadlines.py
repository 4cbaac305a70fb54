"""Deadlines: should the database stop answering, a call ends with ``TimeoutError`` (a retryable
internal fault) instead of hanging.

One watchdog per application looks over the calls in flight ``CHECKS_PER_ALLOWANCE`` times per
allowance and cancels those past their deadline, so that starting and ending a watch is a dict
write. A timer per call (``asyncio.timeout``) cost measurably more on the hot path. A call is thus
cancelled up to a ``CHECKS_PER_ALLOWANCE``-th of its allowance late.
"""

import asyncio
from typing import Any

__all__ = ["CHECKS_PER_ALLOWANCE", "Deadlines", "Watch"]

CHECKS_PER_ALLOWANCE = 10

_Task = asyncio.Task[Any]


class Deadlines:
    def __init__(self, allowance: float) -> None:
        self.allowance = allowance
        self._due: dict[_Task, float] = {}
        self._overdue: set[_Task] = set()
        self._next_check: asyncio.TimerHandle | None = None

    def watch(self) -> "Watch":
        """``async with deadlines.watch():`` bounds the block by the allowance."""
        return Watch(self)

    def restart(self) -> None:
        """Give the current task's watch its whole allowance again (each call of a batch)."""
        task = asyncio.current_task()
        if task in self._due:
            self._due[task] = asyncio.get_running_loop().time() + self.allowance

    def _start(self, task: _Task) -> None:
        loop = asyncio.get_running_loop()
        self._due[task] = loop.time() + self.allowance
        if self._next_check is None:
            self._next_check = loop.call_later(
                self.allowance / CHECKS_PER_ALLOWANCE, self._cancel_overdue
            )

    def _end(self, task: _Task) -> bool:
        """Stop watching ``task``; whether it was cancelled for running late (that cancellation
        is withdrawn here, as ``asyncio.timeout`` does)."""
        del self._due[task]
        if task not in self._overdue:
            return False
        self._overdue.discard(task)
        return task.uncancel() == 0

    def _cancel_overdue(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for task, due in list(self._due.items()):
            if due <= now and task not in self._overdue:
                self._overdue.add(task)
                task.cancel()
        self._next_check = (
            loop.call_later(self.allowance / CHECKS_PER_ALLOWANCE, self._cancel_overdue)
            if self._due
            else None
        )


class Watch:
    """One block under its deadline; a task runs at most one at a time."""

    __slots__ = ("_deadlines", "_task")
    _task: _Task

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline bounds a task")
        self._task = task
        self._deadlines._start(task)

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: Any, _: Any) -> None:
        if self._deadlines._end(self._task) and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc
