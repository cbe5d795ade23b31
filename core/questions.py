"""The question engine: a bank of questions HR can edit, validated on load, and the rules
that pick the next question and read a typed answer.

A bank is YAML text; `parse_bank` turns it into a `QuestionBank` or raises `BankError` with
one line per problem, each naming the file, the question and the field.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.taxonomy import Reason

Kind = Literal["text", "rating", "choice", "yes_no"]
# A role tells the summary which question carries what, whatever HR call the question.
Role = Literal["primary_reason", "trigger", "retention", "return", "recommend", "advice"]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]

TEMPLATE_FIELDS = frozenset({"name", "kept"})
YES, NO = "yes", "no"


class BankError(ValueError):
    """A question bank that cannot be used; the message names file, question and field."""


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


DEFAULT_SCALE = Scale()

Scalar = str | int | bool


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


def normalise_scalar(value: Scalar) -> str:
    # YAML reads a bare `yes` as True; yes_no answers are stored as the words.
    if isinstance(value, bool):
        return YES if value else NO
    return str(value)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


class Question(_Strict):
    id: Slug
    text: Annotated[str, Field(min_length=1, max_length=600)]
    kind: Kind
    category: Reason | None = None
    options: list[Option] | None = None
    scale: Scale | None = None
    when: Condition | None = None
    probe: bool = False
    required: bool = False
    role: Role | None = None

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("must not be blank")
        return text.strip()

    @property
    def rating_scale(self) -> Scale:
        """The scale of a rating question; 1 to 5 when the bank gives none."""
        return self.scale or DEFAULT_SCALE

    @property
    def has_buttons(self) -> bool:
        return self.kind != "text"

    def choices(self) -> list[Choice]:
        if self.kind == "choice":
            return [Choice(o.id, o.label) for o in self.options or []]
        if self.kind == "yes_no":
            return [Choice(YES, "Yes"), Choice(NO, "No")]
        if self.kind == "rating":
            scale = self.rating_scale
            return [
                Choice(str(n), f"{n} · {scale.labels[n]}" if n in scale.labels else str(n))
                for n in range(scale.min, scale.max + 1)
            ]
        return []

    def label_of(self, value: str) -> str:
        """How an answer reads to a person: the option's label, `4/5`, `Yes`, or the text."""
        if self.kind == "rating":
            return f"{value}/{self.rating_scale.max}"
        for choice in self.choices():
            if choice.value == value:
                return choice.label
        return value

    def interpret(self, typed: str) -> str | None:
        """Read what the employee typed as an answer; None when it fits no option."""
        text = typed.strip()
        if not text:
            return None
        if self.kind == "text":
            return text
        if self.kind == "rating":
            return _read_rating(text, self.rating_scale)
        if self.kind == "yes_no":
            return _read_yes_no(text)
        return _read_choice(text, self.options or [])


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}
_RATING = re.compile(r"^(\d{1,2})(?:\s*(?:/|out of|of)\s*\d{1,2})?$")
_YES = {"yes", "y", "yeah", "yep", "yup", "sure", "definitely", "absolutely", "of course", "ok"}
_NO = {"no", "n", "nope", "nah", "never", "no way", "not really", "definitely not"}


def _fold(text: str) -> str:
    """Case, punctuation and spacing folded, so `Career growth!` reads as `career growth`."""
    return " ".join(re.sub(r"[^\w/]+", " ", text.casefold()).split())


def _read_rating(text: str, scale: Scale) -> str | None:
    folded = _fold(text)
    number: int | None = None
    if match := _RATING.match(folded):
        number = int(match.group(1))
    elif folded in _NUMBER_WORDS:
        number = _NUMBER_WORDS[folded]
    else:
        for point, label in scale.labels.items():
            if _fold(label) == folded:
                number = point
    if number is None or not scale.min <= number <= scale.max:
        return None
    return str(number)


def _read_yes_no(text: str) -> str | None:
    folded = _fold(text)
    if folded in _YES or folded == "1":
        return YES
    if folded in _NO or folded == "2":
        return NO
    return None


def _read_choice(text: str, options: Sequence[Option]) -> str | None:
    folded = _fold(text)
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


class QuestionBank(_Strict):
    intro: Annotated[str, Field(min_length=1, max_length=2000)]
    closing: Annotated[str, Field(min_length=1, max_length=2000)]
    questions: Annotated[list[Question], Field(min_length=1, max_length=40)]

    def get(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def __contains__(self, question_id: object) -> bool:
        return any(q.id == question_id for q in self.questions)

    def by_role(self, role: Role) -> Question | None:
        return next((q for q in self.questions if q.role == role), None)

    def applies(self, question: Question, answers: Mapping[str, str | None]) -> bool:
        if question.when is None:
            return True
        return question.when.holds(answers.get(question.when.question))

    def next_question(self, answers: Mapping[str, str | None]) -> Question | None:
        """The first question in bank order not yet answered or skipped whose `when` holds.
        `answers` maps every answered or skipped question id to its value (None = skipped)."""
        for question in self.questions:
            if question.id not in answers and self.applies(question, answers):
                return question
        return None

    def progress(self, answers: Mapping[str, str | None]) -> tuple[int, int]:
        """(number of the next question, how many this person will likely be asked)."""
        done = sum(1 for q in self.questions if q.id in answers)
        left = sum(1 for q in self.questions if q.id not in answers and self.applies(q, answers))
        return done + 1, done + left


def parse_bank(text: str, source: str) -> QuestionBank:
    """Parse and validate a bank's YAML text; `source` names the file in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise BankError(f"{source}{line}: {problem}") from None
    if not isinstance(data, dict):
        raise BankError(f"{source}: expected a mapping with intro, closing and questions")
    try:
        bank = QuestionBank.model_validate(data)
    except ValidationError as exc:
        raise BankError(_describe(exc, data, source)) from None
    problems = _cross_check(bank)
    if problems:
        raise BankError("\n".join(f"{source}: {p}" for p in problems))
    return bank


def _describe(exc: ValidationError, data: dict[str, Any], source: str) -> str:
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
            index = loc[1]
            raw = data.get("questions") or []
            qid = (
                raw[index].get("id") if index < len(raw) and isinstance(raw[index], dict) else None
            )
            where = f"question {qid!r} (#{index + 1}) " if qid else f"question #{index + 1} "
            loc = loc[2:]
        field = ".".join(str(part) for part in loc if not str(part).startswith("function-"))
        message = error["msg"].removeprefix("Value error, ")
        lines.append(
            f"{source}: {where}field {field!r}: {message}"
            if field
            else f"{source}: {where}{message}"
        )
    return "\n".join(lines)


def _cross_check(bank: QuestionBank) -> list[str]:
    problems: list[str] = []
    for field_name in ("intro", "closing"):
        for _, name, _, _ in string.Formatter().parse(getattr(bank, field_name)):
            if name is not None and name not in TEMPLATE_FIELDS:
                problems.append(
                    f"field {field_name!r}: unknown placeholder {{{name}}}; "
                    f"use {', '.join('{' + f + '}' for f in sorted(TEMPLATE_FIELDS))}"
                )
    seen: dict[str, Question] = {}
    roles: dict[str, str] = {}
    for number, question in enumerate(bank.questions, start=1):
        where = f"question {question.id!r} (#{number})"
        problems.extend(f"{where} {p}" for p in _check_question(question, seen))
        if question.role:
            if question.role in roles:
                problems.append(
                    f"{where} field 'role': {question.role!r} is already the role of "
                    f"{roles[question.role]!r}"
                )
            roles[question.role] = question.id
        if question.id in seen:
            problems.append(f"{where} field 'id': {question.id!r} is used twice")
        seen[question.id] = question
    return problems


def _check_question(question: Question, earlier: Mapping[str, Question]) -> list[str]:
    problems = []
    kind = question.kind
    if kind == "choice":
        options = question.options or []
        if len(options) < 2:
            problems.append("field 'options': a choice question needs at least 2 options")
        ids = [o.id for o in options]
        if len(set(ids)) != len(ids):
            problems.append("field 'options': option ids must be unique")
        if len(options) > 25:
            problems.append("field 'options': at most 25 options fit as buttons")
    elif question.options is not None:
        problems.append(f"field 'options': only choice questions have options, this is {kind}")
    if kind == "rating":
        scale = question.rating_scale
        if not scale.min < scale.max or scale.max - scale.min > 10:
            problems.append("field 'scale': needs min < max and at most 11 points")
        if any(not scale.min <= point <= scale.max for point in scale.labels):
            problems.append("field 'scale.labels': a label is outside min..max")
    elif question.scale is not None:
        problems.append(f"field 'scale': only rating questions have a scale, this is {kind}")
    if question.probe and kind != "text":
        problems.append("field 'probe': only text questions get follow-ups")
    if question.role == "primary_reason" and (
        kind != "choice" or not all(o.category for o in question.options or [])
    ):
        problems.append(
            "field 'role': the primary_reason question must be a choice whose every option "
            "has a category"
        )
    if question.when is not None:
        problems.extend(_check_condition(question.when, earlier))
    return problems


def _check_condition(when: Condition, earlier: Mapping[str, Question]) -> list[str]:
    try:
        name, _ = when.operator()
    except ValueError as exc:
        return [f"field 'when': {exc}"]
    target = earlier.get(when.question)
    if target is None:
        return [f"field 'when.question': {when.question!r} is not an earlier question"]
    if name in ("at_most", "at_least"):
        if target.kind != "rating":
            return [
                f"field 'when.{name}': only works on a rating question, "
                f"{target.id!r} is {target.kind}"
            ]
        return []
    if target.kind == "text":
        return [f"field 'when': cannot compare the free text of {target.id!r}"]
    allowed = {c.value for c in target.choices()}
    unknown = [v for v in when.compared_values() if v not in allowed]
    if unknown:
        field = "in" if name == "in_" else name
        return [
            f"field 'when.{field}': {', '.join(map(repr, unknown))} is not an answer of "
            f"{target.id!r} ({', '.join(sorted(allowed))})"
        ]
    return []
