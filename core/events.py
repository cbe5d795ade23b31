"""Neutral inbound events. An adapter verifies and dedupes a platform payload, then turns it
into one of these; `raw` keeps the payload for anything the core does not model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# C0 control characters but tab and newline, and DEL: PostgreSQL refuses NUL in text, and
# none of them is anything a person meant to write.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def printable(text: str) -> str:
    """What a person typed, without control characters (a carriage return ends a line)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class Event:
    """Who it came from; `event_id` is the platform's id for it, used to drop retries."""

    platform: str
    user_id: str
    event_id: str | None = field(default=None, kw_only=True)
    # The language the sender's client is set to ("de-DE"), where the platform says (Teams).
    locale: str | None = field(default=None, kw_only=True)
    raw: Any = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class UserMessage(Event):
    """Something a person typed to the bot in a direct conversation."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", printable(self.text))


@dataclass(frozen=True)
class ChoicePicked(Event):
    """A button or card choice on a question message."""

    interview_id: str
    question_id: str
    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", printable(self.value))


@dataclass(frozen=True)
class Command(Event):
    """An HR command: `/exitbot <text>` on Slack, the same words typed to the bot on Teams.
    `shared`: typed where others can read the answer (a channel), so it must go elsewhere."""

    text: str
    shared: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", printable(self.text))
