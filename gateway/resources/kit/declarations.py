"""What a resource is: its methods, declared beside their handlers, its faults, and what a
handler runs with.

    CUSTOMER = Resource("customer", "Customer API", "Create, retrieve, update and delete ...")
    CUSTOMER_NOT_EXISTS = CUSTOMER.fault(102, "customer_not_exists", "Customer not exists.")

    @CUSTOMER.method("info", acl="customer/info", title="Retrieve the customer data",
                     params=(CUSTOMER_ID, ATTRIBUTES, STORE), example={"customerId": 1},
                     faults=(CUSTOMER_NOT_EXISTS, STORE_NOT_EXISTS))
    async def info(ctx: CallContext, customer_id: int, attributes=None, store=None): ...

A handler receives a ``CallContext`` and its arguments by keyword (each param's name in
snake_case); ``gateway.resources`` gathers every resource's methods and faults.
"""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import orjson

from gateway.auth.acl import allows
from gateway.auth.passwords import SecretHasher
from gateway.auth.users import Principal
from gateway.faults import Fault, Kind
from gateway.naming import snake_case
from gateway.resources.kit.attributes import Definitions
from gateway.resources.kit.noticed import NoticedCache
from gateway.resources.kit.stores import StoreViews

__all__ = [
    "CallContext",
    "Handler",
    "Param",
    "ReadAhead",
    "Resource",
    "ResourceMethod",
    "Schema",
    "schema_for",
]

Handler = Callable[..., Awaitable[Any]]
# A JSON Schema, or how to make one for a shop's custom attributes' definitions (an entity's).
Schema = dict[str, Any] | Callable[[Definitions], dict[str, Any]]


def schema_for(schema: Schema, definitions: Definitions) -> dict[str, Any]:
    return schema(definitions) if callable(schema) else schema


# Given the arguments of consecutive calls of its method (in a multiCall), reads what they will
# each read in one statement, into ``ctx.ahead``, where each call then finds its share.
ReadAhead = Callable[["CallContext", list[dict[str, Any]]], Awaitable[None]]
_H = TypeVar("_H", bound=Handler)


@dataclass(slots=True)  # not frozen: one is built for every call, and frozen ones cost more
class CallContext:
    """What a handler runs with: the connection (inside the transaction the runner opened, for
    a write), who is calling, the secret hasher, and how long lists may be answered.

    ``heavy()`` gives the connection for a statement that may run long (a regular expression
    over many rows): bounded in time and in how many run at once. It may be another
    connection than before; ``connection`` is that one afterwards."""

    connection: asyncpg.Connection
    principal: Principal
    hasher: SecretHasher
    # A list with no limit is streamed only when its call is the request's only one; inside a
    # batch or a multiCall it is read at its position, up to this many rows.
    may_stream: bool
    max_rows: int
    heavy: Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]
    # Opens a stream the call answers (``RowStream``), before the call ends.
    open_stream: Callable[[Any], Awaitable[None]]
    store_cache: NoticedCache[StoreViews]
    definitions_cache: NoticedCache[Definitions]
    # What the method's read-ahead found for this call and its neighbours (see ReadAhead).
    ahead: dict[Any, Any]
    # Bytes of pre-built JSON in the result, for the request's answer budget.
    answered: int = 0

    def json(self, text: str) -> orjson.Fragment:
        """JSON that PostgreSQL built, passed on as it is."""
        self.answered += len(text)
        return orjson.Fragment(text)

    def json_list(self, texts: list[str]) -> orjson.Fragment:
        """A JSON array of entities that PostgreSQL built."""
        return self.json("[" + ",".join(texts) + "]")

    async def stores(self) -> StoreViews:
        """The websites and store views (from memory, while it is exact)."""
        return await self.store_cache.read(self.connection)

    async def definitions(self) -> Definitions:
        """The custom attributes' definitions (from memory, while it is exact)."""
        return await self.definitions_cache.read(self.connection)

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
    fit (``customer.info`` takes ``[id, "default"]`` as well as ``[id, ["email"]]``).
    """

    name: str
    required: bool = False
    parse: Callable[[Any], Any] = _unchanged
    fits: Callable[[Any], bool] = _anything
    schema: Schema = field(default_factory=dict)
    description: str = ""
    key: str = field(init=False)  # the handler's keyword: the name in snake_case

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", snake_case(self.name))


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceMethod:
    resource: "Resource"
    name: str
    acl: str
    title: str
    handler: Handler
    params: tuple[Param, ...] = ()
    writes: bool
    result_schema: Schema = field(default_factory=dict)
    description: str = ""
    # Arguments a newcomer can start from, by wire name (documentation: OpenRPC, the page).
    example: dict[str, Any] = field(default_factory=dict)
    read_ahead: ReadAhead | None = None
    # The faults it may answer with, its resource's and global ones, besides those every call
    # may (gateway.core.api.CALL_FAULTS): what resourceFaults and OpenRPC list.
    faults: tuple[Fault, ...] = ()
    params_by_key: dict[str, Param] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params_by_key", {p.key: p for p in self.params})

    @property
    def path(self) -> str:
        return f"{self.resource.name}.{self.name}"

    @property
    def alias_paths(self) -> tuple[str, ...]:
        return tuple(f"{alias}.{self.name}" for alias in self.resource.aliases)


class Resource:
    """A resource: its name and titles, and the methods and faults declared on it, in the
    order they were declared."""

    __slots__ = ("aliases", "description", "faults", "methods", "name", "title")

    def __init__(
        self, name: str, title: str, description: str, aliases: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.title = title
        self.description = description
        self.aliases = aliases
        self.faults: list[Fault] = []
        self.methods: list[ResourceMethod] = []

    def fault(self, code: int, name: str, message: str, kind: Kind = Kind.INVALID) -> Fault:
        """Declare one of this resource's faults."""
        declared = Fault(code, name, message, kind, self.name)
        self.faults.append(declared)
        return declared

    def method(
        self,
        name: str,
        *,
        acl: str,
        title: str,
        writes: bool,
        params: tuple[Param, ...] = (),
        result: Schema | None = None,
        description: str = "",
        example: dict[str, Any] | None = None,
        read_ahead: ReadAhead | None = None,
        faults: tuple[Fault, ...] = (),
    ) -> Callable[[_H], _H]:
        """Declare the decorated handler as this resource's method ``name``."""

        def register(handler: _H) -> _H:
            self.methods.append(
                ResourceMethod(
                    resource=self,
                    name=name,
                    acl=acl,
                    title=title,
                    handler=handler,
                    params=params,
                    writes=writes,
                    result_schema=result or {},
                    description=description,
                    example=example or {},
                    read_ahead=read_ahead,
                    faults=faults,
                )
            )
            return handler

        return register
