"""Arguments that more than one resource takes: ids, and a list's ``filters``, ``store`` and
``options``."""

import functools
import re
from typing import Any

from gateway.faults import INVALID_REQUEST_PARAM
from gateway.resources.kit.declarations import Param

__all__ = ["FILTERS", "ID_OR_CODE", "NO_SUCH_ID", "OPTIONS", "STORE", "id_param", "parse_id"]

# No row has this id (identities start at 1): what a well-formed id outside int4 becomes.
NO_SUCH_ID = 0
_INT4_MAX = 2**31 - 1
_DIGITS = re.compile(r"\s*-?[0-9]{1,40}\s*")


def parse_id(value: Any, name: str = "id") -> int:
    """An id given as a JSON number or a numeric string; out of range, ``NO_SUCH_ID``."""
    number: int | None = None
    if type(value) is int:  # the usual case first (bool is a subclass of int: not an id)
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and _DIGITS.fullmatch(value)
    ):
        number = int(value)
    if number is None:
        raise INVALID_REQUEST_PARAM(f"'{name}' must be a whole number.")
    return number if 0 < number <= _INT4_MAX else NO_SUCH_ID


# A number, or a number or code as text: how Magento's ids and store references arrive.
ID_OR_CODE: dict[str, Any] = {"anyOf": [{"type": "integer"}, {"type": "string"}]}


def id_param(name: str) -> Param:
    """A required id argument, as a number or a numeric string."""
    return Param(
        name,
        required=True,
        parse=functools.partial(parse_id, name=name),
        schema=ID_OR_CODE,
    )


def _is_object(value: Any) -> bool:
    return value is None or isinstance(value, dict | list)


def _is_store_ref(value: Any) -> bool:
    return value is None or (isinstance(value, int | str) and not isinstance(value, bool))


STORE = Param(
    "store",
    fits=_is_store_ref,
    schema=ID_OR_CODE,
    description="A store id or code",
)
FILTERS = Param(
    "filters",
    fits=_is_object,
    schema={"type": "object"},
    description="{field: condition}, or the SOAP v2 filter/complex_filter shape",
)
OPTIONS = Param(
    "options",
    fits=_is_object,
    schema={"type": "object"},
    description="{limit, offset, order, dir}",
)
