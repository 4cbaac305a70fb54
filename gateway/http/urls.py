"""The gateway's own address as its clients reach it, for documents that name it (a WSDL's
endpoint, the OpenRPC server). Behind a proxy that terminates TLS or rewrites the host,
``GATEWAY_TRUST_PROXY`` takes ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` from it; without
that setting those headers are ignored, since any client can send them."""

from aiohttp import web

from gateway.http.exchange import SERVICES

__all__ = ["public_url"]


def public_url(request: web.Request, path: str) -> str:
    scheme, host = request.scheme, request.host
    if request.app[SERVICES].settings.trust_proxy:
        scheme = request.headers.get("X-Forwarded-Proto", scheme).split(",")[0].strip()
        host = request.headers.get("X-Forwarded-Host", host).split(",")[0].strip()
    return f"{scheme}://{host}{path}"
