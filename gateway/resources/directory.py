"""Resources ``directory_country`` (alias ``country``) and ``directory_region`` (alias
``region``): the countries and their regions, for a frontend's address pickers. Answered from
the directory held in memory; it never changes while the gateway runs."""

from functools import cache
from typing import Any

import orjson

from gateway.resources.kit import CallContext, Param, Resource
from gateway.resources.kit.directory import directory

__all__ = ["DIRECTORY_COUNTRY", "DIRECTORY_REGION"]

DIRECTORY_COUNTRY = Resource(
    "directory_country", "Country API", "The countries (ISO 3166-1).", aliases=("country",)
)
DIRECTORY_REGION = Resource(
    "directory_region", "Region API", "The regions of a country.", aliases=("region",)
)
COUNTRY_NOT_EXISTS = DIRECTORY_REGION.fault(101, "country_not_exists", "Country not exists.")


@cache
def _countries() -> str:
    return orjson.dumps(
        [
            {
                "country_id": c.country_id,
                "iso2_code": c.country_id,
                "iso3_code": c.iso3_code,
                "name": c.name,
            }
            for c in directory().countries
        ]
    ).decode()


@cache
def _regions(country_id: str) -> str:
    return orjson.dumps(
        [
            {"region_id": r.region_id, "code": r.code, "name": r.name}
            for r in directory().regions_of(country_id)
        ]
    ).decode()


def _strings(*names: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "object", "properties": {n: {"type": "string"} for n in names}},
    }


@DIRECTORY_COUNTRY.method(
    "list",
    acl="directory/country",
    title="List of countries",
    writes=False,
    result=_strings("country_id", "iso2_code", "iso3_code", "name"),
)
async def list_countries(ctx: CallContext) -> Any:
    return ctx.json(_countries())


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


@DIRECTORY_REGION.method(
    "list",
    faults=(COUNTRY_NOT_EXISTS,),
    acl="directory/region",
    title="List of regions in specified country",
    params=(
        Param(
            "country",
            required=True,
            fits=_is_text,
            schema={"type": "string"},
            description="An ISO 3166-1 country code, alpha-2 or alpha-3",
        ),
    ),
    writes=False,
    example={"country": "US"},
    result={
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "region_id": {"type": "integer"},
                "code": {"type": "string"},
                "name": {"type": "string"},
            },
        },
    },
)
async def list_regions(ctx: CallContext, country: Any) -> Any:
    found = directory().country(country) if isinstance(country, str) else None
    if found is None:
        raise COUNTRY_NOT_EXISTS()
    return ctx.json(_regions(found.country_id))
