"""Request bodies, read whole before anything else is done for the request: bounded in size
(``GATEWAY_MAX_BODY``, HTTP 413) and in time (``GATEWAY_BODY_TIMEOUT``, HTTP 408), so that a
client sending slowly holds no database connection and no lock, only its own socket."""

import asyncio

from aiohttp import web

from gateway.http.exchange import SERVICES

__all__ = ["BodyRefused", "read_body"]


class BodyRefused(Exception):
    """A body too large or too slow: the HTTP status and a message for the wire's error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: web.Request) -> bytes:
    try:
        if request.content.is_eof():
            return await request.read()  # all of it has come already: nothing to wait for
        async with asyncio.timeout(request.app[SERVICES].settings.body_timeout):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyRefused(413, "Request body too large") from None
    except TimeoutError:
        raise BodyRefused(408, "Request body not received in time") from None
