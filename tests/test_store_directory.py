"""Store views, countries and regions, and magento.info: what a frontend's pickers and an
integration's connection check need, under Magento's names and their aliases."""

from tests.helpers import Api, fault_name


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
