"""The kinds of question a bank may ask, one class each. A kind owns everything that depends
on it: the choices it offers, how it reads what someone typed, how an answer reads to a
person, the hint when an answer does not fit, the number an answer stands for, and the
checks a bank must pass. Nothing else in ExitBot matches on a kind's name.

To add a kind: write its class here and add it to `Question` at the bottom.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, field_validator

from core import wording
from core.speech import English, Speech, words
from core.taxonomy import Reason

# A role tells the summary which question carries what, whatever HR call the question.
Role = Literal["primary_reason", "trigger", "retention", "return", "recommend", "advice"]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Scalar = str | int | bool
YES, NO, MAYBE = "yes", "no", "maybe"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    id: Slug
    label: Annotated[str, Field(min_length=1, max_length=75)]
    category: Reason | None = None


class Scale(_Strict):
    min: int = 1
    max: int = 5
    labels: dict[int, Annotated[str, Field(min_length=1, max_length=40)]] = {}


def normalise_scalar(value: Scalar) -> str:
    # YAML reads a bare `yes` as True; yes_no answers are stored as the words.
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)


class Condition(_Strict):
    """Ask a question only when an earlier answer fits. A skipped or unanswered question
    satisfies `not_equals` and `not_in` (nothing said rules the question out) and no other."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    question: Slug
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    at_most: int | None = None
    at_least: int | None = None

    def operator(self) -> tuple[str, Any]:
        given = [
            (name, getattr(self, name))
            for name in ("equals", "not_equals", "in_", "not_in", "at_most", "at_least")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "needs exactly one of equals, not_equals, in, not_in, at_most, at_least"
            )
        return given[0]

    def compared_values(self) -> list[str]:
        _, operand = self.operator()
        values = operand if isinstance(operand, list) else [operand]
        return [normalise_scalar(v) for v in values]

    def holds(self, value: str | None) -> bool:
        name, operand = self.operator()
        if value is None:
            return name in ("not_equals", "not_in")
        if name in ("at_most", "at_least"):
            try:
                number = int(value)
            except ValueError:
                return False
            return bool(number <= operand if name == "at_most" else number >= operand)
        wanted = set(self.compared_values())
        inside = value in wanted
        return inside if name in ("equals", "in_") else not inside


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


class BaseQuestion(_Strict):
    kind: str
    id: Slug
    text: Annotated[str, Field(min_length=1, max_length=600)]
    category: Reason | None = None
    when: Condition | None = None
    probe: bool = False
    required: bool = False
    role: Role | None = None

    # Whether answers are the employee's own words (erased by the retention policy).
    free_text: ClassVar[bool] = False
    # The language its words (Yes, hints) and what people type back are in: the bank's
    # copy in each language sets it (core/questions.py).
    _speech: Speech = PrivateAttr(default_factory=English)

    def spoken(self, speech: Speech) -> BaseQuestion:
        """This question, its own words and what it reads typed in `speech`'s language."""
        copy = self.model_copy()
        copy._speech = speech
        return copy

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("must not be blank")
        return text.strip()

    def choices(self) -> list[Choice]:
        """What can be picked (buttons where the platform has them); none for free text."""
        return []

    def interpret(self, typed: str) -> str | None:
        """Read what the employee typed as an answer; None when it fits no choice."""
        raise NotImplementedError

    def label_of(self, value: str) -> str:
        """How an answer reads to a person: an option's label, `4/5`, `Yes`, or the text."""
        return next((c.label for c in self.choices() if c.value == value), value)

    def hint(self) -> str:
        """What to answer with, when an answer did not fit."""
        return self._speech.gettext("one of the options (its number or its name)")

    def scale(self) -> Scale | None:
        """The number line answers sit on, for kinds whose answers are numbers."""
        return None

    def number(self, value: str | None) -> int | None:
        """The number an answer stands for on `scale()`; None for kinds without one."""
        if self.scale() is None or value is None:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    def problems(self) -> list[str]:
        """What is wrong with this question in a bank, one line per problem."""
        problems = []
        if self.probe and not self.free_text:
            problems.append("field 'probe': only text questions get follow-ups")
        if self.role == "primary_reason" and not self.codes_reasons():
            problems.append(
                "field 'role': the primary_reason question must be a choice whose every "
                "option has a category"
            )
        return problems

    def codes_reasons(self) -> bool:
        """Whether every answer names a reason for leaving (the primary_reason question's)."""
        return False


class TextQuestion(BaseQuestion):
    """Free text, in the employee's own words."""

    kind: Literal["text"]
    free_text: ClassVar[bool] = True

    def interpret(self, typed: str) -> str | None:
        return typed.strip() or None


class ChoiceQuestion(BaseQuestion):
    """One option out of a list; options may carry the reason for leaving they stand for."""

    kind: Literal["choice"]
    options: list[Option]

    def choices(self) -> list[Choice]:
        return [Choice(o.id, o.label) for o in self.options]

    def interpret(self, typed: str) -> str | None:
        return _read_choice(typed, self.options)

    def problems(self) -> list[str]:
        problems = super().problems()
        if len(self.options) < 2:
            problems.append("field 'options': a choice question needs at least 2 options")
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            problems.append("field 'options': option ids must be unique")
        if len(self.options) > 25:
            problems.append("field 'options': at most 25 options fit as buttons")
        return problems

    def codes_reasons(self) -> bool:
        return all(o.category for o in self.options)


class YesNoQuestion(BaseQuestion):
    kind: Literal["yes_no"]
    # A third answer, "Maybe", where honest people often are not sure (coming back one day).
    unsure: bool = False

    def choices(self) -> list[Choice]:
        _ = self._speech.gettext
        maybe = [Choice(MAYBE, _("Maybe"))] if self.unsure else []
        return [Choice(YES, _("Yes")), *maybe, Choice(NO, _("No"))]

    def interpret(self, typed: str) -> str | None:
        folded = _fold(typed)
        if folded.isdigit():
            index = int(folded) - 1
            values = [choice.value for choice in self.choices()]
            return values[index] if 0 <= index < len(values) else None
        speech = self._speech
        if folded in words(speech, wording.WORDS_YES):
            return YES
        if folded in words(speech, wording.WORDS_NO):
            return NO
        if self.unsure and folded in words(speech, wording.WORDS_MAYBE):
            return MAYBE
        for choice in self.choices():  # the button's own word, typed
            if folded == _fold(choice.label):
                return choice.value
        return None

    def hint(self) -> str:
        _ = self._speech.gettext
        return _("yes, maybe or no") if self.unsure else _("yes or no")


class _Numbered(BaseQuestion):
    """A point on a number line, picked as a button or typed as a number."""

    def choices(self) -> list[Choice]:
        scale = self._scale()
        return [
            Choice(str(n), f"{n} · {scale.labels[n]}" if n in scale.labels else str(n))
            for n in range(scale.min, scale.max + 1)
        ]

    def interpret(self, typed: str) -> str | None:
        out_of = words(self._speech, wording.WORDS_OUT_OF)
        return _read_number(typed, self._scale(), out_of)

    def label_of(self, value: str) -> str:
        return f"{value}/{self._scale().max}"

    def hint(self) -> str:
        scale = self._scale()
        return self._speech.gettext("a number from {min} to {max}").format(
            min=scale.min, max=scale.max
        )

    def scale(self) -> Scale:
        return self._scale()

    def _scale(self) -> Scale:
        raise NotImplementedError


class RatingQuestion(_Numbered):
    """A rating on the bank's scale (1 to 5 when it gives none)."""

    kind: Literal["rating"]
    scale_: Scale = Field(default=Scale(), alias="scale")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def _scale(self) -> Scale:
        return self.scale_

    def problems(self) -> list[str]:
        problems = super().problems()
        scale = self.scale_
        if not scale.min < scale.max or scale.max - scale.min > 10:
            problems.append("field 'scale': needs min < max and at most 11 points")
        if any(not scale.min <= point <= scale.max for point in scale.labels):
            problems.append("field 'scale.labels': a label is outside min..max")
        return problems


NPS_SCALE = Scale(min=0, max=10)


class NpsQuestion(_Numbered):
    """Net Promoter style: 0 to 10, where 9 and 10 are promoters and 0 to 6 detractors."""

    kind: Literal["nps"]

    def _scale(self) -> Scale:
        return NPS_SCALE


Question = Annotated[
    TextQuestion | ChoiceQuestion | YesNoQuestion | RatingQuestion | NpsQuestion,
    Field(discriminator="kind"),
]
QUESTION = TypeAdapter[Question](Question)
# Every kind's name, from the union above (a bank names the kind in `kind:`).
KINDS: tuple[str, ...] = tuple(
    get_args(kind.model_fields["kind"].annotation)[0] for kind in get_args(get_args(Question)[0])
)


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}
_NUMBER = re.compile(r"^(\d{1,2})(?:\s*(?:/|([^\W\d]+(?: [^\W\d]+)?))\s*\d{1,2})?$")


def _fold(text: str) -> str:
    """Case, punctuation and spacing folded, so `Career growth!` reads as `career growth`."""
    return " ".join(re.sub(r"[^\w/]+", " ", text.casefold()).split())


def _read_number(text: str, scale: Scale, out_of: frozenset[str]) -> str | None:
    if text.strip().startswith("-"):
        return None  # folding would read "-1" as 1
    folded = _fold(text)
    number: int | None = None
    if (match := _NUMBER.match(folded)) and (match.group(2) is None or match.group(2) in out_of):
        number = int(match.group(1))
    elif folded in _NUMBER_WORDS:
        number = _NUMBER_WORDS[folded]
    else:
        # A label typed back, alone or whole as the button shows it ("1 · Very poor").
        for point, label in scale.labels.items():
            if folded in (_fold(label), _fold(f"{point} {label}")):
                number = point
    if number is None or not scale.min <= number <= scale.max:
        return None
    return str(number)


def _read_choice(text: str, options: Sequence[Option]) -> str | None:
    folded = _fold(text)
    if not folded:
        return None
    if folded.isdigit():
        index = int(folded) - 1
        return options[index].id if 0 <= index < len(options) else None
    for option in options:
        if folded in (_fold(option.label), _fold(option.id.replace("_", " "))):
            return option.id
    if len(folded) < 3:
        return None
    # A unique prefix or whole-word match ("career", "pay") is clear enough to accept.
    starts = [o for o in options if _fold(o.label).startswith(folded)]
    if len(starts) == 1:
        return starts[0].id
    words = [o for o in options if re.search(rf"\b{re.escape(folded)}\b", _fold(o.label))]
    if len(words) == 1:
        return words[0].id
    return None
