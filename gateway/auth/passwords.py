"""Secret hashing: Argon2id for everything new, Magento's older formats accepted for import.

Argon2id uses OWASP's parameters (m=19 MiB, t=2, p=1). Hashing and verifying run in threads,
at most ``concurrency`` at once, so that a burst of logins neither blocks the event loop nor
exhausts memory.
"""

import asyncio
import ctypes
import functools
import hashlib
import hmac
import re

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["SecretHasher", "is_importable_hash"]

_ARGON2 = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BCRYPT_PREFIXES = ("$2y$", "$2a$", "$2b$")


def _verify_magento(stored: str, secret: str) -> bool:
    """Check ``secret`` against a Magento hash: md5/sha256, bare or ``hash:salt``, or bcrypt."""
    if stored.startswith(_BCRYPT_PREFIXES):
        try:
            return bcrypt.checkpw(secret.encode(), stored.encode())
        except ValueError:
            return False
    digest, _, salt = stored.partition(":")
    digest = digest.lower()
    if _HEX32.fullmatch(digest):
        candidate = hashlib.md5((salt + secret).encode(), usedforsecurity=False).hexdigest()
    elif _HEX64.fullmatch(digest):
        candidate = hashlib.sha256((salt + secret).encode()).hexdigest()
    else:
        return False
    return hmac.compare_digest(candidate, digest)


def is_importable_hash(stored: str) -> bool:
    """True for a hash this gateway can verify: Argon2id, bcrypt, or Magento's md5/sha256."""
    if stored.startswith("$argon2id$") or stored.startswith(_BCRYPT_PREFIXES):
        return True
    digest = stored.partition(":")[0].lower()
    return bool(_HEX32.fullmatch(digest) or _HEX64.fullmatch(digest))


# glibc's mallopt parameter for the size from which blocks are mapped on their own.
_M_MMAP_THRESHOLD = -3


@functools.cache  # a process-wide setting: once is enough
def _return_large_blocks() -> None:
    """Make glibc give every hash's 19 MiB back to the system when it is done.

    glibc maps a block that large on its own and unmaps it when freed, but after the first such
    free it raises its threshold past that size and serves later ones from the heap, which it
    keeps: the process would then hold a hash's memory for every hash that ever ran at once
    (+19 MiB, +38 MiB, ... of RSS for good). A threshold set explicitly stays where it is."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc: nothing to tune
    libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)


class SecretHasher:
    """Argon2id hashing and verification off the event loop, with bounded concurrency."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        _return_large_blocks()

    async def hash(self, secret: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(_ARGON2.hash, secret)

    async def verify(self, stored: str, secret: str) -> tuple[bool, bool]:
        """(whether ``secret`` matches, whether ``stored`` should be re-hashed with Argon2id)."""
        if not stored.startswith("$argon2"):
            return _verify_magento(stored, secret), True
        async with self._slots:
            return await asyncio.to_thread(self._verify_argon2, stored, secret)

    @staticmethod
    def _verify_argon2(stored: str, secret: str) -> tuple[bool, bool]:
        try:
            _ARGON2.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False, False
        return True, _ARGON2.check_needs_rehash(stored)
