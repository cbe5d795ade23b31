"""The Interview aggregate: one employee's exit interview and its explicit state machine.

Every change of state goes through `TRANSITIONS`, is recorded (from, to, at, why), and
anything not in the table raises `IllegalTransition`. Answers can only change while the
interview is IN_PROGRESS.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from core.analysis import Analysis

if TYPE_CHECKING:
    from core.ports import Usage


class InterviewState(StrEnum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    ABANDONED = "ABANDONED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    UNREACHABLE = "UNREACHABLE"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


OPEN_STATES = frozenset({InterviewState.SCHEDULED, InterviewState.IN_PROGRESS})
# Terminal states HR hear about in their channel; a CANCELLED one is their own doing.
REPORTED_ENDINGS = frozenset(
    {
        InterviewState.COMPLETED,
        InterviewState.DECLINED,
        InterviewState.ABANDONED,
        InterviewState.UNREACHABLE,
    }
)


class Trigger(StrEnum):
    """The named transitions; `TRANSITIONS` says from which states each one is legal."""

    START = "start"
    COMPLETE = "complete"
    ABANDON = "abandon"
    DECLINE = "decline"
    CANCEL = "cancel"
    MARK_UNREACHABLE = "mark_unreachable"


S = InterviewState
TRANSITIONS: dict[tuple[InterviewState, Trigger], InterviewState] = {
    (S.SCHEDULED, Trigger.START): S.IN_PROGRESS,
    (S.IN_PROGRESS, Trigger.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, Trigger.ABANDON): S.ABANDONED,
    (S.IN_PROGRESS, Trigger.DECLINE): S.DECLINED,
    (S.SCHEDULED, Trigger.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, Trigger.CANCEL): S.CANCELLED,
    (S.SCHEDULED, Trigger.MARK_UNREACHABLE): S.UNREACHABLE,
    (S.IN_PROGRESS, Trigger.MARK_UNREACHABLE): S.UNREACHABLE,
}
del S


class IllegalTransition(Exception):
    def __init__(self, state: InterviewState, trigger: Trigger) -> None:
        super().__init__(f"cannot {trigger.value} an interview that is {state.value}")
        self.state = state
        self.trigger = trigger


class InterviewNotInProgress(Exception):
    def __init__(self, state: InterviewState) -> None:
        super().__init__(f"answers can only change while IN_PROGRESS, not {state.value}")
        self.state = state


class InterviewStillOpen(Exception):
    def __init__(self, state: InterviewState) -> None:
        super().__init__(f"an interview that is {state.value} cannot be erased yet")
        self.state = state


@dataclass(frozen=True)
class InterviewEnded:
    """Raised when an interview reaches a terminal state; handled after the commit."""

    interview_id: str
    state: InterviewState


@dataclass(frozen=True)
class Transition:
    from_state: InterviewState
    to_state: InterviewState
    trigger: Trigger
    at: datetime
    reason: str


@dataclass
class Person:
    """Someone ExitBot talks to. The platform is part of the identity: U123 on Slack is not
    U123 on Teams."""

    platform: str
    user_id: str
    display_name: str = ""
    email: str | None = None
    timezone: str | None = None
    department: str | None = None
    manager: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # The language their platform is set to ("es-ES"), from the directory; not stored.
    locale: str | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.display_name or self.user_id


@dataclass(frozen=True)
class AwaitingAnswer:
    """A question was asked; its answer is next."""

    question_id: str


@dataclass(frozen=True)
class AwaitingFollowup:
    """A follow-up was asked about the last answered question; its answer is next."""

    text: str


@dataclass(frozen=True)
class Paused:
    """The employee said `later`: nothing until `until`, then what was awaited before."""

    until: datetime
    then: AwaitingAnswer | AwaitingFollowup | None


# What an open interview is waiting for; None before the first question and once it ends.
Waiting = AwaitingAnswer | AwaitingFollowup | Paused | None


@dataclass
class Answer:
    """One question's answer. `value` is the normalised answer (an option id, a number, `yes`
    or `no`, or the text itself); None when the question was skipped."""

    question_id: str
    value: str | None
    answered_at: datetime
    followup_question: str | None = None
    followup_answer: str | None = None

    @property
    def skipped(self) -> bool:
        return self.value is None


@dataclass
class Interview:
    employee: Person
    created_at: datetime
    state: InterviewState = InterviewState.SCHEDULED
    due_at: datetime | None = None
    exit_date: date | None = None
    created_by: str | None = None
    transitions: list[Transition] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    # Questions answered or skipped, in the order they were; `back` walks it backwards.
    history: list[str] = field(default_factory=list)
    waiting: Waiting = None
    followups_asked: int = 0
    last_activity_at: datetime | None = None
    # The one reminder after a silence; set when it was sent.
    reminded_at: datetime | None = None
    analysis: Analysis | None = None
    # When the employee's own words were erased (retention); the coded numbers stay.
    purged_at: datetime | None = None
    # What the LLM analyst cost for this interview.
    llm_calls: int = 0
    llm_tokens: int = 0
    # The language the interview is held in (a code: "es"); None until someone says which
    # (HR, the employee, their platform), when the default language is used.
    language: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # What happened in this unit of work that others act on once it is committed.
    events: list[InterviewEnded] = field(default_factory=list, compare=False, repr=False)

    # -- state machine -------------------------------------------------------------------
    def can(self, trigger: Trigger) -> bool:
        return (self.state, trigger) in TRANSITIONS

    def fire(self, trigger: Trigger, at: datetime, reason: str) -> Transition:
        target = TRANSITIONS.get((self.state, trigger))
        if target is None:
            raise IllegalTransition(self.state, trigger)
        transition = Transition(self.state, target, trigger, at, reason)
        self.transitions.append(transition)
        self.state = target
        if not target.is_open:
            self.waiting = None
            self.events.append(InterviewEnded(self.id, target))
        return transition

    @property
    def awaits_summary(self) -> bool:
        """Ended in a way HR hear of, and not summarised for them yet."""
        return self.state in REPORTED_ENDINGS and self.analysis is None

    @property
    def started_at(self) -> datetime | None:
        return self._entered(InterviewState.IN_PROGRESS)

    @property
    def ended_at(self) -> datetime | None:
        if self.state.is_open:
            return None
        return self._entered(self.state)

    def _entered(self, state: InterviewState) -> datetime | None:
        return next((t.at for t in reversed(self.transitions) if t.to_state is state), None)

    # -- what it waits for ----------------------------------------------------------------
    @property
    def awaited(self) -> AwaitingAnswer | AwaitingFollowup | None:
        """What answer comes next, paused or not."""
        return self.waiting.then if isinstance(self.waiting, Paused) else self.waiting

    @property
    def pending_question(self) -> str | None:
        awaited = self.awaited
        return awaited.question_id if isinstance(awaited, AwaitingAnswer) else None

    @property
    def pending_followup(self) -> str | None:
        awaited = self.awaited
        return awaited.text if isinstance(awaited, AwaitingFollowup) else None

    @property
    def paused_until(self) -> datetime | None:
        return self.waiting.until if isinstance(self.waiting, Paused) else None

    def pause(self, until: datetime) -> None:
        self._require_in_progress()
        self.waiting = Paused(until, self.awaited)

    def unpause(self) -> None:
        """Back from a pause (or not paused at all): waiting for what it waited for before."""
        self.waiting = self.awaited

    # -- answers -------------------------------------------------------------------------
    def _require_in_progress(self) -> None:
        if self.state is not InterviewState.IN_PROGRESS:
            raise InterviewNotInProgress(self.state)

    def ask(self, question_id: str) -> None:
        self._require_in_progress()
        self.waiting = AwaitingAnswer(question_id)

    def record_answer(self, question_id: str, value: str | None, at: datetime) -> None:
        """Answer (or, with None, skip) a question. Answering again replaces the old answer
        and its follow-up, which may no longer fit."""
        self._require_in_progress()
        self.answers[question_id] = Answer(question_id, value, at)
        if question_id in self.history:
            self.history.remove(question_id)
        self.history.append(question_id)
        self.waiting = None
        self.last_activity_at = at

    def keep_answer(self, question_id: str, at: datetime) -> None:
        """Move past a revisited question without changing its earlier answer."""
        self._require_in_progress()
        if question_id not in self.history:
            self.history.append(question_id)
        self.waiting = None
        self.last_activity_at = at

    def ask_followup(self, text: str) -> None:
        self._require_in_progress()
        self.waiting = AwaitingFollowup(text)
        self.followups_asked += 1
        answer = self.answers[self.history[-1]]
        answer.followup_question = text

    def record_followup_answer(self, text: str | None, at: datetime) -> None:
        self._require_in_progress()
        if text is not None:
            self.answers[self.history[-1]].followup_answer = text
        self.waiting = None
        self.last_activity_at = at

    def step_back(self) -> str | None:
        """Return to the last answered question so it can be answered again; None at the start."""
        self._require_in_progress()
        if not self.history:
            return None
        previous = self.history.pop()
        self.waiting = AwaitingAnswer(previous)
        return previous

    def charge(self, usage: Usage) -> None:
        """Book what the LLM analyst spent on this interview (for the digest and cost)."""
        self.llm_calls += usage.calls
        self.llm_tokens += usage.tokens

    # -- retention -----------------------------------------------------------------------
    def erase_words(self, free_text: frozenset[str], at: datetime) -> None:
        """Erase what the employee wrote in their own words: answers to the `free_text`
        questions, follow-ups, and whatever in the analysis may quote them (quotes, what
        would have kept them, signals, the suggested action). Ratings, choices, the coded
        reasons and the sentiment stay, so the numbers still add up."""
        if self.state.is_open:
            raise InterviewStillOpen(self.state)
        self.answers = {
            qid: Answer(qid, answer.value, answer.answered_at)
            for qid, answer in self.answers.items()
            if qid not in free_text
        }
        self.history = [qid for qid in self.history if qid in self.answers]
        if self.analysis is not None:
            self.analysis = self.analysis.without_words()
        self.purged_at = at
