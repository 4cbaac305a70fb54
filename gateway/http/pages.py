"""The API page, for a person with a browser: it lists the methods from the OpenRPC document
and sends calls. Its icon is served too, at the path browsers ask for unprompted."""

from functools import cache
from importlib import resources

from aiohttp import web

__all__ = ["add_routes"]


@cache
def _static(name: str) -> bytes:
    return (resources.files("gateway") / "static" / name).read_bytes()


# The page holds a session and a form that sends calls: no other page may frame it (and so
# trick a user into clicking in it).
_NOT_FRAMEABLE = {"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY"}


async def index(request: web.Request) -> web.Response:
    return web.Response(
        body=_static("index.html"),
        content_type="text/html",
        charset="utf-8",
        headers=_NOT_FRAMEABLE,
    )


async def icon(request: web.Request) -> web.Response:
    return web.Response(
        body=_static("favicon.svg"),
        content_type="image/svg+xml",
        headers={"Cache-Control": "max-age=86400"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/favicon.svg", icon)
    app.router.add_get("/favicon.ico", icon)
