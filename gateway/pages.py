"""What a browser or a client generator fetches: the OpenRPC document and the API page."""

from functools import cache
from importlib import resources

from aiohttp import web

from gateway.openrpc import openrpc_document

__all__ = ["add_routes"]


@cache
def _page() -> str:
    return (resources.files("gateway") / "static" / "index.html").read_text(encoding="utf-8")


async def index(request: web.Request) -> web.Response:
    return web.Response(text=_page(), content_type="text/html")


async def openrpc_json(request: web.Request) -> web.Response:
    return web.json_response(openrpc_document())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/api/openrpc.json", openrpc_json)
