"""Websites and store views, answered from memory: how a ``store`` argument (an id or a code)
is resolved, and what the store resource lists.

The few rows of ``core_store`` and ``core_website`` are kept in memory (``NoticedCache``): a
trigger (schema/010) notifies ``gateway_stores`` at any change of either table.
"""

import re
from dataclasses import dataclass
from typing import Any

import asyncpg

from gateway.resources.kit.fields import has_unsafe_characters
from gateway.resources.kit.noticed import NoticedCache

__all__ = ["CHANNEL", "Store", "StoreViews", "store_cache"]

CHANNEL = "gateway_stores"
_SMALLINT_MAX = 32767
_READ_SQL = """
SELECT ARRAY(SELECT ROW(store_id, code, website_id, group_id, name, sort_order, is_active)
             FROM core_store ORDER BY sort_order, store_id) AS stores,
       ARRAY(SELECT website_id FROM core_website) AS websites
"""


@dataclass(frozen=True, slots=True)
class Store:
    """A store view, with the fields Magento's ``store.info`` answers, in its order."""

    store_id: int
    code: str
    website_id: int
    group_id: int
    name: str
    sort_order: int
    is_active: bool


@dataclass(frozen=True, slots=True)
class StoreViews:
    """The store views in list order (``sort_order``, then id) and the websites' ids."""

    stores: tuple[Store, ...]
    websites: frozenset[int]

    def find(self, ref: Any) -> Store | None:
        """The store named by an id (number or numeric string) or a code; None if none is."""
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            return None
        if isinstance(ref, str) and (len(ref) > 32 or has_unsafe_characters(ref)):
            return None  # no store code is like that (codes are varchar(32))
        if isinstance(ref, int) or re.fullmatch(r"\s*[0-9]{1,6}\s*", ref):
            number = int(ref)
            if not 0 <= number <= _SMALLINT_MAX:
                return None
            return next((s for s in self.stores if s.store_id == number), None)
        return next((s for s in self.stores if s.code == ref), None)

    def first_of(self, website_id: int) -> Store | None:
        """The website's own first store (the admin store only for the admin website)."""
        own = [s for s in self.stores if s.website_id == website_id]
        return min(own, key=lambda s: (s.store_id == 0, s.store_id), default=None)

    def website_exists(self, website_id: int) -> bool:
        return website_id in self.websites


async def read_store_views(connection: asyncpg.Connection) -> StoreViews:
    row = await connection.fetchrow(_READ_SQL)
    return StoreViews(tuple(Store(*store) for store in row["stores"]), frozenset(row["websites"]))


def store_cache() -> NoticedCache[StoreViews]:
    """The store views, kept in memory on the word of ``CHANNEL``."""
    return NoticedCache(CHANNEL, read_store_views)
