"""What a resource method is, what it runs with, and how a call's ``args`` bind to it.

A resource module declares its methods as ``ResourceMethod`` values; ``gateway.resources``
gathers them into the method table. Handlers receive a ``CallContext`` (the connection, inside
the transaction the dispatcher opened, and who is calling) and their arguments by name.
"""

import functools
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from gateway.auth.acl import allows
from gateway.auth.passwords import SecretHasher
from gateway.auth.users import Principal
from gateway.faults import GLOBAL, FaultError
from gateway.naming import snake_case

__all__ = [
    "NO_SUCH_ID",
    "CallContext",
    "Param",
    "Resource",
    "ResourceMethod",
    "assignments",
    "bind_args",
    "id_param",
    "json_object_sql",
    "parse_id",
    "placeholders",
    "utc_text_sql",
]


@dataclass(slots=True)  # not frozen: built for every call, and frozen init costs three times more
class CallContext:
    connection: asyncpg.Connection
    principal: Principal
    hasher: SecretHasher

    def may(self, acl_path: str) -> bool:
        return allows(self.principal.resources, acl_path)


def _anything(_: object) -> bool:
    return True


def _unchanged(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Param:
    """One argument: its wire name, whether it is required, how its value is read.

    ``fits`` lets positional binding skip an optional argument whose slot the value does not
    fit (seed 004 sends ``customer.info`` a store where seed 002 sends attributes).
    """

    name: str
    required: bool = False
    parse: Callable[[Any], Any] = _unchanged
    fits: Callable[[Any], bool] = _anything
    schema: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    key: str = field(init=False)  # the handler's keyword: the name in snake_case

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", snake_case(self.name))


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    title: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceMethod:
    resource: Resource
    name: str
    acl: str
    title: str
    handler: Callable[..., Awaitable[Any]]
    params: tuple[Param, ...] = ()
    writes: bool
    result_schema: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    params_by_key: dict[str, Param] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params_by_key", {p.key: p for p in self.params})

    @property
    def path(self) -> str:
        return f"{self.resource.name}.{self.name}"


def _bad_param(message: str) -> FaultError:
    return FaultError(GLOBAL, "invalid_request_param", message)


def bind_args(method: ResourceMethod, args: Any) -> dict[str, Any]:
    """The handler's keyword arguments for ``args`` given as a list, an object or a scalar."""
    bound: dict[str, Any] = {}  # by keyword: first as given, then as parsed
    if isinstance(args, dict):
        for key, value in args.items():
            param = method.params_by_key.get(snake_case(key)) if isinstance(key, str) else None
            if param is None:
                raise _bad_param(f"Unknown argument '{key}' for {method.path}.")
            bound[param.key] = value
    elif args is not None:
        slots = iter(method.params)
        for value in args if isinstance(args, list) else (args,):
            for param in slots:
                if param.required or param.fits(value):
                    bound[param.key] = value
                    break
            else:
                raise _bad_param(f"Too many arguments for {method.path}.")
    for param in method.params:
        if param.key in bound:
            bound[param.key] = param.parse(bound[param.key])
        elif param.required:
            raise _bad_param(f"Required parameter '{param.name}' is missing.")
    return bound


# No row has this id (identities start at 1): what a well-formed id outside int4 becomes.
NO_SUCH_ID = 0
_INT4_MAX = 2**31 - 1


def parse_id(value: Any, name: str = "id") -> int:
    """An id given as a JSON number or a numeric string; out of range, ``NO_SUCH_ID``."""
    number: int | None = None
    if type(value) is int:  # the usual case first (bool is a subclass of int: not an id)
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,40}\s*", value)
    ):
        number = int(value)
    if number is None:
        raise _bad_param(f"'{name}' must be a whole number.")
    return number if 0 < number <= _INT4_MAX else NO_SUCH_ID


def id_param(name: str) -> Param:
    """A required id argument, as a number or a numeric string."""
    return Param(
        name,
        required=True,
        parse=functools.partial(parse_id, name=name),
        schema={"type": ["integer", "string"]},
    )


def utc_text_sql(column: str) -> str:
    """A timestamptz column as the ``YYYY-MM-DD HH:MM:SS`` UTC text clients see."""
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"


def json_object_sql(fields: tuple[tuple[str, str], ...]) -> str:
    """SQL building one JSON object (as text) from ``(key, SQL expression)`` pairs, in order.

    Keys are the code's own constants, never client text."""
    return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in fields) + ")::text"


def placeholders(count: int, first: int = 1) -> str:
    """``$first, $first+1, …`` for ``count`` values."""
    return ", ".join(f"${i}" for i in range(first, first + count))


def assignments(names: Iterable[str], first: int) -> str:
    """``name = $first, …`` for an UPDATE. Names are model field names, never client text."""
    return ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=first))
