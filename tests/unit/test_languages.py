"""The interview in the employee's language, through the core and the catalogs alone: what
the catalogs hold, words read in each language, a bank's translations, switching language."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, time
from pathlib import Path
from textwrap import dedent

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from adapters.catalogs import LOCALES, TEMPLATE, languages, shipped, speech_for
from adapters.llm.offline import OfflineAnalyst
from adapters.timephrases import read_time
from core import wording
from core.analysis import Analysis
from core.dialogue import Dialogue, DialoguePolicy, control_word
from core.interview import Interview, InterviewState, Person
from core.layout import Note, summary_document
from core.messages import QuestionMessage, TextMessage
from core.questions import BankError, parse_bank
from core.reporting import InterviewSummary, TranscriptEntry
from core.snooze import parse_later
from core.speech import English
from core.taxonomy import Reason

ROOT = Path(__file__).resolve().parents[2]
# Where employee-facing sentences are written (Babel extracts the marked ones).
SOURCES = [ROOT / "core", *(ROOT / "adapters" / p for p in ("slack", "teams", "console"))]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
OTHERS = [code for code in shipped() if code != "en"]


def extracted() -> set[str]:
    ids: set[str] = set()
    for source in SOURCES:
        for _, _, message, _, _ in extract_from_dir(source):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_the_template_holds_every_marked_sentence_in_the_code() -> None:
    with TEMPLATE.open("rb") as pot:
        template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(pot) if m.id}
    missing = extracted() - template
    assert not missing, f"run the README's pybabel extract: not in messages.pot: {missing}"


@pytest.mark.parametrize("language", OTHERS)
def test_every_catalog_translates_every_sentence_with_the_same_placeholders(
    language: str,
) -> None:
    with (LOCALES / f"{language}.po").open("rb") as po:
        catalog = read_po(po)
    for message_id in extracted():
        message = catalog.get(message_id)
        assert message is not None, f"{language}.po lacks {message_id!r}"
        assert not message.fuzzy, f"{language}.po: {message_id!r} is fuzzy"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"{language}.po: {message_id!r} untranslated"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for string in strings:
            assert placeholders(string) == placeholders(ids[-1]), (language, message_id)


def test_no_sentence_in_the_wording_module_escapes_the_catalog() -> None:
    """Every string written in core/wording.py is a message id (N_, gettext, ngettext):
    one added as plain text would reach employees in English only."""
    tree = ast.parse((ROOT / "core" / "wording.py").read_text())
    marked: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("N_", "gettext", "ngettext", "_"):
                marked |= {id(arg) for arg in node.args}
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    plain = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"[A-Za-z]{2}", node.value)
        and id(node) not in marked | docstrings
    ]
    # Dictionary keys that are what people type in English, never shown.
    assert set(plain) <= {"in an hour", "tomorrow", "next week"}, plain


# -- an interview in each language --------------------------------------------------------
BANK = parse_bank(
    dedent("""\
    intro: {en: "Hi {name}.", es: "Hola, {name}.", de: "Hallo {name}."}
    closing: {en: "Thanks.", es: "Gracias.", de: "Danke."}
    questions:
      - id: reason
        text: {en: "Main reason?", es: "¿Motivo principal?", de: "Hauptgrund?"}
        kind: choice
        required: true
        role: primary_reason
        options:
          - {id: growth, label: {en: Career growth, es: Crecimiento, de: Entwicklung}, category: career_growth}
          - {id: pay, label: {en: Pay, es: Sueldo, de: Gehalt}, category: compensation}
      - id: why
        text: {en: "What happened?", es: "¿Qué pasó?", de: "Was ist passiert?"}
        kind: text
        probe: true
      - id: rating
        text: {en: Rate it, es: Valóralo, de: Bewerte es}
        kind: rating
      - id: back
        text: {en: "Come back?", es: "¿Volverías?", de: "Zurückkommen?"}
        kind: yes_no
        unsure: true
"""),
    "test bank",
)


class Careful(OfflineAnalyst):
    """Asks the careful question after every open answer, in any language: the same path
    for every language, and the one follow-up ExitBot itself words."""

    def follow_up(self, *args: object, **kwargs: object) -> str | None:
        return wording.DISCLOSURE_FOLLOW_UP


def dialogue() -> Dialogue:
    return Dialogue(
        bank=BANK,
        analyst=Careful(),
        policy=DialoguePolicy(retention_days=30, model_host="api.example.com"),
        reader=read_time,
        languages=languages(),
    )


def interview_in_progress(language: str | None) -> Interview:
    started = interview(language)
    dialogue().open(started, NOW, "test")
    return started


def interview(language: str | None) -> Interview:
    person = Person(platform="test", user_id="U1", display_name="Ana Ruiz", timezone="UTC")
    return Interview(employee=person, created_at=NOW, language=language)


def catalogued(messages: list[TextMessage | QuestionMessage]) -> list[str]:
    """What of these the catalog says (a question's own text and options are the bank's)."""
    return [
        m.text for m in messages if not (isinstance(m, QuestionMessage) and m.question_id in BANK)
    ]


def everything_said(language: str) -> list[str]:
    """What ExitBot says along every path an employee can take, in `language`."""
    talk, said = dialogue(), []
    i = interview(language)
    said += catalogued(talk.open(i, NOW, "test"))
    for text in ["help", "back", "??", "skip"]:  # the controls, in English (always read)
        said += catalogued(talk.on_text(i, text, NOW))
    said += catalogued(talk.on_choice(i, "reason", "growth", NOW))
    said += catalogued(talk.on_choice(i, "reason", "pay", NOW))  # an old button
    said += catalogued(talk.on_text(i, "It was fine", NOW))
    said += catalogued(talk.on_text(i, "later", NOW))
    said += catalogued(talk.check_in(i, NOW))
    said += catalogued(talk.on_text(i, "later someday maybe", NOW))
    said += catalogued(talk.remind(i, NOW))
    said += catalogued(talk.on_text(i, "skip", NOW))
    said += catalogued(talk.on_text(i, "eleven", NOW))
    said += catalogued(talk.on_text(i, "stop", NOW))
    said += catalogued(talk.abandon(interview_in_progress(language), NOW))
    scheduled = interview(language)
    scheduled.due_at = NOW
    said += catalogued(talk.on_text_before_start(scheduled, "hi", NOW))
    return said


@pytest.mark.parametrize("language", OTHERS)
def test_every_path_of_the_interview_is_said_in_the_employees_language(language: str) -> None:
    english, other = everything_said("en"), everything_said(language)
    assert len(english) == len(other)
    same = [e for e, o in zip(english, other, strict=True) if e == o and re.search("[a-z]{3}", e)]
    assert not same, f"said in English in a {language} interview: {same}"


@pytest.mark.parametrize(
    ("language", "typed", "word"),
    [
        ("es", "Saltar", "skip"),
        ("es", "siguiente", "skip"),
        ("es", "atrás", "back"),
        ("de", "Überspringen!", "skip"),
        ("de", "zurück", "back"),
        ("de", "Hilfe", "help"),
        ("fr", "passer", "skip"),
        ("fr", "aide", "help"),
        ("pt", "pular", "skip"),
        ("pt", "voltar", "back"),
        ("de", "skip", "skip"),  # English works in every language
        ("es", "saltar esta", None),  # an answer, not the word
    ],
)
def test_control_words_in_each_language(language: str, typed: str, word: str | None) -> None:
    assert control_word(typed, speech_for(language)) == word


@pytest.mark.parametrize(
    ("language", "question", "typed", "value"),
    [
        ("de", "back", "ja", "yes"),
        ("es", "back", "sí", "yes"),
        ("fr", "back", "peut-être", "maybe"),
        ("pt", "back", "não", "no"),
        ("de", "back", "Vielleicht", "maybe"),
        ("fr", "rating", "5 sur 5", "5"),
        ("de", "rating", "4 von 5", "4"),
        ("es", "rating", "3 de 5", "3"),
        ("es", "rating", "3 sur 5", None),  # French in a Spanish interview is not read
        ("es", "reason", "sueldo", "pay"),
        ("de", "reason", "Entwicklung", "growth"),
    ],
)
def test_typed_answers_are_read_in_the_employees_language(
    language: str, question: str, typed: str, value: str | None
) -> None:
    bank = BANK.in_language(language).spoken(speech_for(language))
    assert bank.get(question).interpret(typed) == value


@pytest.mark.parametrize(
    ("language", "typed", "hour"),
    [
        ("fr", "plus tard demain 15h", 15),
        ("es", "más tarde mañana a las 16:30", 16),
        ("de", "später morgen 15 Uhr", 15),
        ("pt", "mais tarde amanhã 14h", 14),
    ],
)
def test_later_with_a_time_in_each_language(language: str, typed: str, hour: int) -> None:
    until = parse_later(typed, NOW, "UTC", time(10, 0), read_time, speech_for(language))
    assert isinstance(until, datetime)
    assert (until.date() - NOW.date()).days == 1 and until.hour == hour


def test_a_pause_is_said_with_the_day_and_time_as_the_language_writes_them() -> None:
    talk, i = dialogue(), interview("de")
    talk.open(i, NOW, "test")
    [paused] = talk.on_text(i, "später freitag 14 uhr", NOW)
    assert "am Freitag um 14:00" in paused.text
    scheduled = interview("es")
    scheduled.due_at = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    [not_yet] = talk.on_text_before_start(scheduled, "hola", NOW)
    assert "lunes, 9 de marzo" in not_yet.text


def test_the_employee_changes_language_and_is_asked_again_in_it() -> None:
    talk, i = dialogue(), interview(None)
    talk.open(i, NOW, "test")
    said = talk.on_text(i, "language: Deutsch", NOW)
    assert i.language == "de"
    assert said[0] == TextMessage(text="Ab jetzt schreibe ich dir auf Deutsch.")
    assert isinstance(said[1], QuestionMessage) and said[1].text == "Hauptgrund?"
    assert [c.label for c in said[1].choices] == ["Entwicklung", "Gehalt"]
    # In the language's own word, and the language named in another one.
    talk.on_text(i, "Sprache: spanisch", NOW)
    assert i.language == "es"
    talk.on_text(i, "idioma: ingles", NOW)  # without its accent, as keyboards often are
    assert i.language == "en"
    talk.on_text(i, "language: FRANÇAIS", NOW)
    assert i.language == "fr"


def test_a_language_exitbot_does_not_speak_gets_the_ones_it_does() -> None:
    talk, i = dialogue(), interview("es")
    talk.open(i, NOW, "test")
    [offered] = talk.on_text(i, "idioma: klingon", NOW)
    assert i.language == "es"
    assert "Deutsch" in offered.text and "español" in offered.text
    assert offered.text.startswith("Puedo hacerte la entrevista en")
    # A sentence that merely starts like one is an answer.
    talk.on_choice(i, "reason", "growth", NOW)
    talk.on_text(i, "Idioma: el problema era que nadie hablaba conmigo", NOW)
    assert i.answers["why"].value == "Idioma: el problema era que nadie hablaba conmigo"


def test_plural_forms_follow_each_language() -> None:
    one = wording.kept_for(speech_for("fr"), 1)
    many = wording.kept_for(speech_for("fr"), 90)
    assert one.startswith("pendant 1 jour ") and many.startswith("pendant 90 jours ")
    assert wording.kept_for(English(), 1).startswith("for 1 day ")


# -- the bank's translations ----------------------------------------------------------------
def test_a_bank_lists_what_each_language_lacks() -> None:
    bank = parse_bank(
        dedent("""\
        intro: {en: Hi, es: Hola}
        closing: Bye
        questions:
          - id: q
            text: {en: "Why?", de: "Warum?"}
            kind: choice
            options:
              - {id: a, label: {en: A, es: A-es}}
              - {id: b, label: B}
        """),
        "hr.yaml",
    )
    assert bank.languages == ["en", "de", "es"]
    assert bank.missing_translations() == {
        "de": [
            "field 'intro'",
            "field 'closing'",
            "question 'q' (#1) field 'options.0.label'",
            "question 'q' (#1) field 'options.1.label'",
        ],
        "es": [
            "field 'closing'",
            "question 'q' (#1) field 'text'",
            "question 'q' (#1) field 'options.1.label'",
        ],
    }
    spanish = bank.in_language("es")
    assert spanish.intro == "Hola" and spanish.closing == "Bye"
    assert spanish.get("q").text == "Why?"  # the bank's own where Spanish is missing
    assert bank.in_language("fr") is bank


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{es: Hola}", "hr.yaml: field 'intro': has no 'en' text (the bank's language)"),
        ("{en: Hi, es: [Hola]}", "hr.yaml: field 'intro': a translation must be text, not list"),
    ],
)
def test_a_broken_translation_is_named(text: str, problem: str) -> None:
    yaml = f'intro: {text}\nclosing: Bye\nquestions:\n  - {{id: q, text: "Why", kind: text}}\n'
    with pytest.raises(BankError) as raised:
        parse_bank(yaml, "hr.yaml")
    assert problem in str(raised.value)


def test_the_bundled_bank_speaks_every_shipped_language_fully() -> None:
    from bot.container import load_bank
    from bot.settings import Settings

    bank = load_bank(Settings(DATABASE_URL="sqlite://"))  # type: ignore[call-arg]
    assert set(bank.languages) == set(shipped())
    assert bank.missing_translations() == {}
    for language in OTHERS:
        translated = bank.in_language(language)
        assert translated.intro != bank.intro
        assert all(q.text != bank.get(q.id).text for q in translated.questions), (
            f"a question left in English in {language}"
        )


# -- reading answers in another language ------------------------------------------------------
def test_the_offline_analyst_codes_other_languages_only_from_picks_and_ratings() -> None:
    analyst = OfflineAnalyst()
    entries = [
        TranscriptEntry("reason", "Main?", None, "primary_reason", "compensation", "Pay", False),
        TranscriptEntry("why", "Why?", None, None, "x", "Mi jefe me gritaba cada día.", True),
        TranscriptEntry("growth", "Growth?", Reason.CAREER_GROWTH, None, "1", "1/5", False, 1, 5),
    ]
    analysis = analyst.summarize(entries, language="es")
    assert analysis.primary_reason is Reason.COMPENSATION
    assert analysis.secondary_reasons == [Reason.CAREER_GROWTH]
    assert analysis.quotes == [] and analysis.disclosures == []
    assert analysis.unread_language == "es"
    assert analyst.summarize(entries, language="en").unread_language is None
    # HR are told, in the summary, why nothing came from the words.
    summary = InterviewSummary(
        interview_id="i1",
        employee="Ana Ruiz",
        platform="test",
        employee_user_id="U1",
        outcome="COMPLETED",
        answered=3,
        asked=3,
        unread_language=analysis.unread_language,
    )
    notes = [b.text for b in summary_document(summary).blocks if isinstance(b, Note)]
    assert any(
        n.startswith("Answered in es: the offline analyst reads English only") for n in notes
    )
    assert analyst.follow_up(BANK.get("why"), "No sé", [], language="es") is None
    assert analyst.follow_up(BANK.get("why"), "Stuff.", [], language="en") is not None


def test_translations_are_erased_with_the_employees_words() -> None:
    analysis = Analysis(translations={"Mi jefe": "My boss"}, quotes=["Mi jefe"])
    assert analysis.without_words().translations == {}


def test_an_interview_that_ended_is_closed_in_its_language() -> None:
    talk, i = dialogue(), interview("pt")
    talk.open(i, NOW, "test")
    talk.on_text(i, "parar", NOW)
    assert i.state is InterviewState.DECLINED
    assert talk.say(i, wording.CLOSED)[0].text.startswith("A sua entrevista de saída está")
