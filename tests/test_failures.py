"""What a client sees when the database itself refuses: internal faults that show only a
request id, REST's 500, and not_deleted."""

import io
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.auth import users
from gateway.database import create_pool
from gateway.http.exchange import ACCESS_LOG
from gateway.settings import Settings
from tests.conftest import make_settings
from tests.helpers import Api, fault_name


@pytest.fixture
async def own_api(
    fresh_database: Callable[[], str], aiohttp_client: Any, test_key_hash: str
) -> AsyncIterator[Api]:
    """An application on a database of its own, which a test may break."""
    url = fresh_database()
    settings = make_settings(url)
    pool = await create_pool(settings, url, min_size=1)
    async with pool.acquire() as connection:
        await users.add_user(connection, "admin", test_key_hash, ["all"])
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings, pool))
    yield Api(client, pool, test_key_hash, "test-api-key-0123456789")
    await pool.close()


async def test_an_internal_error_shows_only_a_request_id(
    own_api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    sid = await own_api.login("admin")
    await own_api.execute("DROP TABLE customer_group CASCADE")
    with caplog.at_level(logging.ERROR):
        error = await own_api.fault(sid, "customer_group.list")
    assert (error["code"], error["message"]) == (1, "Internal Error. Please see log for details.")
    assert set(error["data"]) == {"fault", "resource", "request_id"}
    assert "customer_group" not in str(error) and "SELECT" not in str(error)
    logged = [
        r for r in caplog.records if getattr(r, "request_id", None) == error["data"]["request_id"]
    ]
    assert logged and logged[0].exc_info is not None


async def test_internal_error_in_rest_is_500(own_api: Api) -> None:
    sid = await own_api.login("admin")
    await own_api.execute("DROP TABLE customer CASCADE")
    response = await own_api.client.get(
        "/api/rest/customers",
        headers={"Authorization": f"Bearer {sid}", "Accept": "application/json"},
    )
    assert response.status == 500
    body = await response.json()
    assert body == {
        "messages": {
            "error": [{"code": 500, "message": "Internal Error. Please see log for details."}]
        }
    }


async def test_a_delete_the_database_refuses_is_not_deleted(own_api: Api) -> None:
    sid = await own_api.login("admin")
    customer_id = await own_api.call(
        sid,
        "customer.create",
        [{"email": "o@x.com", "firstname": "O", "lastname": "P", "website_id": 1}],
    )
    # Another application's table pointing at customers, as a shop's orders would.
    await own_api.execute(
        "CREATE TABLE sales_order (customer_id integer REFERENCES customer);"
        "INSERT INTO sales_order VALUES (1)"
    )
    error = await own_api.fault(sid, "customer.delete", customer_id)
    assert (error["code"], fault_name(error)) == (103, "not_deleted")
    assert await own_api.fetchval("SELECT count(*) FROM customer") == 1


async def test_requests_are_logged_once_without_secrets(
    aiohttp_client: Any, settings: Settings, pool: asyncpg.Pool, test_key_hash: str
) -> None:
    log = io.BytesIO()
    logged = settings.model_copy(update={"log_level": "INFO"})
    client = await aiohttp_client(create_app(logged, pool, access_log=log))
    api = Api(client, pool, test_key_hash, "test-api-key-0123456789")
    await api.add_user("admin", ["all"])
    sid = await api.login("admin")
    await api.call(
        sid,
        "customer.create",
        [
            {
                "email": "l@x.com",
                "firstname": "L",
                "lastname": "M",
                "website_id": 1,
                "password": "hunter2-secret",
            }
        ],
    )
    await api.error("login", ["admin", "wrong-key-value"])
    client.app[ACCESS_LOG].flush()
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    assert len(lines) == 3
    assert lines[1]["calls"] == [{"method": "call"}, {"api_path": "customer.create"}]
    assert lines[2]["calls"] == [{"method": "login", "key_checked": True, "fault": "access_denied"}]
    assert all(len(line["request_id"]) == 20 and line["duration_ms"] >= 0 for line in lines)
    assert len({line["request_id"] for line in lines}) == 3
    for secret in (api.key, sid, "hunter2-secret", "wrong-key-value"):
        assert secret.encode() not in log.getvalue()
