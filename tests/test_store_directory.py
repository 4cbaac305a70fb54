"""Store views, countries and regions, and magento.info: what a frontend's pickers and an
integration's connection check need, under Magento's names and their aliases."""

import asyncio

from gateway.http.exchange import SERVICES
from gateway.resources.kit.noticed import NoticedCache
from gateway.resources.kit.stores import StoreViews
from tests.helpers import Api, fault_name, until
from tests.timing import allowance, idle_seconds


async def test_store_list_and_info(api: Api, sid: str) -> None:
    stores = await api.call(sid, "store.list")
    assert stores == [
        {
            "store_id": 0,
            "code": "admin",
            "website_id": 0,
            "group_id": 0,
            "name": "Admin",
            "sort_order": 0,
            "is_active": True,
        },
        {
            "store_id": 1,
            "code": "default",
            "website_id": 1,
            "group_id": 1,
            "name": "Default Store View",
            "sort_order": 0,
            "is_active": True,
        },
    ]
    assert await api.call(sid, "core_store.list") == stores
    assert await api.call(sid, "store.info", 1) == stores[1]
    assert await api.call(sid, "core_store.info", "default") == stores[1]
    error = await api.fault(sid, "store.info", "nowhere")
    assert (error["code"], fault_name(error), error["message"]) == (
        100,
        "store_not_exists",
        "Requested store view not found.",
    )


async def test_countries(api: Api, sid: str) -> None:
    countries = await api.call(sid, "directory_country.list")
    assert await api.call(sid, "country.list") == countries
    us = next(c for c in countries if c["country_id"] == "US")
    assert us == {
        "country_id": "US",
        "iso2_code": "US",
        "iso3_code": "USA",
        "name": "United States",
    }
    assert len(countries) > 240


async def test_regions_of_a_country_with_magento_s_ids(api: Api, sid: str) -> None:
    regions = await api.call(sid, "directory_region.list", "US")
    assert {"region_id": 43, "code": "NY", "name": "New York"} in regions
    assert regions == await api.call(sid, "region.list", ["USA"])
    assert [r["region_id"] for r in regions] == sorted(r["region_id"] for r in regions)
    assert await api.call(sid, "directory_region.list", "GB") == []  # a country without regions
    error = await api.fault(sid, "directory_region.list", "XX")
    assert (error["code"], fault_name(error)) == (101, "country_not_exists")


async def test_magento_info_names_the_gateway(api: Api, sid: str) -> None:
    info = await api.call(sid, "magento.info")
    assert info["magento_edition"] == "Customer gateway" and info["magento_version"]
    assert await api.call(sid, "core_magento.info") == info


async def test_each_needs_its_acl_path(api: Api) -> None:
    await api.add_user("picker", ["directory/country", "directory/region"])
    picker = await api.login("picker")
    assert await api.call(picker, "country.list")
    error = await api.fault(picker, "store.list")
    assert fault_name(error) == "access_denied"
    listing = await api.result("resources", [picker])
    assert [r["name"] for r in listing] == ["directory_country", "directory_region"]


async def stores_listening(api: Api) -> NoticedCache[StoreViews]:
    cache = api.client.app[SERVICES].stores
    await until(lambda: cache.listening, "the store views are never kept in memory")
    return cache


async def listed_within(api: Api, sid: str, code: str, present: bool, seconds: float) -> None:
    """Until store.list does (or does not) show ``code``; no longer than ``seconds`` (a
    deadline, not a benchmark)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (code in [s["code"] for s in await api.call(sid, "store.list")]) is not present:
        assert asyncio.get_running_loop().time() < deadline, f"{code} present: {not present}"
        await asyncio.sleep(0.005)


async def test_a_store_view_added_or_removed_with_sql_is_seen_within_100_ms(
    api: Api, sid: str
) -> None:
    await stores_listening(api)
    await api.call(sid, "store.list")  # read, and so kept in memory
    # 100 ms, or on a busy machine the time of 50 idle calls.
    within = allowance(0.1, await idle_seconds(lambda: api.call(sid, "store.list")))
    await api.execute(
        "INSERT INTO core_store (store_id, code, website_id, group_id, name, sort_order)"
        " VALUES (7, 'french', 1, 1, 'French', 5)"
    )
    try:
        await listed_within(api, sid, "french", True, within)
        assert (await api.call(sid, "store.info", "french"))["sort_order"] == 5
        customer = {"email": "a@example.com", "firstname": "A", "lastname": "B"}
        created = await api.call(sid, "customer.create", [customer, "french"])
        assert (await api.call(sid, "customer.info", created))["store_id"] == 7
    finally:
        await api.execute("DELETE FROM customer")
        await api.execute("DELETE FROM core_store WHERE store_id = 7")
    await listed_within(api, sid, "french", False, within)
    assert fault_name(await api.fault(sid, "store.info", "french")) == "store_not_exists"


async def test_store_views_are_answered_from_memory_while_listening(api: Api, sid: str) -> None:
    await stores_listening(api)
    stores = await api.call(sid, "store.list")
    # No notice announces a rename, and no statement could read the table under its name now.
    await api.execute("ALTER TABLE core_store RENAME TO core_store_away")
    try:
        assert await api.call(sid, "store.list") == stores
        assert await api.call(sid, "store.info", "default") == stores[1]
    finally:
        await api.execute("ALTER TABLE core_store_away RENAME TO core_store")


async def test_while_not_listening_store_views_are_read_afresh(api: Api, sid: str) -> None:
    await stores_listening(api)
    await api.call(sid, "store.list")
    await api.drop_the_listener()
    await api.execute("UPDATE core_store SET name = 'Renamed' WHERE store_id = 1")
    try:
        # Its notice can reach no one: the very next call reads the table.
        assert (await api.call(sid, "store.info", 1))["name"] == "Renamed"
    finally:
        await api.execute("UPDATE core_store SET name = 'Default Store View' WHERE store_id = 1")
    await stores_listening(api)
    assert (await api.call(sid, "store.info", 1))["name"] == "Default Store View"
