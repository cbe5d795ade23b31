"""Neutral inbound events. An adapter verifies and dedupes a platform payload, then turns it
into one of these; `raw` keeps the payload for anything the core does not model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Who it came from; `event_id` is the platform's id for it, used to drop retries."""

    platform: str
    user_id: str
    event_id: str | None = field(default=None, kw_only=True)
    raw: Any = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class UserMessage(Event):
    """Something a person typed to the bot in a direct conversation."""

    text: str


@dataclass(frozen=True)
class ChoicePicked(Event):
    """A button or card choice on a question message."""

    interview_id: str
    question_id: str
    value: str


@dataclass(frozen=True)
class Installed(Event):
    """The bot was added for a person (Teams install, Slack app home opened)."""


@dataclass(frozen=True)
class Command(Event):
    """An HR command: `/exitbot <text>` on Slack, the same words typed to the bot on Teams."""

    text: str


InboundEvent = UserMessage | ChoicePicked | Installed | Command
