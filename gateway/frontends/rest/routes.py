"""REST's routes: Magento 1's ``/api/rest/customers`` and ``/api/rest/customers/{id}``.

Every verb runs a resource method through the core (``customer.list``, ``customer.create``, …)
with the same sessions, permissions and faults as every other front-end. What is the routes'
own is here: Magento's field names and text values, and its query parameters; the wire
(bodies, errors, credentials) is ``wire``'s.
"""

import re
from typing import Any

from aiohttp import web

from gateway.auth.users import Principal
from gateway.core import call
from gateway.core.context import RequestContext
from gateway.frontends.rest.wire import ROUTED_VERBS, Created, RestError, Verb, resource
from gateway.resources.customer_data import customer_schema
from gateway.resources.kit import plain
from gateway.resources.kit.entity import Field

__all__ = ["OPERATIONS", "add_routes"]

COLLECTION = "/api/rest/customers"


async def _shown(ctx: RequestContext) -> tuple[Field, ...]:
    """The fields REST shows, in the order Magento's REST answers them (a shop's custom
    attributes after its own)."""
    definitions = await ctx.services.definitions.read_with(ctx.services.pool)
    fields: tuple[Field, ...] | None = definitions.memo.get("rest")
    if fields is None:
        entity = customer_schema(definitions).entity
        fields = definitions.memo["rest"] = entity.ranked(lambda f: f.rest)
    return fields


_FILTER_OPERATORS = frozenset({"eq", "neq", "in", "nin", "gt", "lt", "from", "to", "like"})
_FILTER_KEY = re.compile(r"filter\[(\w+)\]\[(\w+)\](?:\[\w*\])?")
_MAX_LIMIT = 100
_DEFAULT_LIMIT = 10

# --- the verbs --------------------------------------------------------------------------------


# ASCII digits only (str.isdecimal also takes other scripts' digits), and few enough of them.
_DIGITS = re.compile(r"[0-9]{1,10}")
_HIGHEST_PAGE = 10_000_000


def _whole(request: web.Request, name: str, default: int, highest: int) -> int:
    text = request.query.get(name, str(default)).strip()
    if not _DIGITS.fullmatch(text) or int(text) < 1:
        raise RestError(400, f"'{name}' must be a whole number of at least 1.")
    if int(text) > highest:
        if name == "limit":
            raise RestError(400, "The paging limit exceeds the allowed number.")
        raise RestError(400, f"'{name}' may be at most {highest}.")
    return int(text)


def _filters(request: web.Request) -> dict[str, dict[str, Any]]:
    """``filter[N][attribute]=field`` with ``filter[N][op]=value`` (``in`` may repeat)."""
    groups: dict[str, dict[str, Any]] = {}
    for key, value in request.query.items():
        match = _FILTER_KEY.fullmatch(key)
        if match is None:
            if key.startswith("filter"):
                raise RestError(400, f"Invalid filter parameter '{key}'.")
            continue
        group = groups.setdefault(match.group(1), {})
        name = match.group(2)
        if name in ("in", "nin") and key.endswith("]") and key.count("[") == 3:
            group.setdefault(name, []).append(value)
        else:
            group[name] = value
    filters: dict[str, dict[str, Any]] = {}
    for group in groups.values():
        attribute = group.pop("attribute", None)
        if not attribute or not group or not group.keys() <= _FILTER_OPERATORS:
            raise RestError(400, "Each filter needs an attribute and a known operator.")
        filters.setdefault(attribute, {}).update(group)
    return filters


async def _list(
    request: web.Request, ctx: RequestContext, principal: Principal, _: str | None, __: Any
) -> Any:
    limit = _whole(request, "limit", _DEFAULT_LIMIT, _MAX_LIMIT)
    page = _whole(request, "page", 1, _HIGHEST_PAGE)
    options: dict[str, Any] = {"limit": limit, "offset": (page - 1) * limit}
    for name in ("order", "dir"):
        if name in request.query:
            options[name] = request.query[name]
    args = {"filters": _filters(request), "options": options}
    customers = plain(await call.call(ctx, principal, "customer.list", args))
    shown = await _shown(ctx)
    return [_entity(customer, shown) for customer in customers]


def _path_id(customer_id: str | None) -> int:
    if customer_id is None or not _DIGITS.fullmatch(customer_id):
        raise RestError(404, "Resource not found.")
    return int(customer_id)


async def _get(
    request: web.Request, ctx: RequestContext, principal: Principal, customer_id: str | None, _: Any
) -> Any:
    args = {"customerId": _path_id(customer_id)}
    return _entity(plain(await call.call(ctx, principal, "customer.info", args)), await _shown(ctx))


async def _create(
    request: web.Request, ctx: RequestContext, principal: Principal, _: str | None, data: Any
) -> Any:
    customer_id = await call.call(ctx, principal, "customer.create", {"customerData": data})
    return Created(f"{COLLECTION}/{customer_id}")


async def _update(
    request: web.Request,
    ctx: RequestContext,
    principal: Principal,
    customer_id: str | None,
    data: Any,
) -> Any:
    target = _path_id(customer_id)
    fixed = [name for name in ("website_id", "created_in") if name in data]
    if fixed:
        raise RestError(400, f"{', '.join(fixed)}: not allowed for updating.")
    args = {"customerId": target, "customerData": data}
    await call.call(ctx, principal, "customer.update", args)
    return None


async def _delete(
    request: web.Request, ctx: RequestContext, principal: Principal, customer_id: str | None, _: Any
) -> Any:
    await call.call(ctx, principal, "customer.delete", {"customerId": _path_id(customer_id)})
    return None


def _entity(customer: dict[str, Any], shown: tuple[Field, ...]) -> dict[str, str | None]:
    """The JSON-RPC entity as Magento's REST shows it: under REST's names (entity_id), every
    value as text, a date at midnight."""
    entity = {}
    for field in shown:
        value = customer.get(field.name)
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif value is not None:
            value = str(value)
        if field.kind == "date" and value is not None:
            value += " 00:00:00"
        entity[field.rest_name or field.name] = value
    return entity


_LIST = Verb("rest.list", _list)
_CREATE = Verb("rest.create", _create)
_INFO = Verb("rest.info", _get)
_UPDATE = Verb("rest.update", _update)
_DELETE = Verb("rest.delete", _delete)
# Each verb's operation, by its name in the log and metrics.
OPERATIONS = frozenset(v.operation for v in (_LIST, _CREATE, _INFO, _UPDATE, _DELETE))


def add_routes(app: web.Application) -> None:
    collection = resource({"GET": _LIST, "POST": _CREATE})
    item = resource({"GET": _INFO, "PUT": _UPDATE, "DELETE": _DELETE}, id_name="customer_id")
    for verb in ROUTED_VERBS:
        app.router.add_route(verb, COLLECTION, collection)
        app.router.add_route(verb, COLLECTION + "/{customer_id}", item)
