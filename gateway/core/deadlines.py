"""Deadlines: should the database stop answering, a call ends with ``TimeoutError`` (a retryable
internal fault) instead of hanging.

One watchdog per application looks over the calls in flight ``CHECKS_PER_ALLOWANCE`` times per
allowance and cancels those past their deadline, so that starting and ending a watch is a dict
write rather than a timer per call (docs/performance.md). A call is thus cancelled up to a
``CHECKS_PER_ALLOWANCE``-th of its allowance late.
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
        """``with deadlines.watch():`` bounds the block (in a task) by the allowance."""
        return Watch(self)

    def _check_later(self, loop: asyncio.AbstractEventLoop) -> None:
        self._next_check = loop.call_later(
            self.allowance / CHECKS_PER_ALLOWANCE, self._cancel_overdue
        )

    def _cancel_overdue(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for task, due in list(self._due.items()):
            if due <= now and task not in self._overdue:
                self._overdue.add(task)
                task.cancel()
        if self._due:
            self._check_later(loop)
        else:
            self._next_check = None


class Watch:
    """One block under its deadline; a task runs at most one at a time. (A plain context
    manager: it awaits nothing, so it costs no coroutines.)"""

    __slots__ = ("_deadlines", "_task")
    _task: _Task

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines

    def __enter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline bounds a task")
        self._task = task
        deadlines = self._deadlines
        loop = asyncio.get_running_loop()
        deadlines._due[task] = loop.time() + deadlines.allowance
        if deadlines._next_check is None:
            deadlines._check_later(loop)

    def __exit__(self, exc_type: type[BaseException] | None, exc: Any, _: Any) -> None:
        task, deadlines = self._task, self._deadlines
        del deadlines._due[task]
        if task in deadlines._overdue:
            # Cancelled for running late: that cancellation is withdrawn here (as asyncio.timeout
            # does) and the block ends with TimeoutError instead.
            deadlines._overdue.discard(task)
            if task.uncancel() == 0 and exc_type is asyncio.CancelledError:
                raise TimeoutError from exc
