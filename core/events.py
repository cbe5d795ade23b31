"""Neutral inbound events. An adapter verifies and dedupes a platform payload, then turns it
into one of these; `raw` keeps the payload for anything the core does not model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserMessage:
    """Something a person typed to the bot in a direct conversation."""

    platform: str
    user_id: str
    text: str
    event_id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ChoicePicked:
    """A button or card choice on a question message."""

    platform: str
    user_id: str
    interview_id: str
    question_id: str
    value: str
    event_id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Installed:
    """The bot was added for a person (Teams install, Slack app home opened)."""

    platform: str
    user_id: str
    event_id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Command:
    """An HR command: `/exitbot <text>` on Slack, the same words typed to the bot on Teams."""

    platform: str
    user_id: str
    text: str
    event_id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)


InboundEvent = UserMessage | ChoicePicked | Installed | Command
