"""CORS for the browser origins in ``GATEWAY_CORS_ORIGINS`` (none by default), with aiohttp-cors.

Credentials (the Authorization header) are allowed only for origins named one by one: a ``*``
entry opens the API to every origin without credentials, never to every origin with them.
Every answer then says ``Vary: Origin`` (aiohttp-cors does not), so that a shared cache never
serves one origin's answer to another.
"""

import aiohttp_cors
from aiohttp import web

__all__ = ["enable_cors"]

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
    varies = [v.strip().lower() for v in response.headers.get("Vary", "").split(",")]
    if "origin" not in varies:
        response.headers.add("Vary", "Origin")
