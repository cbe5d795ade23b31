"""What the HR API takes and gives, as JSON. Times are ISO 8601 with their zone (UTC)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from core.commands import LANGUAGE_CODE
from core.reporting import InterviewReport

HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"
# Names and departments: any text but control characters (PostgreSQL refuses NUL outright).
TEXT = r"^[^\x00-\x1f\x7f]*$"
# An interview's id as ExitBot makes them (hex), or near enough to be looked up.
INTERVIEW_ID = r"^[A-Za-z0-9_-]{1,64}$"
EMAIL = r"^[^@\s\x00-\x1f\x7f/]+@[^@\s\x00-\x1f\x7f/]+$"
Platform = Literal["slack", "teams"]
State = Literal[
    "SCHEDULED", "IN_PROGRESS", "COMPLETED", "ABANDONED", "DECLINED", "CANCELLED", "UNREACHABLE"
]


def _written_day(value: object) -> object:
    """A day comes as "YYYY-MM-DD": a number is not one (lax parsing reads 0 as 1970-01-01)."""
    if not isinstance(value, str | date):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_written_day)]


class DepartureIn(BaseModel):
    """One leaver from the HR system: who (e-mail or platform user id) and their last day."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "jane@acme.com",
                    "platform": "slack",
                    "exit_date": "2026-03-27",
                    "send_time": "14:00",
                    "department": "Support",
                    "manager": "Sam Lee",
                    "language": "es",
                }
            ],
            "anyOf": [{"required": ["email"]}, {"required": ["user_id"]}],
        },
    )

    email: str | None = Field(
        None, min_length=3, max_length=320, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$"
    )
    user_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9:_.\-]+$",
        description="Slack member id (U...) or Entra object id",
    )
    platform: Platform | None = Field(None, description="default: the one ExitBot is set up for")
    exit_date: Day = Field(description="their last day, YYYY-MM-DD")
    send_time: str | None = Field(
        None, pattern=HH_MM, description="HH:MM in their zone (default EXITBOT_SEND_TIME)"
    )
    department: str | None = Field(None, max_length=200, pattern=TEXT)
    manager: str | None = Field(None, max_length=200, pattern=TEXT)
    language: str | None = Field(
        None,
        pattern=LANGUAGE_CODE.pattern,
        description="the language to interview in (en, de, es, fr, pt); default: the one "
        "their Slack or Teams is set to, else EXITBOT_DEFAULT_LANGUAGE",
    )

    @model_validator(mode="after")
    def _someone(self) -> Self:
        if not self.email and not self.user_id:
            raise ValueError("needs an email or a user_id")
        return self


class Links(BaseModel):
    model_config = ConfigDict(extra="allow")
    self: str | None = None


class DepartureResult(BaseModel):
    index: int = Field(description="its place in the request, from 0")
    status: Literal["scheduled", "moved", "unchanged", "rejected"]
    reason: str | None = Field(None, description="why it was rejected")
    interview_id: str | None = None
    due_at: datetime | None = Field(None, description="when the interview opens")
    links: dict[str, str] = {}


class DeparturesOut(BaseModel):
    results: list[DepartureResult]
    counts: dict[str, int] = Field(description="how many of each status")


class InterviewOut(BaseModel):
    """An interview without anyone's words (those are in `report`, with reports:read)."""

    id: str
    state: State
    version: int = Field(description="send it back as If-Match to change the interview")
    platform: str
    user_id: str
    name: str
    email: str | None
    department: str | None
    manager: str | None
    exit_date: date | None
    due_at: datetime | None
    language: str | None = Field(description="the interview's language; null: the default")
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    primary_reason: str | None
    links: dict[str, str]
    report: InterviewReport | None = Field(
        None, description="with ?include=report and the reports:read scope (audited)"
    )


class InterviewPage(BaseModel):
    items: list[InterviewOut]
    next: str | None = Field(None, description="the cursor of the next page; none on the last")
    links: dict[str, str]


class MoveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"exit_date": "2026-04-03"}]}
    )

    exit_date: Day
    send_time: str | None = Field(None, pattern=HH_MM)


class Erased(BaseModel):
    email: str
    erased: int = Field(description="people erased (one per platform they were on)")
