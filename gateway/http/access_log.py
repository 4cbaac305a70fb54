"""The request log: one JSON line per HTTP request, with its request id, endpoint, status,
methods, API paths, fault names and duration — never params, so never a key, a password or a
session id.

It is written apart from ``logging`` (docs/performance.md says why): a request leaves only a
tuple, and every ``interval`` seconds the event loop turns the tuples gathered into lines and
writes them together. A process killed outright loses at most that much of its log.
"""

import asyncio
import datetime as dt
import time
from typing import Any, BinaryIO

import orjson

__all__ = ["AccessLog"]

# (wall-clock time, request id, HTTP method, path, status, calls, seconds)
_Entry = tuple[float, str, str, str, int, list[dict[str, Any]], float]


def _line(entry: _Entry) -> bytes:
    at, request_id, http_method, path, status, calls, seconds = entry
    line = {
        "time": dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="milliseconds"),
        "level": "info",
        "logger": "gateway.access",
        "message": "request",
        "request_id": request_id,
        "http_method": http_method,
        "path": path,
        "status": status,
        "calls": calls,
        "duration_ms": round(seconds * 1000, 3),
    }
    return orjson.dumps(line, default=str) + b"\n"


class AccessLog:
    def __init__(self, stream: BinaryIO, *, enabled: bool = True, interval: float = 0.05) -> None:
        self._stream = stream
        self.enabled = enabled
        self._interval = interval
        self._entries: list[_Entry] = []
        self._pending: asyncio.TimerHandle | None = None

    def record(
        self,
        request_id: str,
        http_method: str,
        path: str,
        status: int,
        calls: list[dict[str, Any]],
        seconds: float,
    ) -> None:
        if not self.enabled:
            return
        self._entries.append((time.time(), request_id, http_method, path, status, calls, seconds))
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(self._interval, self.flush)

    def flush(self) -> None:
        self._pending = None
        if self._entries:
            entries, self._entries = self._entries, []
            self._stream.write(b"".join(map(_line, entries)))
            self._stream.flush()
