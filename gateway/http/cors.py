"""Browser origins: CORS for those in ``GATEWAY_CORS_ORIGINS`` (none by default), with
aiohttp-cors, and a refusal for every other.

Credentials (the Authorization header) are allowed only for origins named one by one: a ``*``
entry opens the API to every origin without credentials, never to every origin with them.
Every answer then says ``Vary: Origin`` (aiohttp-cors does not), so that a shared cache never
serves one origin's answer to another.

CORS only keeps a foreign page from reading answers; a browser still sends a "simple" request
(a ``text/plain`` POST, ``mode: "no-cors"``) without asking. So a request whose ``Origin`` is
neither allowed nor the gateway's own (``gateway.http.urls``: from settings, never from what
the request says alone) is refused with 403 before anything runs (a wrong login from any page
would otherwise count towards locking the user out). Requests without ``Origin`` (curl,
servers, bots) are not browsers' and pass.
"""

import aiohttp_cors
from aiohttp import web

from gateway.http.exchange import SERVICES, Handler
from gateway.http.urls import is_own_origin

__all__ = ["enable_cors", "refuse_foreign_origins"]

_ALLOWED_HEADERS = ("Content-Type", "Authorization", "Accept")
_EXPOSED_HEADERS = ("Location", "Retry-After")


def enable_cors(app: web.Application, origins: list[str]) -> None:
    """Answer preflights and add CORS headers on every route, for ``origins`` only."""
    if not origins:
        return
    defaults = {
        origin: aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]
            allow_credentials=origin != "*",
            allow_headers=_ALLOWED_HEADERS,
            expose_headers=_EXPOSED_HEADERS,
            allow_methods="*",
            max_age=600,
        )
        for origin in origins
    }
    cors = aiohttp_cors.setup(app, defaults=defaults)
    for route in list(app.router.routes()):
        cors.add(route)
    app.on_response_prepare.append(_vary_on_origin)


async def _vary_on_origin(request: web.Request, response: web.StreamResponse) -> None:
    vary = response.headers.get("Vary")
    if vary is None:
        response.headers["Vary"] = "Origin"
    elif "origin" not in {v.strip().lower() for v in vary.split(",")}:
        response.headers.add("Vary", "Origin")


@web.middleware
async def refuse_foreign_origins(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    # A preflight only asks; aiohttp-cors answers it without the CORS headers a foreign
    # origin would need.
    if origin is None or request.method == "OPTIONS":
        return await handler(request)
    allowed = request.app[SERVICES].settings.cors_origins
    if origin in allowed or "*" in allowed or is_own_origin(request, origin):
        return await handler(request)
    response = web.Response(status=403, text="Requests from this origin are not allowed.\n")
    await _vary_on_origin(request, response)
    return response
