"""Password hashing with argon2id, off the event loop (a hash takes tens of milliseconds)."""

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults
# Compared against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("treffpunkt-timing-equaliser")
# The password of an invited account until its person sets one: no password matches it.
UNUSABLE_PASSWORD = "!"  # noqa: S105 (a marker, not a password)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    usable = bool(password_hash) and password_hash != UNUSABLE_PASSWORD

    def verify() -> bool:
        try:
            # Always a real comparison, so that no account answers faster than another.
            stored = password_hash if usable and password_hash else _DUMMY_HASH
            return _hasher.verify(stored, password) and usable
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
