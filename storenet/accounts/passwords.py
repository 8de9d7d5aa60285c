"""Argon2id password hashes (argon2-cffi), with equal work for unknown users."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("storenet: no such user, same work")


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` (salted; parameters are in the hash)."""
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`. With `stored` None (unknown user, or an
    account without a password) the same Argon2 work is done and False returned, so
    the answer takes as long as for a wrong password."""
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
