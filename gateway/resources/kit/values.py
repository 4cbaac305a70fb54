"""Results as plain Python values, for a front-end that does not write JSON: a result may hold
JSON that PostgreSQL built (passed on as pre-built JSON text), which this reads back."""

from typing import Any

import orjson

__all__ = ["plain"]


def plain(result: Any) -> Any:
    return orjson.loads(orjson.dumps(result))
