"""The gateway's own address: for documents that name it (a WSDL's endpoint, the OpenRPC
server), and for telling a browser's request from the gateway's own page from one from
another origin.

With ``GATEWAY_PUBLIC_URL`` set (one or more origins, such as ``https://api.shop.example``),
those are the gateway's origins, and nothing a request says can add one. Unset, the gateway's
origin is the one a request names in its ``Host`` only when that is a loopback name
(``localhost``, ``127.0.0.1``, ``[::1]``, any port): a page that rebinds its own name to this
machine's address (DNS rebinding) sends its own name as ``Host``, and is not mistaken for the
gateway's page. Behind a trusted proxy, scheme and host are the ones the client used
(``gateway.http.proxies``).
"""

import ipaddress

from aiohttp import web

from gateway.http.exchange import SERVICES

__all__ = ["is_own_origin", "public_url"]


def _host_of(origin: str) -> str:
    return origin.partition("://")[2].lower()


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 or host.endswith("]") else host
    if host.startswith("[") and "]" in host:
        name = host[1 : host.index("]")]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def public_url(request: web.Request, path: str) -> str:
    """``path`` at the gateway's origin as this client reaches it."""
    origins = request.app[SERVICES].settings.public_url
    if origins:
        host = request.host.lower()
        return next((o for o in origins if _host_of(o) == host), origins[0]) + path
    return f"{request.scheme}://{request.host}{path}"


def is_own_origin(request: web.Request, origin: str) -> bool:
    """Whether a browser's request with this ``Origin`` comes from the gateway's own page."""
    origins = request.app[SERVICES].settings.public_url
    host = request.host.lower()
    if origins:
        return origin in origins and _host_of(origin) == host
    return _is_loopback(host) and origin == f"{request.scheme}://{request.host}"
