"""The country and region directory, held in memory: it is small and never changes at run time.

Countries come from pycountry (ISO 3166-1); regions are Magento's, with their exact ids, from
``gateway/data/directory_regions.csv``. The migration runner copies both into the database so that
address rows can reference them.
"""

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pycountry

__all__ = ["Country", "Directory", "Region", "directory"]


@dataclass(frozen=True, slots=True)
class Country:
    country_id: str
    iso3_code: str
    name: str


@dataclass(frozen=True, slots=True)
class Region:
    region_id: int
    country_id: str
    code: str
    name: str


class Directory:
    def __init__(self, countries: list[Country], regions: list[Region]) -> None:
        self.countries = countries
        self.regions = regions
        self._country_by_code = {c.country_id: c for c in countries}
        self._country_by_code.update({c.iso3_code: c for c in countries})
        self._region_by_id = {r.region_id: r for r in regions}
        self._region_by_text: dict[tuple[str, str], Region] = {}
        self._regions_by_country: dict[str, list[Region]] = {}
        for region in sorted(regions, key=lambda r: r.region_id):
            self._regions_by_country.setdefault(region.country_id, []).append(region)
        for region in regions:
            for text in (region.code, region.name):
                self._region_by_text.setdefault((region.country_id, text.casefold()), region)

    def country(self, code: str) -> Country | None:
        """The country with this ISO alpha-2 or alpha-3 code, in any case."""
        return self._country_by_code.get(code.strip().upper())

    def region(self, region_id: int) -> Region | None:
        return self._region_by_id.get(region_id)

    def regions_of(self, country_id: str) -> list[Region]:
        """The country's regions, in id order (none for most countries)."""
        return self._regions_by_country.get(country_id, [])

    def region_named(self, country_id: str, text: str) -> Region | None:
        """The country's region whose code or name is ``text``, in any case."""
        return self._region_by_text.get((country_id, text.strip().casefold()))


def _load_regions() -> list[Region]:
    source = resources.files("gateway") / "data" / "directory_regions.csv"
    rows = csv.DictReader(io.StringIO(source.read_text(encoding="utf-8"), newline=""))
    return [Region(int(r["region_id"]), r["country_id"], r["code"], r["name"]) for r in rows]


@cache
def directory() -> Directory:
    """The process-wide directory, loaded on first use."""
    countries = [
        Country(c.alpha_2, c.alpha_3, c.name)
        for c in sorted(pycountry.countries, key=lambda c: c.alpha_2)
    ]
    return Directory(countries, _load_regions())
