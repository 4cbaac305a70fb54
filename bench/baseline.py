"""The floor for this architecture: a bare aiohttp + asyncpg handler that reads the same
JSON-RPC body, runs the same session check and the same row fetch (or insert) as the gateway,
and writes the same JSON. No dispatch library, no validation, no logging, no metrics.

    python -m bench.baseline --port 8181 --database-url postgresql://...
"""

import argparse
import hashlib
from typing import Any

import asyncpg
import orjson
import uvloop
from aiohttp import web

from gateway.auth.sessions import RESOLVE_SQL  # the very same session check
from gateway.database import rollback_if_needed
from gateway.resources.customer import ENTITY_SQL
from gateway.resources.customer_address import LIST_SQL as ADDRESS_LIST_SQL

INFO_SQL = f"SELECT {ENTITY_SQL} FROM customer c WHERE c.customer_id = $1"
INSERT_SQL = """
INSERT INTO customer (email, firstname, lastname, password_hash, website_id, store_id, group_id,
                      created_in)
VALUES ($1, $2, $3, $4, 1, 1, 1, 'Default Store View')
RETURNING customer_id
"""
POOL = web.AppKey("pool", asyncpg.Pool)
SESSION_TTL = 3600.0


async def handle(request: web.Request) -> web.Response:
    body = orjson.loads(await request.read())
    session_id, api_path, args = body["params"]
    async with request.app[POOL].acquire() as connection:
        digest = hashlib.sha256(session_id.encode()).digest()
        if await connection.fetchrow(RESOLVE_SQL, digest, SESSION_TTL, 30.0) is None:
            raise web.HTTPForbidden()
        if api_path == "customer.info":
            result: Any = orjson.Fragment(await connection.fetchval(INFO_SQL, args[0]))
        elif api_path == "customer_address.list":
            result = orjson.Fragment((await connection.fetchrow(ADDRESS_LIST_SQL, args[0]))[0])
        else:  # customer.create
            data = args[0]
            result = await connection.fetchval(
                INSERT_SQL,
                data["email"],
                data["firstname"],
                data["lastname"],
                data["password_hash"],
            )
    answer = {"jsonrpc": "2.0", "result": result, "id": body["id"]}
    return web.Response(body=orjson.dumps(answer), content_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    options = parser.parse_args()

    async def pool_lifetime(app: web.Application) -> Any:
        app[POOL] = await asyncpg.create_pool(
            options.database_url, min_size=10, max_size=10, reset=rollback_if_needed
        )
        yield
        await app[POOL].close()

    app = web.Application()
    app.cleanup_ctx.append(pool_lifetime)
    app.router.add_post("/api/jsonrpc", handle)
    web.run_app(
        app,
        host="127.0.0.1",
        port=options.port,
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
