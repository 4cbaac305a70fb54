"""The REST front-end: Magento 1's ``/api/rest/customers`` in JSON or XML.

Every verb runs a resource method through the core (``customer.list``, ``customer.create``, …)
with the same sessions, permissions and faults as every other front-end; faults become HTTP
statuses in ``gateway.frontends.rendering``. What is REST's own is here: Magento's field names
and text values, its query parameters, XML in and out, and its error shape.
"""

import re
from collections.abc import Awaitable, Callable
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import orjson
from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gateway.auth.users import Principal
from gateway.core import authentication, runner
from gateway.core.context import RequestContext
from gateway.core.idempotency import Replay
from gateway.faults import FaultError, Kind
from gateway.frontends.rendering import rest_fault
from gateway.http.bodies import BodyRefused, read_body
from gateway.http.exchange import exchange, replayed
from gateway.resources.kit import plain

__all__ = ["OPERATIONS", "add_routes"]

COLLECTION = "/api/rest/customers"

# The fields REST shows, in the order Magento's REST answers them, from the customer entity.
_FIELDS = (
    "entity_id",
    "website_id",
    "email",
    "group_id",
    "created_at",
    "disable_auto_group_change",
    "created_in",
    "firstname",
    "middlename",
    "lastname",
    "prefix",
    "suffix",
    "taxvat",
    "dob",
    "gender",
)
_FILTER_OPERATORS = frozenset({"eq", "neq", "in", "nin", "gt", "lt", "from", "to", "like"})
_FILTER_KEY = re.compile(r"filter\[(\w+)\]\[(\w+)\](?:\[\w*\])?")
_MAX_LIMIT = 100
_DEFAULT_LIMIT = 10

# What a verb gets: the request, its context, the caller, the path's id, the body read.
Verb = Callable[
    [web.Request, RequestContext, Principal, str | None, dict[str, Any] | None], Awaitable[Any]
]


class RestError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# Every verb a client may try is routed here, so that the ones not allowed get a REST 405
# rather than aiohttp's plain one (and CORS can be set per route).
_ROUTED_VERBS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def add_routes(app: web.Application) -> None:
    for verb in _ROUTED_VERBS:
        app.router.add_route(verb, COLLECTION, collection)
        app.router.add_route(verb, COLLECTION + "/{customer_id}", item)


async def collection(request: web.Request) -> web.Response:
    return await _serve(request, {"GET": _list, "POST": _create}, None)


async def item(request: web.Request) -> web.Response:
    verbs: dict[str, Verb] = {"GET": _get, "PUT": _update, "DELETE": _delete}
    return await _serve(request, verbs, request.match_info["customer_id"])


# Each verb is one operation of the request, by these names in the log and metrics.
OPERATIONS = {
    ("GET", False): "rest.list",
    ("POST", False): "rest.create",
    ("GET", True): "rest.info",
    ("PUT", True): "rest.update",
    ("DELETE", True): "rest.delete",
}


# --- the exchange -----------------------------------------------------------------------------


def _wants_json(request: web.Request) -> bool:
    """JSON for clients that ask for it; XML otherwise, Magento's default."""
    return "json" in request.headers.get("Accept", "").lower()


async def _serve(
    request: web.Request, verbs: dict[str, Verb], customer_id: str | None
) -> web.Response:
    as_json = _wants_json(request)
    async with exchange(request, "rest") as current:
        ctx = current.context
        try:
            verb = verbs.get(request.method)
            if verb is None:
                raise RestError(405, "Resource method not implemented yet.")
            # The whole body first: nothing is looked up for a request still arriving.
            raw = await _raw_body(request) if request.method in ("POST", "PUT") else b""
            current.expect_key(raw)
            body = _parse_body(request, raw) if request.method in ("POST", "PUT") else None
            operation = OPERATIONS[request.method, customer_id is not None]
            with ctx.operation(operation, passing=(RestError,)):
                principal = await _authenticate(ctx, request)
                answer = await verb(request, ctx, principal, customer_id, body)
            if isinstance(answer, _Created):
                response = web.Response(status=200, headers={"Location": answer.location})
            elif answer is None:
                response = web.Response(status=200)
            else:
                response = _render(answer, as_json)
        except RestError as error:
            response = _error(error.status, error.message, error.headers, as_json=as_json)
            if error.status in (408, 413):
                response.force_close()  # the rest of the body may still be on its way
        except FaultError as error:
            response = _error(*rest_fault(error), as_json=as_json)
        except Replay as replay:
            return replayed(replay)
        return await current.keep(response, lambda e: _error(*rest_fault(e), as_json=as_json))


async def _authenticate(ctx: RequestContext, request: web.Request) -> Principal:
    """A session from ``login`` as a Bearer token, or an API user by HTTP Basic. Failing, 401
    with the fault's message (and ``Retry-After`` for a locked-out login)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() == "bearer":
            return await authentication.principal_for(ctx, token.strip())
        if scheme.lower() == "basic":
            return await authentication.principal_for(ctx, None)
    except FaultError as error:
        if error.fault.kind is Kind.INTERNAL or error.retryable:
            raise  # not a refusal of the credentials
        _, message, headers = rest_fault(error)
        raise RestError(401, message, headers) from None
    raise RestError(401, "Authorization required.")


# --- the verbs --------------------------------------------------------------------------------


class _Created:
    def __init__(self, customer_id: int) -> None:
        self.location = f"{COLLECTION}/{customer_id}"


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
    customers = plain(await runner.call(ctx, principal, "customer.list", args))
    return [_entity(customer) for customer in customers]


def _path_id(customer_id: str | None) -> int:
    if customer_id is None or not _DIGITS.fullmatch(customer_id):
        raise RestError(404, "Resource not found.")
    return int(customer_id)


async def _get(
    request: web.Request, ctx: RequestContext, principal: Principal, customer_id: str | None, _: Any
) -> Any:
    args = {"customerId": _path_id(customer_id)}
    return _entity(plain(await runner.call(ctx, principal, "customer.info", args)))


async def _create(
    request: web.Request, ctx: RequestContext, principal: Principal, _: str | None, data: Any
) -> Any:
    customer_id = await runner.call(ctx, principal, "customer.create", {"customerData": data})
    return _Created(customer_id)


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
    await runner.call(ctx, principal, "customer.update", args)
    return None


async def _delete(
    request: web.Request, ctx: RequestContext, principal: Principal, customer_id: str | None, _: Any
) -> Any:
    await runner.call(ctx, principal, "customer.delete", {"customerId": _path_id(customer_id)})
    return None


# --- bodies in and out ------------------------------------------------------------------------


def _entity(customer: dict[str, Any]) -> dict[str, str | None]:
    """The JSON-RPC entity as Magento's REST shows it: entity_id, and every value as text."""
    entity = {}
    for name in _FIELDS:
        value = customer["customer_id"] if name == "entity_id" else customer.get(name)
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif value is not None:
            value = str(value)
        if name == "dob" and value is not None:
            value += " 00:00:00"
        entity[name] = value
    return entity


async def _raw_body(request: web.Request) -> bytes:
    try:
        return await read_body(request)
    except BodyRefused as refused:
        raise RestError(refused.status, refused.message + ".") from None


def _parse_body(request: web.Request, raw: bytes) -> dict[str, Any]:
    kind = request.content_type.lower()
    stripped = raw.lstrip()
    if "json" in kind or (kind not in ("application/xml", "text/xml") and stripped[:1] == b"{"):
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise RestError(400, "Decoding error: the body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise RestError(400, "The request body must be an object.")
        return data
    if "xml" in kind or stripped[:1] == b"<":
        return _xml_fields(raw)
    raise RestError(400, "Send the body as application/json or application/xml.")


def _xml_fields(raw: bytes) -> dict[str, Any]:
    """``<magento_api><field>value</field>…</magento_api>``, parsed without DTDs or entities."""
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError):
        raise RestError(400, "Decoding error: the body is not acceptable XML.") from None
    fields: dict[str, Any] = {}
    for child in root:
        if len(child):
            raise RestError(400, f"'{child.tag}' must hold a plain value.")
        fields[child.tag] = child.text  # an empty element is null, as in JSON
    return fields


def _xml(root: Element) -> bytes:
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0"?>\n' + document


def _xml_fields_into(parent: Element, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if value is not None:
            SubElement(parent, name).text = str(value)


def _render(body: Any, as_json: bool) -> web.Response:
    if as_json:
        if isinstance(body, list):
            body = {item["entity_id"]: item for item in body}
        return web.Response(body=orjson.dumps(body), content_type="application/json")
    root = Element("magento_api")
    if isinstance(body, list):
        for entity in body:
            _xml_fields_into(SubElement(root, "data_item"), entity)
    else:
        _xml_fields_into(root, body)
    return web.Response(body=_xml(root), content_type="application/xml")


def _error(status: int, message: str, headers: dict[str, str], *, as_json: bool) -> web.Response:
    if as_json:
        body = {"messages": {"error": [{"code": status, "message": message}]}}
        return web.Response(
            status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
        )
    root = Element("magento_api")
    item = SubElement(SubElement(SubElement(root, "messages"), "error"), "data_item")
    _xml_fields_into(item, {"code": status, "message": message})
    return web.Response(
        status=status, body=_xml(root), content_type="application/xml", headers=headers
    )
