"""SQL pieces the resources share. Names that go into SQL text here are the code's own
constants (entity keys, model field names), never a client's; values always travel as ``$n``."""

from collections.abc import Iterable

__all__ = ["assignments", "json_object_sql", "placeholders", "utc_text_sql"]


def utc_text_sql(column: str) -> str:
    """A timestamptz column as the ``YYYY-MM-DD HH:MM:SS`` UTC text clients see."""
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"


def json_object_sql(fields: tuple[tuple[str, str], ...]) -> str:
    """SQL building one JSON object (as text) from ``(key, SQL expression)`` pairs, in order."""
    return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in fields) + ")::text"


def placeholders(count: int, first: int = 1) -> str:
    """``$first, $first+1, …`` for ``count`` values."""
    return ", ".join(f"${i}" for i in range(first, first + count))


def assignments(names: Iterable[str], first: int) -> str:
    """``name = $first, …`` for an UPDATE."""
    return ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=first))
