"""API keys for HR systems (an HRIS pushing departures, a people-analytics tool reading
exports): who the key is, what it may do, and how it is checked. Only a digest of each key
is kept; the key itself is shown once, when it is made."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

# What a key may do. Reading the employee's own words (`reports:read`) and erasing people
# (`people:erase`) are scopes of their own, so an integration gets only what it needs.
SCOPES = {
    "departures:write": "push departures (schedule and move interviews)",
    "interviews:read": "list and read interviews and the digest, without anyone's words",
    "interviews:write": "cancel interviews and move their dates",
    "reports:read": "read an interview's answers in the employee's own words (audited)",
    "exports:read": "export interviews as CSV or JSON lines (audited)",
    "people:erase": "erase everything about a person (audited)",
}
# Every key starts so, which makes a leaked one easy to find in code and logs.
KEY_START = "exb_"


class BadScopes(ValueError):
    """Scopes that are not ExitBot's, named in the message."""


def parse_scopes(text: str) -> frozenset[str]:
    """`a,b` as scopes; BadScopes naming what is wrong and what the scopes are."""
    scopes = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = sorted(scopes - SCOPES.keys())
    if unknown or not scopes:
        what = f"unknown scope {', '.join(unknown)}" if unknown else "no scope given"
        raise BadScopes(f"{what}: the scopes are {', '.join(SCOPES)}")
    return scopes


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str | None:
    """The public part of a key (`exb_<prefix>_<secret>`), by which it is found."""
    if not key.startswith(KEY_START):
        return None
    prefix, _, secret = key[len(KEY_START) :].partition("_")
    return prefix if prefix and secret else None


@dataclass(frozen=True)
class ApiKey:
    name: str
    prefix: str
    digest: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def actor(self) -> str:
        """How its reads and erasures appear in the audit log."""
        return f"api:{self.name}"

    def opens(self, key: str) -> bool:
        return self.revoked_at is None and hmac.compare_digest(digest_of(key), self.digest)
