"""REST's wire, whatever the route: JSON for clients that ask for it and Magento's XML
(``<magento_api>`` … ``<data_item>``) otherwise, bodies in either, errors in Magento's shape
(``{"messages": {"error": [{"code", "message"}]}}``) with the HTTP status of the fault's kind,
credentials (a Bearer session id, or HTTP Basic), and each verb run as one operation of the
request through the shared pipeline (``gateway.http.pipeline``)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import orjson
from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gateway.auth.users import Principal
from gateway.core import authentication
from gateway.core.context import RequestContext
from gateway.faults import FaultError, Kind
from gateway.frontends.rendering import rest_fault
from gateway.http.bodies import BodyRefused
from gateway.http.pipeline import Codec, serve

__all__ = ["ROUTED_VERBS", "Created", "RestError", "Route", "Verb", "resource"]

# What a verb's function gets: the request, its context, the caller, the path's id, the body.
VerbFunction = Callable[
    [web.Request, RequestContext, Principal, str | None, dict[str, Any] | None], Awaitable[Any]
]


@dataclass(frozen=True, slots=True)
class Verb:
    """One verb of a route: its operation's name (in the log and metrics) and what it runs."""

    operation: str
    run: VerbFunction


Route = dict[str, Verb]  # by HTTP method

# Every verb a client may try is routed, so that the ones not allowed get a REST 405 rather
# than aiohttp's plain one (and CORS can be set per route).
ROUTED_VERBS = ("GET", "POST", "PUT", "DELETE", "PATCH")
_WITH_BODY = frozenset({"POST", "PUT"})


class RestError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class Created:
    """A create's answer: 200, an empty body, and where the new item is."""

    def __init__(self, location: str) -> None:
        self.location = location


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def resource(route: Route, id_name: str | None = None) -> Handler:
    """The aiohttp handler of ``route``; ``id_name``: the path's id, if it has one."""

    async def answer(request: web.Request, ctx: RequestContext, body: bytes) -> web.StreamResponse:
        as_json = _wants_json(request)
        try:
            verb = route.get(request.method)
            if verb is None:
                raise RestError(405, "Resource method not implemented yet.")
            data = _parse_body(request, body) if request.method in _WITH_BODY else None
            item = request.match_info.get(id_name) if id_name else None
            with ctx.operation(verb.operation, passing=(RestError,)):
                principal = await _authenticate(ctx, request)
                answered = await verb.run(request, ctx, principal, item, data)
        except RestError as error:
            return _error(error.status, error.message, error.headers, as_json=as_json)
        except FaultError as error:
            return _fault(request, error)
        if isinstance(answered, Created):
            return web.Response(status=200, headers={"Location": answered.location})
        if answered is None:
            return web.Response(status=200)
        return _render(answered, as_json)

    def has_body(request: web.Request) -> bool:
        # Read only for a verb that takes one: a refused verb is answered at once.
        return request.method in _WITH_BODY and request.method in route

    codec = Codec("rest", answer, _refused, _fault, has_body)

    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, codec)

    return handler


def _wants_json(request: web.Request) -> bool:
    """JSON for clients that ask for it; XML otherwise, Magento's default."""
    return "json" in request.headers.get("Accept", "").lower()


def _refused(request: web.Request, refused: BodyRefused) -> web.Response:
    return _error(refused.status, refused.message + ".", {}, as_json=_wants_json(request))


def _fault(request: web.Request, error: FaultError) -> web.Response:
    return _error(*rest_fault(error), as_json=_wants_json(request))


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
