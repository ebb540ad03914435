"""Bearer, registration and feed tokens: 256 random bits, stored only as a SHA-256 hash.

A fast hash is right here (unlike passwords): the tokens carry full entropy, so
there is nothing to brute-force, and every request needs a lookup by hash.
"""

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
