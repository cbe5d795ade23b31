"""What HR read: the transcript of an interview, the analyst's reading of it, and the summary
card built from both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.taxonomy import Reason

if TYPE_CHECKING:
    from core.interview import Interview
    from core.questions import QuestionBank, Role

Sentiment = Literal["positive", "mixed", "neutral", "negative"]


@dataclass(frozen=True)
class TranscriptEntry:
    question_id: str
    question: str
    kind: str
    category: Reason | None
    role: Role | None
    value: str | None  # None: skipped
    answer: str | None  # how the answer reads: an option's label, 4/5, or the text
    followup_question: str | None = None
    followup_answer: str | None = None

    def written(self) -> list[str]:
        """What the employee wrote in their own words (free text and follow-up answers)."""
        texts = [self.answer] if self.kind == "text" and self.answer else []
        if self.followup_answer:
            texts.append(self.followup_answer)
        return texts


def transcript(interview: Interview, bank: QuestionBank) -> list[TranscriptEntry]:
    """The answers in bank order; answers to questions no longer in the bank come last."""
    known = [q for q in bank.questions if q.id in interview.answers]
    entries = []
    for question in known:
        answer = interview.answers[question.id]
        entries.append(
            TranscriptEntry(
                question_id=question.id,
                question=question.text,
                kind=question.kind,
                category=question.category,
                role=question.role,
                value=answer.value,
                answer=None if answer.value is None else question.label_of(answer.value),
                followup_question=answer.followup_question,
                followup_answer=answer.followup_answer,
            )
        )
    for question_id, answer in interview.answers.items():
        if question_id not in bank:
            entries.append(
                TranscriptEntry(
                    question_id,
                    question_id,
                    "text",
                    None,
                    None,
                    answer.value,
                    answer.value,
                    answer.followup_question,
                    answer.followup_answer,
                )
            )
    return entries


class Analysis(BaseModel):
    """An analyst's reading of one interview; the shape is fixed whoever wrote it."""

    model_config = ConfigDict(extra="ignore")

    primary_reason: Reason | None = None
    secondary_reasons: Annotated[list[Reason], Field(max_length=5)] = []
    sentiment: Sentiment = "neutral"
    quotes: Annotated[list[str], Field(max_length=3)] = []
    kept_by: str | None = None
    would_return: bool | None = None
    suggested_action: str | None = None


class RatingLine(BaseModel):
    question: str
    value: int
    max: int


class AnswerLine(BaseModel):
    question: str
    answer: str


class InterviewSummary(BaseModel):
    interview_id: str
    employee: str
    platform: str
    employee_user_id: str
    department: str | None = None
    outcome: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    answered: int
    asked: int
    primary_reason: Reason | None = None
    secondary_reasons: list[Reason] = []
    sentiment: Sentiment = "neutral"
    quotes: list[str] = []
    kept_by: str | None = None
    would_return: bool | None = None
    recommend: int | None = None
    ratings: list[RatingLine] = []
    choices: list[AnswerLine] = []
    suggested_action: str | None = None


def build_summary(interview: Interview, bank: QuestionBank, analysis: Analysis) -> InterviewSummary:
    entries = transcript(interview, bank)
    written = [text for entry in entries for text in entry.written()]
    # Quotes are shown to HR as the employee's words, so they must be exactly that.
    quotes = [q for q in analysis.quotes if q.strip() and any(q in text for text in written)]
    ratings, choices, recommend = [], [], None
    for entry in entries:
        if entry.value is None or entry.answer is None:
            continue
        if entry.kind == "rating":
            question = bank.get(entry.question_id)
            top = question.scale.max if question.scale else 5
            if entry.role == "recommend":
                recommend = int(entry.value)
            else:
                ratings.append(RatingLine(question=entry.question, value=int(entry.value), max=top))
        elif entry.kind in ("choice", "yes_no") and entry.role not in ("primary_reason", "return"):
            choices.append(AnswerLine(question=entry.question, answer=entry.answer))
    return InterviewSummary(
        interview_id=interview.id,
        employee=interview.employee.name,
        platform=interview.employee.platform,
        employee_user_id=interview.employee.user_id,
        department=interview.employee.department,
        outcome=interview.state.value,
        started_at=interview.started_at,
        ended_at=interview.ended_at,
        answered=sum(1 for e in entries if e.value is not None),
        asked=len(entries),
        primary_reason=analysis.primary_reason,
        secondary_reasons=[r for r in analysis.secondary_reasons if r != analysis.primary_reason],
        sentiment=analysis.sentiment,
        quotes=quotes,
        kept_by=analysis.kept_by,
        would_return=analysis.would_return,
        recommend=recommend,
        ratings=ratings,
        choices=choices,
        suggested_action=analysis.suggested_action,
    )
