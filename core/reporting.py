"""What HR read: the transcript of an interview, the analyst's reading of it, and the summary
card built from both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from core.analysis import Analysis, Sentiment
from core.taxonomy import Reason

if TYPE_CHECKING:
    from core.interview import Interview
    from core.questions import QuestionBank, Role


@dataclass(frozen=True)
class TranscriptEntry:
    question_id: str
    question: str
    category: Reason | None
    role: Role | None
    value: str | None  # None: skipped
    answer: str | None  # how the answer reads: an option's label, 4/5, or the text
    # The employee's own words (free text), not a pick from a list.
    free_text: bool = True
    # For answers on a number line: the number and the top of the scale.
    number: int | None = None
    out_of: int | None = None
    followup_question: str | None = None
    followup_answer: str | None = None

    def written(self) -> list[str]:
        """What the employee wrote in their own words (free text and follow-up answers)."""
        texts = [self.answer] if self.free_text and self.answer else []
        if self.followup_answer:
            texts.append(self.followup_answer)
        return texts


def transcript(interview: Interview, bank: QuestionBank) -> list[TranscriptEntry]:
    """The answers in bank order; answers to questions no longer in the bank come last."""
    known = [q for q in bank.questions if q.id in interview.answers]
    entries = []
    for question in known:
        answer = interview.answers[question.id]
        scale = question.scale()
        entries.append(
            TranscriptEntry(
                question_id=question.id,
                question=question.text,
                category=question.category,
                role=question.role,
                value=answer.value,
                answer=None if answer.value is None else question.label_of(answer.value),
                free_text=question.free_text,
                number=question.number(answer.value),
                out_of=scale.max if scale else None,
                followup_question=answer.followup_question,
                followup_answer=answer.followup_answer,
            )
        )
    for question_id, answer in interview.answers.items():
        if question_id not in bank:
            entries.append(
                TranscriptEntry(
                    question_id=question_id,
                    question=question_id,
                    category=None,
                    role=None,
                    value=answer.value,
                    answer=answer.value,
                    followup_question=answer.followup_question,
                    followup_answer=answer.followup_answer,
                )
            )
    return entries


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
    recommend_max: int = 10
    ratings: list[RatingLine] = []
    choices: list[AnswerLine] = []
    regrettable_loss: bool | None = None
    signals: list[str] = []
    suggested_action: str | None = None


def build_summary(interview: Interview, bank: QuestionBank, analysis: Analysis) -> InterviewSummary:
    entries = transcript(interview, bank)
    written = [text for entry in entries for text in entry.written()]
    # Quotes are shown to HR as the employee's words, so they must be exactly that.
    quotes = [q for q in analysis.quotes if q.strip() and any(q in text for text in written)]
    ratings, choices, recommend, recommend_max = [], [], None, 10
    for entry in entries:
        if entry.value is None or entry.answer is None:
            continue
        if entry.number is not None and entry.out_of is not None:
            if entry.role == "recommend":
                recommend, recommend_max = entry.number, entry.out_of
            else:
                ratings.append(
                    RatingLine(question=entry.question, value=entry.number, max=entry.out_of)
                )
        elif not entry.free_text and entry.role not in ("primary_reason", "return"):
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
        recommend_max=recommend_max,
        ratings=ratings,
        choices=choices,
        regrettable_loss=analysis.regrettable_loss,
        signals=analysis.signals,
        suggested_action=analysis.suggested_action,
    )


class TranscriptLine(BaseModel):
    question: str
    answer: str | None  # None: skipped
    followup_question: str | None = None
    followup_answer: str | None = None


class InterviewReport(BaseModel):
    """Everything about one interview, for `report`: where it stands and every answer."""

    employee: str
    employee_user_id: str
    outcome: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    lines: list[TranscriptLine] = []
    summary: InterviewSummary | None = None
    words_erased_at: datetime | None = None


def build_report(interview: Interview, bank: QuestionBank) -> InterviewReport:
    analysis = interview.analysis
    return InterviewReport(
        employee=interview.employee.name,
        employee_user_id=interview.employee.user_id,
        outcome=interview.state.value,
        created_at=interview.created_at,
        started_at=interview.started_at,
        ended_at=interview.ended_at,
        lines=[
            TranscriptLine(
                question=e.question,
                answer=e.answer,
                followup_question=e.followup_question,
                followup_answer=e.followup_answer,
            )
            for e in transcript(interview, bank)
        ],
        summary=build_summary(interview, bank, analysis) if analysis else None,
        words_erased_at=interview.purged_at,
    )


class ReasonCount(BaseModel):
    reason: Reason
    count: int


class RatingAverage(BaseModel):
    question: str
    average: float
    answers: int
    max: int


class GroupLine(BaseModel):
    """One department's numbers; only groups of at least the minimum size are shown."""

    name: str
    ended: int
    completed: int
    top_reason: Reason | None = None


class Digest(BaseModel):
    """Interviews that ended in a period, in numbers."""

    since: datetime
    until: datetime
    by_state: dict[str, int]
    open_now: int
    response_rate: float | None  # completed / all that ended
    reasons: list[ReasonCount]
    ratings: list[RatingAverage]
    recommend_score: int | None  # promoters (9-10) minus detractors (0-6), in points
    recommend_answers: int
    departments: list[GroupLine] = []
    # Interviews in departments too small to show without pointing at someone.
    in_small_groups: int = 0
    themes: list[str] = []
    # What the LLM analyst cost for these interviews.
    llm_calls: int = 0
    llm_tokens: int = 0


def build_digest(
    ended: list[Interview],
    open_now: int,
    bank: QuestionBank,
    since: datetime,
    until: datetime,
    min_group: int = 3,
    themes: list[str] | None = None,
) -> Digest:
    by_state: dict[str, int] = {}
    reasons: dict[Reason, int] = {}
    rating_values: dict[str, list[int]] = {}
    recommend: list[int] = []
    for interview in ended:
        by_state[interview.state.value] = by_state.get(interview.state.value, 0) + 1
        analysis = interview.analysis
        if analysis and analysis.primary_reason:
            reasons[analysis.primary_reason] = reasons.get(analysis.primary_reason, 0) + 1
        for question in bank.questions:
            answer = interview.answers.get(question.id)
            number = question.number(answer.value if answer else None)
            if number is None:
                continue
            if question.role == "recommend":
                recommend.append(number)
            else:
                rating_values.setdefault(question.id, []).append(number)
    completed = by_state.get("COMPLETED", 0)
    groups = _groups(ended)
    score = None
    if recommend:
        promoters = sum(1 for v in recommend if v >= 9)
        detractors = sum(1 for v in recommend if v <= 6)
        score = round(100 * (promoters - detractors) / len(recommend))
    return Digest(
        since=since,
        until=until,
        by_state=by_state,
        open_now=open_now,
        response_rate=completed / len(ended) if ended else None,
        reasons=[
            ReasonCount(reason=r, count=n)
            for r, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0].value))
        ],
        ratings=[
            RatingAverage(
                question=bank.get(qid).text,
                average=sum(v) / len(v),
                answers=len(v),
                max=_top(bank, qid),
            )
            for qid, v in rating_values.items()
        ],
        recommend_score=score,
        recommend_answers=len(recommend),
        departments=[g for g in groups if g.ended >= min_group],
        in_small_groups=sum(g.ended for g in groups if g.ended < min_group),
        themes=themes or [],
        llm_calls=sum(i.llm_calls for i in ended),
        llm_tokens=sum(i.llm_tokens for i in ended),
    )


def _top(bank: QuestionBank, question_id: str) -> int:
    scale = bank.get(question_id).scale()
    return scale.max if scale else 0


def _primary(interview: Interview) -> Reason | None:
    return interview.analysis.primary_reason if interview.analysis else None


def _groups(ended: list[Interview]) -> list[GroupLine]:
    by_department: dict[str, list[Interview]] = {}
    for interview in ended:
        name = interview.employee.department or "(no department)"
        by_department.setdefault(name, []).append(interview)
    lines = []
    for name, members in sorted(by_department.items()):
        reasons = [r for r in map(_primary, members) if r is not None]
        top = max(set(reasons), key=lambda r: (reasons.count(r), r.value)) if reasons else None
        completed = sum(1 for i in members if i.state.value == "COMPLETED")
        lines.append(GroupLine(name=name, ended=len(members), completed=completed, top_reason=top))
    return lines
