"""Argon2id password hashes; verification never raises on a malformed stored hash."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 hashes any length; a bound keeps a huge form field from costing CPU

# Verified against when the login is unknown, so a wrong login costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("otklik-dummy-password")


class WeakPassword(ValueError):
    pass


def check_policy(password: str, login: str) -> None:
    """The admin's rules for a new password: length, not the login, letters and digits both present."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Пароль должен быть не короче {MIN_LENGTH} символов")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Пароль должен быть не длиннее {MAX_LENGTH} символов")
    if login and login.lower() in password.lower():
        raise WeakPassword("Пароль не должен содержать логин")
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise WeakPassword("Пароль должен содержать и буквы, и цифры")
    if len(set(password)) < 5:
        raise WeakPassword("Пароль слишком однообразный")


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Пароль должен быть не короче {MIN_LENGTH} символов")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
