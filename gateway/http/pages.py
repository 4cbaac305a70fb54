"""The API page, for a person with a browser: it lists the methods from the OpenRPC document
and sends calls."""

from functools import cache
from importlib import resources

from aiohttp import web

__all__ = ["add_routes"]


@cache
def _page() -> str:
    return (resources.files("gateway") / "static" / "index.html").read_text(encoding="utf-8")


async def index(request: web.Request) -> web.Response:
    return web.Response(text=_page(), content_type="text/html")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
