"""Encryption at rest of what employees write (Fernet, from the `cryptography` package).
Each stored value names the key that encrypted it (`enc1:<key id>:<token>`), so a list of
keys can be rotated: the first encrypts, any of them decrypts, and `exitbot rotate-key`
finds what is not yet under the first one. A value without the prefix is clear text
written before encryption was turned on; it is read as it is."""

from __future__ import annotations

import hashlib

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "enc1:"


class KeyMismatch(Exception):
    """The keys given cannot read what the database holds; the message says which."""


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def new_key() -> str:
    return Fernet.generate_key().decode()


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


class Cipher:
    def __init__(self, keys: list[str]) -> None:
        """`keys`: the first encrypts, all decrypt. Raises ValueError for a malformed key."""
        if not keys:
            raise ValueError("no key given")
        self._fernets = {key_id(k): Fernet(k.encode()) for k in keys}
        self.current = key_id(keys[0])

    def encrypt(self, text: str) -> str:
        token = self._fernets[self.current].encrypt(text.encode()).decode()
        return f"{PREFIX}{self.current}:{token}"

    def decrypt(self, stored: str) -> str:
        if not is_encrypted(stored):
            return stored
        kid, _, token = stored.removeprefix(PREFIX).partition(":")
        fernet = self._fernets.get(kid)
        if fernet is None:
            raise KeyMismatch(f"a value was encrypted with key {kid}, which is not among the keys")
        try:
            return fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise KeyMismatch(f"a value does not decrypt with key {kid}") from None

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}{self.current}:")
