"""Name conventions shared by the envelope and the resources: wire names arrive in camelCase
(``sessionId``) or snake_case (``session_id``), and Python works in snake_case."""

import functools
import re

__all__ = ["snake_case"]

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


@functools.lru_cache(maxsize=1024)  # bounded: names come from clients too
def snake_case(name: str) -> str:
    """``customerId`` -> ``customer_id``; snake_case names pass through unchanged."""
    return _CAMEL_HUMP.sub(r"_\1", name).lower()
