"""The SOAP front-end over HTTP, at the URLs Magento 1 integrations already call:

- ``/api/soap/`` (and ``/api/``, as older examples call it): SOAP v1;
- ``/api/v2_soap/``: SOAP v2, RPC/encoded, or WS-I document/literal when
  ``GATEWAY_SOAP_WSI`` is set (as Magento's compliance setting switches it);
- ``/api/v2_soap_wsi/``: WS-I always, so that both can be used side by side.

``GET …?wsdl`` answers the WSDL. Every answer, a fault too, is HTTP 200 as Magento sends it,
but for a body too large (413) or too slow (408).
"""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from lxml import etree

from gateway.core.context import RequestContext, Services
from gateway.faults import FaultError, MalformedParams
from gateway.frontends.rendering import soap_fault
from gateway.frontends.soap import v1, v2
from gateway.frontends.soap.types import OPERATIONS, SoapTypes, soap_types
from gateway.frontends.soap.wsdl import (
    ENCODING_SCHEMA,
    ENCODING_SCHEMA_PATH,
    v1_wsdl,
    v2_wsdl,
    wsi_wsdl,
)
from gateway.frontends.soap.xml import ENCODING, ENVELOPE, Malformed, escape, parse_request
from gateway.http.bodies import BodyRefused
from gateway.http.exchange import SERVICES
from gateway.http.pipeline import Codec, serve
from gateway.http.urls import public_url
from gateway.resources.address_data import address_schema
from gateway.resources.customer_data import customer_schema
from gateway.resources.kit.attributes import Definitions

__all__ = ["OPERATION_NAMES", "add_routes"]

_XML = "text/xml"

# Runs a known operation: the answer's element name, and its part.
Dispatch = Callable[[RequestContext, str, list[etree._Element]], Awaitable[tuple[str, str]]]


async def _v1(ctx: RequestContext, name: str, parts: list[etree._Element]) -> tuple[str, str]:
    return f"{name}Response", await v1.dispatch(ctx, name, parts)


async def _soap(services: Services) -> tuple[Definitions, SoapTypes]:
    """SOAP v2's types as the shop's custom attributes are now (made once for them)."""
    definitions = await services.definitions.read_with(services.pool)
    types: SoapTypes | None = definitions.memo.get("soap")
    if types is None:
        types = definitions.memo["soap"] = soap_types(
            customer_schema(definitions).entity, address_schema(definitions).entity
        )
    return definitions, types


async def _v2(ctx: RequestContext, name: str, parts: list[etree._Element]) -> tuple[str, str]:
    _, types = await _soap(ctx.services)
    op = types.operations[name]
    return f"{name}Response", await v2.dispatch(ctx, op, parts, literal=False)


async def _wsi(ctx: RequestContext, name: str, parts: list[etree._Element]) -> tuple[str, str]:
    _, types = await _soap(ctx.services)
    op = types.operations[name]
    return f"{name}ResponseParam", await v2.dispatch(ctx, op, parts, literal=True)


def _v1_name(element: str) -> str | None:
    return element if element in v1.OPERATIONS else None


def _v2_name(element: str) -> str | None:
    return element if element in OPERATIONS else None


def _wsi_name(element: str) -> str | None:
    op = v2.wsi_operation_of(element)
    return None if op is None else op.name


@dataclass(frozen=True, slots=True)
class _Dialect:
    name: str
    operation: Callable[[str], str | None]  # the operation a request's element stands for
    dispatch: Dispatch
    encoded: bool
    operations: tuple[str, ...]


_V1 = _Dialect("v1", _v1_name, _v1, encoded=True, operations=tuple(v1.OPERATIONS))
_V2 = _Dialect("v2", _v2_name, _v2, encoded=True, operations=tuple(OPERATIONS))
_WSI = _Dialect("wsi", _wsi_name, _wsi, encoded=False, operations=tuple(OPERATIONS))

# Each operation of each dialect, by the name it has in the log and metrics.
OPERATION_NAMES = frozenset(f"soap.{d.name}.{op}" for d in (_V1, _V2, _WSI) for op in d.operations)


def add_routes(app: web.Application) -> None:
    for path, choose in (
        ("/api/soap/", lambda _: _V1),
        ("/api/", lambda _: _V1),
        ("/api/v2_soap/", lambda wsi: _WSI if wsi else _V2),
        ("/api/v2_soap_wsi/", lambda _: _WSI),
    ):
        handler = functools.partial(_endpoint, choose=choose)
        for route in (path, path.rstrip("/")):
            app.router.add_get(route, handler)
            app.router.add_post(route, handler)
    app.router.add_get(ENCODING_SCHEMA_PATH, _encoding_schema)


async def _encoding_schema(request: web.Request) -> web.Response:
    return _answer(ENCODING_SCHEMA.encode())


_ENVELOPE_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENVELOPE}" xmlns:ns1="{{namespace}}"'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    f' xmlns:SOAP-ENC="{ENCODING}" xmlns:ns2="http://xml.apache.org/xml-soap"'
)


def _envelope(namespace: str, body: str, *, encoded: bool) -> bytes:
    style = f' SOAP-ENV:encodingStyle="{ENCODING}"' if encoded else ""
    head = _ENVELOPE_HEAD.replace("{namespace}", escape(namespace, {'"': "&quot;"}))
    return f"{head}{style}><SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>\n".encode()


def _detail(value: object) -> str:
    if isinstance(value, dict):
        return "".join(f"<{k}>{_detail(v)}</{k}>" for k, v in value.items())
    if isinstance(value, list):
        return "".join(f"<item>{_detail(v)}</item>" for v in value)
    return "" if value is None else escape(str(value))


def _fault(code: str, message: str, detail: dict[str, object] | None = None) -> bytes:
    inner = f"<faultcode>{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
    if detail:
        inner += f"<detail>{_detail(detail)}</detail>"
    body = f"<SOAP-ENV:Fault>{inner}</SOAP-ENV:Fault>"
    return _envelope("urn:OpenMage", body, encoded=False)


def _answer(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=_XML, charset="utf-8")


async def _endpoint(request: web.Request, choose: Callable[[bool], _Dialect]) -> web.StreamResponse:
    dialect = choose(request.app[SERVICES].settings.soap_wsi)
    if request.method == "GET":
        if "wsdl" not in request.query:
            raise web.HTTPNotFound(text="Add ?wsdl to read this endpoint's WSDL.")
        definitions, types = await _soap(request.app[SERVICES])
        return _answer(_wsdl(definitions, types)(dialect.name, public_url(request, request.path)))
    return await serve(request, _CODECS[dialect.name])


def _answering(
    dialect: "_Dialect",
) -> Callable[[web.Request, RequestContext, bytes], Awaitable[web.StreamResponse]]:
    async def answer(request: web.Request, ctx: RequestContext, body: bytes) -> web.StreamResponse:
        try:
            element, namespace, parts = parse_request(body)
            name = dialect.operation(element)
            if name is None:
                raise Malformed(f"Procedure '{element[:100]}' not present")
            with ctx.operation(f"soap.{dialect.name}.{name}", passing=(Malformed,)):
                tag, part = await dialect.dispatch(ctx, name, parts)
            body_xml = f"<ns1:{tag}>{part}</ns1:{tag}>"
            return _answer(_envelope(namespace, body_xml, encoded=dialect.encoded))
        except (Malformed, MalformedParams) as malformed:
            return _answer(_fault("SOAP-ENV:Client", str(malformed)))
        except FaultError as error:
            return _fault_answer(request, error)

    return answer


def _refused(request: web.Request, refused: BodyRefused) -> web.Response:
    return _answer(_fault("SOAP-ENV:Client", refused.message), refused.status)


def _fault_answer(request: web.Request, error: FaultError) -> web.Response:
    return _answer(_fault(*soap_fault(error)))


_CODECS = {d.name: Codec("soap", _answering(d), _refused, _fault_answer) for d in (_V1, _V2, _WSI)}


def _wsdl(definitions: Definitions, types: SoapTypes) -> Callable[[str, str], bytes]:
    """The WSDLs for these definitions, by dialect and address (kept for a few addresses)."""
    written: Callable[[str, str], bytes] | None = definitions.memo.get("wsdl")
    if written is None:

        @functools.lru_cache(maxsize=64)  # per dialect and address the gateway is called by
        def write(dialect: str, location: str) -> bytes:
            if dialect == "v1":
                return v1_wsdl(location).encode()
            return (v2_wsdl if dialect == "v2" else wsi_wsdl)(location, types).encode()

        written = definitions.memo["wsdl"] = write
    return written
