"""Follow-up decisions taken with no transaction open. A model may take seconds to decide
whether an answer needs a follow-up; holding a unit of work that long would stall every
other employee (on SQLite, the one write lock). So the answer is first tried with an
advisor that only notes the question it was asked and gives up; the model is asked with
nothing open; then the answer is handled again with that decision. If the interview moved
on in between (a second message), the decision no longer fits and is dropped, rather than
asking the model again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import TypeVar

from core.dialogue import Dialogue
from core.ports import Usage
from core.questions import Question
from core.reporting import TranscriptEntry

T = TypeVar("T")


class AdviceWanted(Exception):
    """Raised inside the unit of work: a follow-up decision is needed first."""

    def __init__(
        self,
        question: Question,
        answer: str,
        earlier: Sequence[TranscriptEntry],
        language: str | None = None,
    ):
        super().__init__(question.id)
        self.question = question
        self.answer = answer
        self.earlier = list(earlier)
        self.language = language


class Deferred:
    """Asks nothing: says which decision is wanted, and so ends the unit of work."""

    def follow_up(
        self,
        question: Question,
        answer: str,
        earlier: Sequence[TranscriptEntry],
        usage: Usage | None = None,
        language: str | None = None,
    ) -> str | None:
        raise AdviceWanted(question, answer, earlier, language)


@dataclass
class Decided:
    """The decision taken for one answer, given back when that same answer is handled."""

    asked: AdviceWanted
    followup: str | None
    spent: Usage = field(default_factory=Usage)

    def follow_up(
        self,
        question: Question,
        answer: str,
        earlier: Sequence[TranscriptEntry],
        usage: Usage | None = None,
        language: str | None = None,
    ) -> str | None:
        if (question.id, answer) != (self.asked.question.id, self.asked.answer):
            return None  # the interview moved on meanwhile: no follow-up, no second call
        if usage is not None:
            usage.calls += self.spent.calls
            usage.tokens += self.spent.tokens
        return self.followup


def advised(
    dialogue: Dialogue,
    handle: Callable[[Dialogue], T],
    waiting: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> T:
    """Run `handle` (which opens and commits its own unit of work) so that the dialogue's
    advisor is only ever consulted between units of work, inside `waiting` (what the
    caller lets others have while it waits)."""
    try:
        return handle(replace(dialogue, analyst=Deferred()))
    except AdviceWanted as asked:
        spent = Usage()
        with waiting():
            followup = dialogue.analyst.follow_up(
                asked.question, asked.answer, asked.earlier, usage=spent, language=asked.language
            )
        return handle(replace(dialogue, analyst=Decided(asked, followup, spent)))
