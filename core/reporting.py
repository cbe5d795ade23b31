"""What HR read: the transcript of an interview, the analyst's reading of it, and the summary
card built from both."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from core import wording
from core.analysis import Analysis, Disclosure, Sentiment
from core.interview import InterviewState
from core.question_kinds import NO, YES
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
    # Why the platform could not reach them, in its words (a policy blocking the app...).
    unreachable_because: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    answered: int
    asked: int
    primary_reason: Reason | None = None
    secondary_reasons: list[Reason] = []
    # Serious matters HR must act on, and what the person said when asked whether they want
    # HR to contact them (None: not asked, or no answer yet).
    disclosures: list[Disclosure] = []
    wants_contact: str | None = None
    # Each follow-up question with its answer: often the most actionable line.
    followups: list[tuple[str, str]] = []
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
    # The employee's words shown here -> the same in HR's language (a model's), when the
    # interview was held in another language.
    translations: dict[str, str] = {}
    # The language of answers nobody could read (no model configured): see Analysis.
    unread_language: str | None = None


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
        elif not entry.free_text and entry.role != "primary_reason":
            if entry.role == "return" and entry.value in (YES, NO):
                continue  # shown as "Would come back"; a "Maybe" is shown as it was said
            choices.append(AnswerLine(question=entry.question, answer=entry.answer))
    return InterviewSummary(
        interview_id=interview.id,
        employee=interview.employee.name,
        platform=interview.employee.platform,
        employee_user_id=interview.employee.user_id,
        department=interview.employee.department,
        outcome=interview.state.value,
        unreachable_because=(
            interview.transitions[-1].reason
            if interview.state is InterviewState.UNREACHABLE and interview.transitions
            else None
        ),
        started_at=interview.started_at,
        ended_at=interview.ended_at,
        answered=sum(1 for e in entries if e.value is not None),
        # Of all this person would have been asked, had they gone on to the end.
        asked=bank.likely_total({qid: a.value for qid, a in interview.answers.items()}),
        primary_reason=analysis.primary_reason,
        secondary_reasons=[r for r in analysis.secondary_reasons if r != analysis.primary_reason],
        disclosures=analysis.disclosures,
        wants_contact=next(
            (
                e.followup_answer
                for e in entries
                if e.followup_question == wording.DISCLOSURE_FOLLOW_UP and e.followup_answer
            ),
            None,
        ),
        followups=[
            (e.followup_question, e.followup_answer)
            for e in entries
            if e.followup_question
            and e.followup_answer
            and e.followup_question != wording.DISCLOSURE_FOLLOW_UP
        ],
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
        translations={
            k: v
            for k, v in analysis.translations.items()
            if k in written or any(k == e.followup_question for e in entries)
        },
        unread_language=analysis.unread_language,
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


@dataclass
class DigestCounts:
    """What a digest is made of, counted: by the database (a few GROUP BYs, however many
    interviews) or, for a handful, by `tally`."""

    # (department, ending state, primary reason code) -> interviews that ended so
    groups: Counter[tuple[str | None, str, str | None]] = field(default_factory=Counter)
    # (question id, number answered) -> answers, for every answer that is a number
    numbers: Counter[tuple[str, int]] = field(default_factory=Counter)
    llm_calls: int = 0
    llm_tokens: int = 0


def tally(ended: list[Interview], bank: QuestionBank) -> DigestCounts:
    """The same counts as the database's, from interviews in memory."""
    counts = DigestCounts()
    for interview in ended:
        reason = interview.analysis.primary_reason if interview.analysis else None
        department = interview.employee.department
        counts.groups[(department, interview.state.value, reason.value if reason else None)] += 1
        for answer in interview.answers.values():
            known = answer.question_id in bank
            number = bank.get(answer.question_id).number(answer.value) if known else None
            if number is not None:
                counts.numbers[(answer.question_id, number)] += 1
        counts.llm_calls += interview.llm_calls
        counts.llm_tokens += interview.llm_tokens
    return counts


def build_digest(
    counts: DigestCounts,
    open_now: int,
    bank: QuestionBank,
    since: datetime,
    until: datetime,
    min_group: int = 3,
    themes: list[str] | None = None,
) -> Digest:
    by_state: Counter[str] = Counter()
    reasons: Counter[Reason] = Counter()
    for (_, state, code), n in counts.groups.items():
        by_state[state] += n
        if (reason := _reason(code)) is not None:
            reasons[reason] += n
    ended = sum(by_state.values())
    ratings = []
    recommend: Counter[int] = Counter()
    for question in bank.questions:
        if question.scale() is None:
            continue
        answered = {n: c for (qid, n), c in counts.numbers.items() if qid == question.id}
        if not answered:
            continue
        if question.role == "recommend":
            recommend.update(answered)
            continue
        total = sum(answered.values())
        ratings.append(
            RatingAverage(
                question=question.text,
                average=sum(n * c for n, c in answered.items()) / total,
                answers=total,
                max=_top(bank, question.id),
            )
        )
    score = None
    if recommend:
        promoters = sum(c for n, c in recommend.items() if n >= 9)
        detractors = sum(c for n, c in recommend.items() if n <= 6)
        score = round(100 * (promoters - detractors) / sum(recommend.values()))
    groups = _groups(counts)
    order = [state.value for state in InterviewState]
    return Digest(
        since=since,
        until=until,
        by_state={s: by_state[s] for s in sorted(by_state, key=order.index)},
        open_now=open_now,
        response_rate=by_state["COMPLETED"] / ended if ended else None,
        reasons=[
            ReasonCount(reason=r, count=n)
            for r, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0].value))
        ],
        ratings=ratings,
        recommend_score=score,
        recommend_answers=sum(recommend.values()),
        departments=[g for g in groups if g.ended >= min_group],
        in_small_groups=sum(g.ended for g in groups if g.ended < min_group),
        themes=themes or [],
        llm_calls=counts.llm_calls,
        llm_tokens=counts.llm_tokens,
    )


def _reason(code: str | None) -> Reason | None:
    """A stored reason code; None for none, or for one the taxonomy no longer has."""
    try:
        return Reason(code) if code else None
    except ValueError:
        return None


def _top(bank: QuestionBank, question_id: str) -> int:
    scale = bank.get(question_id).scale()
    return scale.max if scale else 0


def _groups(counts: DigestCounts) -> list[GroupLine]:
    by_department: dict[str, Counter[tuple[str, str | None]]] = {}
    for (department, state, code), n in counts.groups.items():
        name = department or "(no department)"
        by_department.setdefault(name, Counter())[(state, code)] += n
    lines = []
    for name, members in sorted(by_department.items()):
        reasons: Counter[Reason] = Counter()
        for (_, code), n in members.items():
            if (reason := _reason(code)) is not None:
                reasons[reason] += n
        top = max(reasons, key=lambda r: (reasons[r], r.value)) if reasons else None
        completed = sum(n for (state, _), n in members.items() if state == "COMPLETED")
        lines.append(
            GroupLine(name=name, ended=sum(members.values()), completed=completed, top_reason=top)
        )
    return lines
