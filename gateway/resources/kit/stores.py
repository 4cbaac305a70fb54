"""Websites and stores: how a ``store`` argument (an id or a code) is resolved."""

import re
from dataclasses import dataclass
from typing import Any

import asyncpg

from gateway.resources.kit.fields import has_unsafe_characters

__all__ = ["Store", "find_store", "first_store_of", "website_exists"]


@dataclass(frozen=True, slots=True)
class Store:
    store_id: int
    website_id: int
    name: str


_BY_ID_SQL = "SELECT store_id, website_id, name FROM core_store WHERE store_id = $1"
_BY_CODE_SQL = "SELECT store_id, website_id, name FROM core_store WHERE code = $1"
_FIRST_OF_WEBSITE_SQL = """
SELECT store_id, website_id, name FROM core_store WHERE website_id = $1
ORDER BY store_id = 0, store_id LIMIT 1
"""
_WEBSITE_SQL = "SELECT EXISTS (SELECT 1 FROM core_website WHERE website_id = $1)"
_SMALLINT_MAX = 32767


async def find_store(connection: asyncpg.Connection, ref: Any) -> Store | None:
    """The store named by an id (number or numeric string) or a code; None if there is none."""
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        return None
    if isinstance(ref, str) and (len(ref) > 32 or has_unsafe_characters(ref)):
        return None  # no store code is like that (codes are varchar(32))
    if isinstance(ref, int) or re.fullmatch(r"\s*[0-9]{1,6}\s*", ref):
        number = int(ref)
        if not 0 <= number <= _SMALLINT_MAX:
            return None
        row = await connection.fetchrow(_BY_ID_SQL, number)
    else:
        row = await connection.fetchrow(_BY_CODE_SQL, ref)
    return Store(**row) if row else None


async def first_store_of(connection: asyncpg.Connection, website_id: int) -> Store | None:
    """The website's own first store (the admin store only for the admin website)."""
    row = await connection.fetchrow(_FIRST_OF_WEBSITE_SQL, website_id)
    return Store(**row) if row else None


async def website_exists(connection: asyncpg.Connection, website_id: int) -> bool:
    return bool(await connection.fetchval(_WEBSITE_SQL, website_id))
