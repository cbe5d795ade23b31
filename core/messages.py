"""Neutral outbound messages. Adapters render them (Block Kit, Adaptive Cards, a terminal);
the outbox stores them as JSON, so they are pydantic models. `raw` is the adapter's own
escape hatch and is never stored."""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from core.reporting import Digest, InterviewReport, InterviewSummary


class Lane(IntEnum):
    """Which messages go first when there are more than a platform takes at once."""

    REPLY = 0  # someone is talking with the bot and waits for its next words
    BULK = 1  # invitations, reminders, summaries, digests: nobody waits on the second


class Address(BaseModel):
    """Where a message goes: a person on a platform, or that platform's HR channel."""

    model_config = ConfigDict(frozen=True)

    platform: str
    kind: Literal["user", "hr"] = "user"
    id: str = ""

    @classmethod
    def hr(cls, platform: str) -> Address:
        return cls(platform=platform, kind="hr")


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)
    raw: Any = Field(default=None, exclude=True)


class TextMessage(_Message):
    kind: Literal["text"] = "text"
    text: str


class ChoiceItem(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: str
    label: str


class QuestionMessage(_Message):
    """A question; `choices` become buttons where the platform has them."""

    kind: Literal["question"] = "question"
    interview_id: str
    question_id: str
    text: str
    choices: list[ChoiceItem] = []
    position: int
    total: int
    # Set when revisiting a question: how it was answered before.
    previous_answer: str | None = None
    # The language its words are in: the platform says what goes around them in it too.
    language: str = "en"

    @property
    def counter(self) -> str | None:
        """ "4/12", or None for a question outside the bank (when to check back)."""
        return f"{self.position}/{self.total}" if self.total else None


class SummaryMessage(_Message):
    """The HR summary card posted when an interview ends."""

    kind: Literal["summary"] = "summary"
    summary: InterviewSummary


class ReportMessage(_Message):
    """One person's whole interview, for HR's eyes only."""

    kind: Literal["report"] = "report"
    report: InterviewReport


class DigestMessage(_Message):
    kind: Literal["digest"] = "digest"
    digest: Digest


class FileMessage(_Message):
    """A file for HR (an export); adapters attach it or show it inline."""

    kind: Literal["file"] = "file"
    filename: str
    title: str
    content: str


OutboundMessage = Annotated[
    TextMessage | QuestionMessage | SummaryMessage | ReportMessage | DigestMessage | FileMessage,
    Field(discriminator="kind"),
]
OUTBOUND = TypeAdapter[OutboundMessage](OutboundMessage)
