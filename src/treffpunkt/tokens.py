"""Bearer, registration and feed tokens: 256 random bits, stored only as a SHA-256 hash.

A fast hash is right here (unlike passwords): the tokens carry full entropy, so
there is nothing to brute-force, and every request needs a lookup by hash.
"""

import base64
import hashlib
import hmac
import secrets


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def derive_token(secret_key: str, purpose: str, salt: str) -> str:
    """A token that can be recreated for a later mail without ever being stored.

    HMAC-SHA256 over a per-object random salt: 256 bits that only the holder of
    the secret key can compute. Revoking means a new salt; anonymising, none.
    """
    digest = hmac.new(secret_key.encode(), f"{purpose}:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")
