"""The question engine: the bundled bank, a broken bank's messages, skip logic, typed answers."""

from __future__ import annotations

from importlib import resources
from textwrap import dedent

import pytest

from core.question_kinds import QUESTION, Question
from core.questions import BankError, QuestionBank, parse_bank
from core.taxonomy import Reason

BUNDLED = (resources.files("core") / "banks" / "default.yaml").read_text()


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return parse_bank(BUNDLED, "default.yaml")


def test_bundled_bank_follows_the_guidance(bank: QuestionBank) -> None:
    assert 10 <= len(bank.questions) <= 14
    first = bank.questions[0]
    assert first.role == "primary_reason" and first.kind == "choice" and first.required
    # Every reason in the taxonomy can be picked as the primary one.
    assert {o.category for o in first.options or []} == set(Reason)
    assert {"retention", "return", "recommend", "advice"} <= {q.role for q in bank.questions}
    recommend = bank.by_role("recommend")
    assert recommend is not None and recommend.kind == "nps"
    assert [c.value for c in recommend.choices()] == [str(n) for n in range(11)]
    assert "{name}" in bank.closing and "HR" in bank.closing


def test_involuntary_leavers_are_not_asked_whether_they_would_return(bank: QuestionBank) -> None:
    asked = _walk(bank, {"primary_reason": "involuntary", "manager_rating": "4"})
    assert "would_return" not in asked and "retention" not in asked
    assert "ending_handled" in asked and "trigger" not in asked
    voluntary = _walk(bank, {"primary_reason": "career_growth", "manager_rating": "4"})
    assert "would_return" in voluntary and "ending_handled" not in voluntary


def test_manager_detail_only_after_a_low_manager_rating(bank: QuestionBank) -> None:
    assert "manager_detail" in _walk(bank, {"primary_reason": "manager", "manager_rating": "2"})
    assert "manager_detail" not in _walk(bank, {"primary_reason": "manager", "manager_rating": "3"})
    # Skipped rating: nothing says the manager was poor, so no deeper question.
    assert "manager_detail" not in _walk(
        bank, {"primary_reason": "manager", "manager_rating": None}
    )


def _walk(bank: QuestionBank, given: dict[str, str | None]) -> list[str]:
    """Answer the bank in order with the given values (anything else: 'x' or the first
    choice), returning the ids asked."""
    answers: dict[str, str | None] = {}
    asked = []
    while (question := bank.next_question(answers)) is not None:
        asked.append(question.id)
        if question.id in given:
            answers[question.id] = given[question.id]
        else:
            choices = question.choices()
            answers[question.id] = choices[-1].value if choices else "x"
    return asked


def test_progress_counts_the_questions_this_person_may_still_see(bank: QuestionBank) -> None:
    position, total = bank.progress({})
    assert position == 1
    assert total == len(bank.questions)  # nothing is ruled out before the first answer
    position, total_after = bank.progress({"primary_reason": "involuntary"})
    assert position == 2 and total_after < total
    assert bank.likely_total({}) == len(
        [q for q in bank.questions if q.when is None or q.when.holds(None)]
    )


@pytest.mark.parametrize("manager", ["1", "5"])
def test_progress_never_goes_back(bank: QuestionBank, manager: str) -> None:
    """[4/13] after [3/12] read as going backwards: the total now only shrinks."""
    given = {"primary_reason": "career_growth", "manager_rating": manager}
    answers: dict[str, str | None] = {}
    shown = []
    while (question := bank.next_question(answers)) is not None:
        shown.append(bank.progress(answers))
        choices = question.choices()
        answers[question.id] = given.get(question.id) or (choices[0].value if choices else "x")
    totals = [total for _, total in shown]
    assert totals == sorted(totals, reverse=True)
    assert [p / t for p, t in shown] == sorted(p / t for p, t in shown)
    assert shown[-1][0] == shown[-1][1]  # the last question says so


# -- typed answers -----------------------------------------------------------------------------
def q(**fields: object) -> Question:
    return QUESTION.validate_python({"id": "q", "text": "?", **fields})


CHOICE = q(
    kind="choice",
    options=[
        {"id": "career_growth", "label": "Career growth"},
        {"id": "compensation", "label": "Pay or benefits"},
        {"id": "manager", "label": "My manager"},
        {"id": "other", "label": "Something else"},
    ],
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2", "compensation"),
        (" 2. ", "compensation"),
        ("Career growth", "career_growth"),
        ("career GROWTH!", "career_growth"),
        ("career", "career_growth"),
        ("pay", "compensation"),
        ("manager", "manager"),
        ("my manager", "manager"),
        ("something else", "other"),
        ("5", None),
        ("0", None),
        ("my", None),
        ("because of the commute", None),
        ("", None),
    ],
)
def test_choice_question_takes_its_answer_typed(typed: str, expected: str | None) -> None:
    assert CHOICE.interpret(typed) == expected


RATING = q(kind="rating", scale={"min": 1, "max": 5, "labels": {1: "Very poor", 5: "Excellent"}})


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4", "4"),
        ("4/5", "4"),
        ("4 out of 5", "4"),
        ("four", "4"),
        ("Excellent", "5"),
        ("very poor", "1"),
        # The button's label typed back whole, as people copy it.
        ("1 · Very poor", "1"),
        ("5 - excellent", "5"),
        ("2 · Very poor", None),
        ("6", None),
        ("0", None),
        ("great", None),
        ("3.5", None),
    ],
)
def test_rating_question_takes_a_number_or_a_label(typed: str, expected: str | None) -> None:
    assert RATING.interpret(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("yes", "yes"),
        ("Y", "yes"),
        ("Yeah!", "yes"),
        ("1", "yes"),
        ("no", "no"),
        ("Nope.", "no"),
        ("2", "no"),
        ("maybe", None),
    ],
)
def test_yes_no_question(typed: str, expected: str | None) -> None:
    assert q(kind="yes_no").interpret(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("maybe", "maybe"),
        ("Not sure", "maybe"),
        ("1", "yes"),
        ("2", "maybe"),
        ("3", "no"),
        ("4", None),
    ],
)
def test_a_yes_no_question_can_take_maybe(typed: str, expected: str | None) -> None:
    unsure = q(kind="yes_no", unsure=True)
    assert [c.label for c in unsure.choices()] == ["Yes", "Maybe", "No"]
    assert unsure.interpret(typed) == expected


def test_would_you_come_back_takes_maybe_in_the_bundled_bank(bank: QuestionBank) -> None:
    assert bank.get("would_return").interpret("maybe") == "maybe"


def test_text_answer_is_kept_verbatim_but_trimmed() -> None:
    assert q(kind="text").interpret("  Pay was <b>low</b> & late  ") == "Pay was <b>low</b> & late"


NPS = q(kind="nps")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("0", "0"), ("10", "10"), ("9/10", "9"), ("seven", "7"), ("11", None), ("-1", None)],
)
def test_nps_question_takes_zero_to_ten(typed: str, expected: str | None) -> None:
    assert NPS.interpret(typed) == expected


def test_each_kind_says_what_its_answers_are_worth() -> None:
    assert (NPS.number("9"), NPS.scale().max, NPS.label_of("9")) == (9, 10, "9/10")
    assert (RATING.number("4"), RATING.scale().max) == (4, 5)
    assert CHOICE.number("manager") is None and CHOICE.scale() is None
    assert q(kind="text").free_text and not NPS.free_text and not CHOICE.free_text
    assert NPS.hint() == "a number from 0 to 10"
    assert q(kind="yes_no").hint() == "yes or no"


def test_nps_takes_no_scale_of_its_own() -> None:
    with pytest.raises(
        BankError, match="field 'scale': only rating questions have scale, this is nps"
    ):
        parse_bank(
            "intro: hi\nclosing: bye\nquestions:\n"
            "  - {id: r, text: Recommend, kind: nps, scale: {min: 1, max: 5}}\n",
            "hr.yaml",
        )


def test_labels_read_back_for_people() -> None:
    assert CHOICE.label_of("compensation") == "Pay or benefits"
    assert RATING.label_of("4") == "4/5"
    assert q(kind="yes_no").label_of("no") == "No"


# -- broken banks ----------------------------------------------------------------------------
VALID = dedent("""\
    intro: Hi {name}
    closing: Bye {name}
    questions:
      - id: reason
        text: Why?
        kind: choice
        options:
          - {id: pay, label: Pay, category: compensation}
          - {id: boss, label: Boss, category: manager}
      - id: rating
        text: How was it?
        kind: rating
      - id: detail
        text: Tell me more
        kind: text
        probe: true
        when: {question: rating, at_most: 2}
""")


def test_a_valid_small_bank_parses() -> None:
    bank = parse_bank(VALID, "hr.yaml")
    assert [x.id for x in bank.questions] == ["reason", "rating", "detail"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("kind: rating", "kind: stars"),
            "hr.yaml: question 'rating' (#2) field 'kind': must be one of text, choice, yes_no, "
            "rating, nps, not 'stars'",
        ),
        (
            ("    text: How was it?\n", ""),
            "hr.yaml: question 'rating' (#2) field 'text': Field required",
        ),
        (
            ("category: manager", "category: bosses"),
            "hr.yaml: question 'reason' (#1) field 'options.1.category': Input should be",
        ),
        (
            ("question: rating, at_most: 2", "question: later, at_most: 2"),
            "hr.yaml: question 'detail' (#3) field 'when.question': 'later' is not an earlier question",
        ),
        (
            ("question: rating, at_most: 2", "question: reason, equals: salary"),
            "hr.yaml: question 'detail' (#3) field 'when.equals': 'salary' is not an answer of 'reason'",
        ),
        (
            ("question: rating, at_most: 2", "question: reason, at_most: 2"),
            "hr.yaml: question 'detail' (#3) field 'when.at_most': only works on a question answered with a number",
        ),
        (
            ("question: rating, at_most: 2", "question: rating"),
            "hr.yaml: question 'detail' (#3) field 'when': needs exactly one of",
        ),
        (
            ("- id: detail", "- id: rating"),
            "hr.yaml: question 'rating' (#3) field 'id': 'rating' is used twice",
        ),
        (
            ("probe: true", "probe: true\n    required: maybe"),
            "hr.yaml: question 'detail' (#3) field 'required': Input should be a valid boolean",
        ),
        (
            ("kind: rating", "kind: rating\n    probe: true"),
            "hr.yaml: question 'rating' (#2) field 'probe': only text questions get follow-ups",
        ),
        (
            ("intro: Hi {name}", "intro: Hi {first_name}"),
            "hr.yaml: field 'intro': unknown placeholder {first_name}",
        ),
        (
            ("text: Why?", "text: Why?\n    colour: red"),
            "hr.yaml: question 'reason' (#1) field 'colour': Extra inputs are not permitted",
        ),
        (
            ("- {id: boss, label: Boss, category: manager}", ""),
            "hr.yaml: question 'reason' (#1) field 'options': a choice question needs at least 2 options",
        ),
        (
            ("questions:", "questions: []\nold:"),
            "hr.yaml: field 'questions': List should have at least 1 item",
        ),
    ],
)
def test_a_broken_bank_names_file_question_and_field(
    change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in VALID
    with pytest.raises(BankError) as raised:
        parse_bank(VALID.replace(old, new, 1), "hr.yaml")
    assert expected in str(raised.value)


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(BankError, match=r"^hr.yaml line 5: mapping values are not allowed here"):
        parse_bank("intro: x\nclosing: y\nquestions:\n  - id: a\n    text: b: c\n", "hr.yaml")


def test_not_a_mapping() -> None:
    with pytest.raises(BankError, match="expected a mapping"):
        parse_bank("- just\n- a list\n", "hr.yaml")


def test_yes_no_conditions_accept_yaml_booleans() -> None:
    text = VALID.replace("kind: rating\n", "kind: yes_no\n").replace(
        "question: rating, at_most: 2", "question: rating, equals: no"
    )
    bank = parse_bank(text, "hr.yaml")
    assert bank.applies(bank.get("detail"), {"rating": "no"})
    assert not bank.applies(bank.get("detail"), {"rating": "yes"})
