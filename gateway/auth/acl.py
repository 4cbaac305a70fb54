"""Permissions: OpenMage's ACL paths, granted to a user as a set.

A granted path allows itself and every path below it (``customer`` allows ``customer/info``),
and ``all`` allows everything, except ``customer/password_hash``: only a role that names it
sees or sets customers' password hashes.
"""

import functools

__all__ = ["ALL", "PASSWORD_HASH", "allows"]

ALL = "all"
PASSWORD_HASH = "customer/password_hash"  # noqa: S105 - an ACL path, not a secret


# A handful of roles and paths: each answer is worked out once (a call asks two or three).
@functools.lru_cache(maxsize=4096)
def allows(granted: frozenset[str], needed: str) -> bool:
    if needed in granted:
        return True
    if needed == PASSWORD_HASH:
        return False
    return ALL in granted or any(needed.startswith(path + "/") for path in granted)
