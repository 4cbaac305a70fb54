"""Behind proxies: who the client is, and how it reached the gateway.

Only a request whose connection comes from a trusted proxy (``GATEWAY_TRUSTED_PROXIES``:
addresses or networks) is read for what the proxies say: the client's address from
``Forwarded`` (RFC 7239, as aiohttp parses it) or else ``X-Forwarded-For``, taken from the
right, past every trusted hop, so that what the client itself wrote in those headers is never
believed; and the scheme and host it used (``X-Forwarded-Proto``/``-Host``, or ``Forwarded``'s
``proto``/``host``). A request from anywhere else is taken as it came: its headers could say
anything. The login throttle counts, and the request log shows, the address found here.
"""

import ipaddress

from aiohttp import web
from aiohttp.typedefs import Middleware

from gateway.http.exchange import Handler

__all__ = ["behind_proxies"]

Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # Forwarded's "[2001:db8::1]:4711"
        text = text[1 : text.find("]")]
    elif text.count(":") == 1:  # "192.0.2.7:4711"
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _first(value: str | None) -> str | None:
    return value.split(",")[0].strip() or None if value else None


def behind_proxies(trusted: Networks) -> Middleware:
    """The middleware that reads proxies' headers from ``trusted`` peers only."""

    def is_trusted(address: str | None) -> bool:
        found = _address(address or "")
        return found is not None and any(found in network for network in trusted)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not trusted or not is_trusted(request.remote):
            return await handler(request)
        forwarded = request.forwarded
        if forwarded:
            hops = [hop.get("for") or "" for hop in forwarded]
            scheme, host = forwarded[0].get("proto"), forwarded[0].get("host")
        else:
            hops = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
            scheme = _first(request.headers.get("X-Forwarded-Proto"))
            host = _first(request.headers.get("X-Forwarded-Host"))
        client = request.remote
        for hop in reversed([h for h in hops if h.strip()]):
            found = _address(hop)
            if found is None:
                break  # not an address a proxy of ours wrote: the last proxy is the client
            client = str(found)
            if not is_trusted(client):
                break
        changes: dict[str, str] = {"remote": client or ""}
        if scheme in ("http", "https"):
            changes["scheme"] = scheme
        if host:
            changes["host"] = host
        return await handler(request.clone(**changes))  # type: ignore[arg-type]

    return middleware
