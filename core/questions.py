"""The question engine: a bank of questions HR can edit, validated on load, and the rules
that pick the next question. What each kind of question offers and reads is in
core/question_kinds.py.

A bank is YAML text; `parse_bank` turns it into a `QuestionBank` or raises `BankError` with
one line per problem, each naming the file, the question and the field.

A bank speaks its `language` (English by default) and may carry translations: any text a
person reads (intro, closing, a question's text, an option's label, a scale's labels) is
either a string or a mapping from language to string (`text: {en: ..., es: ...}`). The
bank in one language (`in_language`) uses the source text where a translation is missing;
`missing_translations` lists those gaps for `exitbot questions`.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from core.question_kinds import (
    KINDS,
    NO,
    YES,
    BaseQuestion,
    Choice,
    Condition,
    Question,
    Role,
)
from core.speech import ENGLISH, Speech

__all__ = ["NO", "YES", "BankError", "Choice", "Question", "QuestionBank", "Role", "parse_bank"]

TEMPLATE_FIELDS = frozenset({"name", "kept", "review"})


class BankError(ValueError):
    """A question bank that cannot be used; the message names file, question and field."""


class QuestionBank(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] = ENGLISH
    intro: Annotated[str, Field(min_length=1, max_length=2000)]
    closing: Annotated[str, Field(min_length=1, max_length=2000)]
    questions: Annotated[list[Question], Field(min_length=1, max_length=40)]

    # The same bank in each language it has translations for (by parse_bank), and for
    # each language the texts it lacks.
    _translations: dict[str, QuestionBank] = PrivateAttr(default_factory=dict)
    _missing: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        """Every language the bank has text in, its own first."""
        return [self.language, *sorted(set(self._translations) - {self.language})]

    def in_language(self, language: str) -> QuestionBank:
        """The bank as someone speaking `language` reads it (its own where there is none)."""
        return self._translations.get(language, self)

    def missing_translations(self) -> dict[str, list[str]]:
        """Per language, where a text has no translation (it is shown in the bank's own)."""
        return {lang: list(gaps) for lang, gaps in self._missing.items() if gaps}

    def spoken(self, speech: Speech) -> QuestionBank:
        """This bank with each question's own words (Yes, No, hints) in `speech`."""
        copy = self.model_copy(update={"questions": [q.spoken(speech) for q in self.questions]})
        return copy

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
        """(number of the next question, how many this person may still be asked with those
        done): a question counts until an answer rules it out, so the total only shrinks
        and the progress shown never goes back ([4/13] after [3/12] did)."""
        done = sum(1 for q in self.questions if q.id in answers)
        left = sum(1 for q in self.questions if q.id not in answers and self._may_apply(q, answers))
        return done + 1, done + left

    def likely_total(self, answers: Mapping[str, str | None]) -> int:
        """How many questions this person would be asked if they went on from here."""
        done = sum(1 for q in self.questions if q.id in answers)
        return done + sum(
            1 for q in self.questions if q.id not in answers and self.applies(q, answers)
        )

    def _may_apply(self, question: Question, answers: Mapping[str, str | None]) -> bool:
        when = question.when
        if when is None:
            return True
        if when.question in answers:
            return when.holds(answers[when.question])
        # Undecided while the question it depends on may still be asked.
        return when.question in self and self._may_apply(self.get(when.question), answers)


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
    own = data.get("language", ENGLISH)
    texts: list[tuple[str, dict[Any, Any]]] = []

    def note(where: str, value: Any) -> Any:
        if isinstance(value, dict):
            texts.append((where, value))
        return value

    _with_texts(data, note)
    problems = [
        f"{source}: {where}: a translation must be text, not {type(value).__name__}"
        for where, mapping in texts
        for value in mapping.values()
        if not isinstance(value, str)
    ]
    problems += [
        f"{source}: {where}: has no {own!r} text (the bank's language)"
        for where, mapping in texts
        if own not in mapping and isinstance(own, str)
    ]
    if problems:
        raise BankError("\n".join(problems))
    others = sorted({str(lang) for _, mapping in texts for lang in mapping} - {own})
    bank = _validated(_resolved(data, own, own, []), data, source)
    problems = _cross_check(bank)
    if problems:
        raise BankError("\n".join(f"{source}: {p}" for p in problems))
    for lang in others:
        gaps: list[str] = []
        translated = _validated(_resolved(data, lang, own, gaps), data, source)
        bank._translations[lang] = translated
        bank._missing[lang] = gaps
    return bank


def _validated(data: dict[str, Any], raw: dict[str, Any], source: str) -> QuestionBank:
    try:
        return QuestionBank.model_validate(data)
    except ValidationError as exc:
        raise BankError(_describe(exc, raw, source)) from None


def _resolved(data: Any, language: str, own: str, gaps: list[str]) -> Any:
    """`data` with every multilingual text in `language` (else the bank's own), noting gaps.
    A text given only as a plain string is the bank's own and counts as a gap elsewhere."""
    translated = {"language": language} if language != own else {}

    def say(where: str, value: Any) -> Any:
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            if language not in value:
                gaps.append(where)
            return value.get(language, value.get(own))
        if isinstance(value, str) and language != own:
            gaps.append(where)
        return value

    return {**_with_texts(data, say), **translated}


# Visits one text a person reads: where it is (for messages), its value -> the value to keep.
Visit = Callable[[str, Any], Any]


def _with_texts(data: dict[str, Any], visit: Visit) -> dict[str, Any]:
    """`data` with every text a person reads (intro, closing, a question's text, an option's
    label, a scale's labels) replaced by what `visit` makes of it, in bank order: the one
    place that knows where a bank's texts are."""
    out = dict(data)
    for name in ("intro", "closing"):
        if name in out:
            out[name] = visit(f"field {name!r}", out[name])
    questions = out.get("questions")
    if isinstance(questions, list):
        out["questions"] = [
            _question_texts(q, n, visit) if isinstance(q, dict) else q
            for n, q in enumerate(questions, 1)
        ]
    return out


def _question_texts(question: dict[str, Any], number: int, visit: Visit) -> dict[str, Any]:
    where = f"question {question.get('id')!r} (#{number}) field"
    out = dict(question)
    if "text" in out:
        out["text"] = visit(f"{where} 'text'", out["text"])
    if isinstance(out.get("options"), list):
        out["options"] = [
            {**o, "label": visit(f"{where} 'options.{i}.label'", o["label"])}
            if isinstance(o, dict) and "label" in o
            else o
            for i, o in enumerate(out["options"])
        ]
    scale = out.get("scale")
    if isinstance(scale, dict) and isinstance(scale.get("labels"), dict):
        labels = {p: visit(f"{where} 'scale.labels.{p}'", v) for p, v in scale["labels"].items()}
        out["scale"] = {**scale, "labels": labels}
    return out


def _describe(exc: ValidationError, data: dict[str, Any], source: str) -> str:
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        where, kind = "", None
        if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
            index = loc[1]
            raw = data.get("questions") or []
            item = raw[index] if index < len(raw) and isinstance(raw[index], dict) else {}
            qid, kind = item.get("id"), item.get("kind")
            where = f"question {qid!r} (#{index + 1}) " if qid else f"question #{index + 1} "
            # Errors inside a kind name the kind (the union's tag) before the field.
            loc = loc[3:] if len(loc) > 2 and loc[2] in KINDS else loc[2:]
        field = ".".join(str(part) for part in loc if not str(part).startswith("function-"))
        message = _message(error, field, kind)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field = "kind"
        lines.append(
            f"{source}: {where}field {field!r}: {message}"
            if field
            else f"{source}: {where}{message}"
        )
    return "\n".join(lines)


def _message(error: Any, field: str, kind: object) -> str:
    kinds = ", ".join(KINDS)
    if error["type"] == "union_tag_invalid":
        return f"must be one of {kinds}, not {kind!r}"
    if error["type"] == "union_tag_not_found":
        return f"Field required (one of {kinds})"
    if error["type"] == "extra_forbidden" and field in _OWNED_BY:
        return f"only {_OWNED_BY[field]} questions have {field}, this is {kind}"
    return str(error["msg"]).removeprefix("Value error, ")


# Fields only some kinds have, for a clearer message than "extra inputs".
_OWNED_BY = {"options": "choice", "scale": "rating"}


def _cross_check(bank: QuestionBank) -> list[str]:
    problems: list[str] = []
    for field_name in ("intro", "closing"):
        for _, name, _, _ in string.Formatter().parse(getattr(bank, field_name)):
            if name is not None and name not in TEMPLATE_FIELDS:
                problems.append(
                    f"field {field_name!r}: unknown placeholder {{{name}}}; "
                    f"use {', '.join('{' + f + '}' for f in sorted(TEMPLATE_FIELDS))}"
                )
    seen: dict[str, BaseQuestion] = {}
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


def _check_question(question: BaseQuestion, earlier: Mapping[str, BaseQuestion]) -> list[str]:
    problems = question.problems()
    if question.when is not None:
        problems.extend(_check_condition(question.when, earlier))
    return problems


def _check_condition(when: Condition, earlier: Mapping[str, BaseQuestion]) -> list[str]:
    try:
        name, _ = when.operator()
    except ValueError as exc:
        return [f"field 'when': {exc}"]
    target = earlier.get(when.question)
    if target is None:
        return [f"field 'when.question': {when.question!r} is not an earlier question"]
    if name in ("at_most", "at_least"):
        if target.scale() is None:
            return [
                f"field 'when.{name}': only works on a question answered with a number, "
                f"{target.id!r} is {target.kind}"
            ]
        return []
    if not target.choices():
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
