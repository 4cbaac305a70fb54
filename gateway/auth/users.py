"""API users: their storage, and the operations the command line offers on them."""

import functools
from dataclasses import dataclass

import asyncpg

__all__ = [
    "ApiUser",
    "Principal",
    "add_user",
    "any_user_exists",
    "disable_user",
    "find_user",
    "list_users",
    "principal_of",
    "remove_user",
    "replace_key_hash",
]


@dataclass(frozen=True, slots=True)
class Principal:
    """The user a call runs as, with the ACL paths its role allows."""

    user_id: int
    username: str
    resources: frozenset[str]


@dataclass(frozen=True, slots=True)
class ApiUser:
    user_id: int
    username: str
    api_key_hash: str
    resources: list[str]
    is_active: bool

    def principal(self) -> Principal:
        return principal_of(self.user_id, self.username, tuple(self.resources))


# Principals are immutable: calls by the same user with the same role share one (and so the
# ACL answers cached for its set of paths) instead of building it anew for every call.
@functools.lru_cache(maxsize=1024)
def principal_of(user_id: int, username: str, resources: tuple[str, ...]) -> Principal:
    return Principal(user_id, username, frozenset(resources))


_COLUMNS = "user_id, username, api_key_hash, resources, is_active"
_INSERT_SQL = f"""
INSERT INTO api_user (username, api_key_hash, resources) VALUES ($1, $2, $3)
RETURNING {_COLUMNS}
"""
_FIND_SQL = f"SELECT {_COLUMNS} FROM api_user WHERE username = $1"
_LIST_SQL = f"SELECT {_COLUMNS} FROM api_user ORDER BY username"
_DISABLE_SQL = "UPDATE api_user SET is_active = false WHERE username = $1"
_REMOVE_SQL = "DELETE FROM api_user WHERE username = $1"
_EXISTS_SQL = "SELECT EXISTS (SELECT 1 FROM api_user)"
_REPLACE_HASH_SQL = "UPDATE api_user SET api_key_hash = $2 WHERE user_id = $1"


def _user(row: asyncpg.Record) -> ApiUser:
    return ApiUser(
        row["user_id"],
        row["username"],
        row["api_key_hash"],
        list(row["resources"]),
        row["is_active"],
    )


async def add_user(
    connection: asyncpg.Connection, username: str, key_hash: str, resources: list[str]
) -> ApiUser:
    """Create a user; raises ``asyncpg.UniqueViolationError`` when the name is taken."""
    return _user(await connection.fetchrow(_INSERT_SQL, username, key_hash, resources))


async def find_user(connection: asyncpg.Connection, username: str) -> ApiUser | None:
    row = await connection.fetchrow(_FIND_SQL, username)
    return _user(row) if row else None


async def list_users(connection: asyncpg.Connection) -> list[ApiUser]:
    return [_user(row) for row in await connection.fetch(_LIST_SQL)]


async def disable_user(connection: asyncpg.Connection, username: str) -> bool:
    """Disable a user; its live sessions stop working at their next use."""
    return bool(await connection.execute(_DISABLE_SQL, username) != "UPDATE 0")


async def remove_user(connection: asyncpg.Connection, username: str) -> bool:
    return bool(await connection.execute(_REMOVE_SQL, username) != "DELETE 0")


async def any_user_exists(connection: asyncpg.Connection) -> bool:
    return bool(await connection.fetchval(_EXISTS_SQL))


async def replace_key_hash(connection: asyncpg.Connection, user_id: int, key_hash: str) -> None:
    await connection.execute(_REPLACE_HASH_SQL, user_id, key_hash)
