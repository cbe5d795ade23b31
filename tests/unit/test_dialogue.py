"""The employee's conversation, driven through the core alone (no database, no platform)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from textwrap import dedent

import pytest

from adapters.timephrases import read_time
from core import wording
from core.analysis import Analysis
from core.dialogue import CONTROLS, Dialogue, DialoguePolicy, control_word, privacy_notice
from core.interview import Interview, InterviewState, Person
from core.messages import QuestionMessage, TextMessage
from core.ports import Usage
from core.questions import Question, parse_bank
from core.reporting import TranscriptEntry
from core.speech import English

BANK = parse_bank(
    dedent("""\
    intro: Hi {name}, answers are kept {kept}.
    closing: Thanks {name}, HR will read this.
    questions:
      - id: reason
        text: Main reason?
        kind: choice
        required: true
        role: primary_reason
        options:
          - {id: growth, label: Career growth, category: career_growth}
          - {id: pay, label: Pay, category: compensation}
          - {id: ended, label: My job was ended, category: involuntary}
      - id: why
        text: What happened?
        kind: text
        probe: true
      - id: manager
        text: Rate your manager
        kind: rating
      - id: manager_more
        text: What could they have done?
        kind: text
        probe: true
        when: {question: manager, at_most: 2}
      - id: return
        text: Would you come back?
        kind: yes_no
        when: {question: reason, not_equals: ended}
      - id: advice
        text: Advice?
        kind: text
        probe: true
"""),
    "test bank",
)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class ScriptedAnalyst:
    """A fake of the Analyst port: asks its scripted follow-up after every probe answer."""

    followup: str | None = "Can you give an example?"
    asked_about: list[str] = field(default_factory=list)

    def follow_up(
        self,
        question: Question,
        answer: str,
        earlier: Sequence[TranscriptEntry],
        usage: Usage | None = None,
        language: str | None = None,
    ) -> str | None:
        self.asked_about.append(question.id)
        return self.followup

    def summarize(
        self,
        entries: Sequence[TranscriptEntry],
        usage: Usage | None = None,
        language: str | None = None,
    ) -> Analysis:
        return Analysis()

    def themes(
        self, interviews: Sequence[Sequence[TranscriptEntry]], usage: Usage | None = None
    ) -> list[str]:
        return []


@dataclass
class Chat:
    """One employee talking to a Dialogue; keeps what the bot said."""

    dialogue: Dialogue
    interview: Interview = field(
        default_factory=lambda: Interview(
            employee=Person(platform="test", user_id="U1", display_name="Jane Doe"), created_at=NOW
        )
    )
    said: list[TextMessage | QuestionMessage] = field(default_factory=list)

    def open(self) -> None:
        self.said = self.dialogue.open(self.interview, NOW, "test")

    def say(self, *texts: str) -> None:
        for text in texts:
            self.said = self.dialogue.on_text(self.interview, text, NOW)

    def click(self, question_id: str, value: str) -> None:
        self.said = self.dialogue.on_choice(self.interview, question_id, value, NOW)

    @property
    def last_question(self) -> str | None:
        questions = [m for m in self.said if isinstance(m, QuestionMessage)]
        return questions[-1].question_id if questions else None

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.said]

    def answer(self, question_id: str) -> str | None:
        return self.interview.answers[question_id].value


def chat(followup: str | None = None, max_followups: int = 2) -> Chat:
    policy = DialoguePolicy(max_followups=max_followups, retention_days=90)
    c = Chat(Dialogue(BANK, ScriptedAnalyst(followup), policy))
    c.open()
    return c


def test_opening_says_who_reads_how_long_and_the_words() -> None:
    c = chat()
    intro, notice, controls, first = c.said
    assert (
        isinstance(intro, TextMessage)
        and intro.text == "Hi Jane, answers are kept for 90 days (then your own words are deleted)."
    )
    assert notice == TextMessage(text=privacy_notice(c.dialogue.policy, English()))
    assert controls == TextMessage(text=CONTROLS)
    assert all(f"“{w}”" in CONTROLS for w in ("skip", "back", "later", "stop", "help"))
    assert isinstance(first, QuestionMessage) and first.question_id == "reason"
    assert [ch.label for ch in first.choices] == ["Career growth", "Pay", "My job was ended"]
    assert (first.position, first.total) == (1, 6)  # at most six; fewer once answers rule some out
    assert c.interview.state is InterviewState.IN_PROGRESS


def test_a_whole_interview_typed_ends_with_the_closing() -> None:
    c = chat()
    c.say("pay", "They froze salaries.", "4", "no", "Listen more.")
    assert c.texts == ["Thanks Jane, HR will read this."]
    assert c.interview.state is InterviewState.COMPLETED
    assert {k: a.value for k, a in c.interview.answers.items()} == {
        "reason": "pay",
        "why": "They froze salaries.",
        "manager": "4",
        "return": "no",
        "advice": "Listen more.",
    }


def test_buttons_and_typing_mix() -> None:
    c = chat()
    c.click("reason", "growth")
    assert c.last_question == "why"
    c.say("No path to senior.")
    c.click("manager", "2")
    assert c.last_question == "manager_more"  # skip logic: low rating asks for more


@pytest.mark.parametrize("typed", ["skip", "Skip", " SKIP. ", "skip!"])
def test_skip_passes_on_a_question(typed: str) -> None:
    c = chat()
    c.say("1", typed)
    assert c.interview.answers["why"].skipped
    assert c.last_question == "manager"


def test_skip_in_a_sentence_is_an_answer() -> None:
    c = chat()
    c.say("1", "skip this one please")
    assert c.answer("why") == "skip this one please"


def test_a_required_question_cannot_be_skipped() -> None:
    c = chat()
    c.say("skip")
    assert "can't skip" in c.texts[0]
    assert c.last_question == "reason" and "reason" not in c.interview.answers


def test_back_revisits_the_last_answer_and_returns_to_where_we_were() -> None:
    c = chat()
    c.say("pay", "Salary froze.")
    assert c.last_question == "manager"
    c.say("back")
    [question] = c.said
    assert isinstance(question, QuestionMessage) and question.question_id == "why"
    assert question.previous_answer == "Salary froze."
    c.say("Salary froze for two years.")
    assert c.answer("why") == "Salary froze for two years."
    assert c.last_question == "manager"


def test_skip_on_a_revisited_question_keeps_the_old_answer() -> None:
    c = chat()
    c.say("pay", "Salary froze.", "back", "skip")
    assert c.answer("why") == "Salary froze."
    assert c.last_question == "manager"


def test_back_at_the_first_question_explains_and_asks_again() -> None:
    c = chat()
    c.say("back")
    assert "nothing to go back to" in c.texts[0]
    assert c.last_question == "reason"


def test_changing_an_answer_changes_what_follows() -> None:
    c = chat()
    c.say("pay", "x", "1")
    assert c.last_question == "manager_more"
    c.say("back", "5")
    assert c.last_question == "return"


def test_stop_declines_and_keeps_what_was_said() -> None:
    c = chat()
    c.say("pay", "stop")
    assert c.interview.state is InterviewState.DECLINED
    assert "we'll stop here" in c.texts[0]
    assert c.answer("reason") == "pay"
    assert c.interview.transitions[-1].reason == "the employee said stop"


def test_later_pauses_and_any_message_resumes_at_the_same_question() -> None:
    c = chat()
    c.say("pay", "later")
    assert c.texts[0].startswith(
        "No problem, your answers so far are saved. I'll check back tomorrow at 10:00"
    )
    assert c.interview.paused_until == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    c.say("hi, I'm back")
    assert c.texts[0].startswith("Welcome back")
    assert c.last_question == "why"
    assert "why" not in c.interview.answers  # "hi, I'm back" was not taken as the answer
    assert c.interview.paused_until is None


def test_a_word_after_a_pause_is_obeyed() -> None:
    c = chat()
    c.say("pay", "later", "skip")
    assert c.interview.answers["why"].skipped and c.last_question == "manager"


def test_help_repeats_the_words_and_the_question() -> None:
    c = chat()
    c.say("help")
    assert c.texts[0] == CONTROLS and c.last_question == "reason"


@pytest.mark.parametrize(
    ("question_answers", "typed", "hint"),
    [
        # The first question is required: skipping it is not offered.
        ([], "the commute", "one of the options (its number or its name)."),
        (["pay", "x"], "great", "a number from 1 to 5, or say “skip”."),
        (["pay", "x", "5"], "perhaps", "yes or no, or say “skip”."),
    ],
)
def test_an_answer_that_fits_no_option_gets_a_short_re_ask(
    question_answers: list[str], typed: str, hint: str
) -> None:
    c = chat()
    c.say(*question_answers)
    waiting = c.last_question
    c.say(typed)
    assert c.texts[0] == f"Sorry, I didn't catch that. Please answer with {hint}"
    assert c.interview.pending_question == waiting and waiting not in c.interview.answers
    # The question with all its options is right above: not printed again.
    assert len(c.said) == 1 and c.last_question is None


@pytest.mark.parametrize(
    ("policy", "says", "never_says"),
    [
        (
            DialoguePolicy(retention_days=90),
            [
                "After 90 days your own words are deleted; the reason you pick, your ratings "
                "and your choices are kept without them",
                "No AI service outside ExitBot sees them.",
            ],
            ["AI model at", "until they delete them"],
        ),
        (
            DialoguePolicy(),
            ["HR keep your answers until they delete them.", "No AI service"],
            ["After", "AI model at"],
        ),
        (
            DialoguePolicy(retention_days=30, model_host="api.openai.com"),
            ["After 30 days", "sends your answers to an AI model at api.openai.com."],
            ["No AI service", "taken out"],
        ),
        (
            DialoguePolicy(model_host="acme.openai.azure.com", redacts_contacts=True),
            [
                "until they delete them",
                "sends your answers (with e-mail addresses and phone numbers taken out) to an "
                "AI model at acme.openai.azure.com.",
            ],
            ["After", "No AI service"],
        ),
    ],
)
def test_the_notice_says_what_is_configured(
    policy: DialoguePolicy, says: list[str], never_says: list[str]
) -> None:
    notice = privacy_notice(policy, English())
    for words in says:
        assert words in notice
    for words in never_says:
        assert words not in notice
    assert notice.endswith("You can ask HR to delete everything you said, at any time.")


def test_follow_up_is_asked_and_its_answer_kept_with_the_question() -> None:
    c = chat(followup="What made the freeze hurt most?")
    c.say("pay", "Salary froze.")
    assert c.texts == ["What made the freeze hurt most?"]
    c.say("Rent went up 20%.")
    answer = c.interview.answers["why"]
    assert (answer.followup_question, answer.followup_answer) == (
        "What made the freeze hurt most?",
        "Rent went up 20%.",
    )
    assert c.last_question == "manager"


def test_back_from_a_follow_up_says_it_is_left() -> None:
    c = chat(followup="What made the freeze hurt most?")
    c.say("pay", "Salary froze.", "back")
    note, question = c.said
    assert isinstance(note, TextMessage) and note.text == (
        "Leaving that follow-up question unanswered. Back to the question it was about:"
    )
    assert isinstance(question, QuestionMessage) and question.question_id == "why"


def test_back_to_an_answer_with_a_follow_up_says_a_new_answer_replaces_both() -> None:
    c = chat(followup="What made the freeze hurt most?")
    c.say("pay", "Salary froze.", "Rent went up 20%.", "back")
    note, question = c.said
    assert isinstance(note, TextMessage) and "goes with it if you change your answer" in note.text
    assert isinstance(question, QuestionMessage) and question.question_id == "why"
    c.say("skip")  # keeps both
    assert c.interview.answers["why"].followup_answer == "Rent went up 20%."


def test_follow_ups_stop_at_the_cap_and_never_follow_buttons() -> None:
    c = chat(followup="Say more?", max_followups=1)
    analyst = c.dialogue.analyst
    assert isinstance(analyst, ScriptedAnalyst)
    c.say("pay", "x", "more", "1", "y")
    assert c.interview.followups_asked == 1
    assert c.last_question == "return"  # manager_more got no follow-up: cap reached
    # ...though the analyst still reads it, for a disclosure (never capped).
    assert analyst.asked_about == ["why", "manager_more"]


def test_a_disclosure_is_asked_about_carefully_even_past_the_cap() -> None:
    c = chat(followup="Say more?", max_followups=1)
    analyst = c.dialogue.analyst
    assert isinstance(analyst, ScriptedAnalyst)
    c.say("pay", "x", "more", "1")
    analyst.followup = wording.DISCLOSURE_FOLLOW_UP
    c.say("He touched me at the party.")
    assert c.texts[-1] == wording.DISCLOSURE_FOLLOW_UP
    c.say("yes")
    assert c.interview.answers["manager_more"].followup_answer == "yes"


def test_skip_on_a_follow_up_moves_on() -> None:
    c = chat(followup="Say more?")
    c.say("pay", "x", "skip")
    assert c.interview.answers["why"].followup_answer is None
    assert c.last_question == "manager"


def test_an_old_button_is_handled_politely() -> None:
    c = chat()
    c.say("pay", "x")
    c.click("reason", "growth")
    assert "already answered" in c.texts[0]
    assert c.answer("reason") == "pay" and c.last_question == "manager"


def test_a_forged_button_value_is_refused() -> None:
    c = chat()
    c.click("reason", "bribe")
    assert c.texts[0].startswith("Sorry, I didn't catch that")
    assert "reason" not in c.interview.answers


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("stop", "stop"),
        ("Stop.", "stop"),
        ("LATER", "later"),
        ("back!", "back"),
        ("help?", "help"),
        ("stop it", None),
        ("go back", None),
        ("", None),
    ],
)
def test_control_words(text: str, word: str | None) -> None:
    assert control_word(text, English()) == word


def test_later_with_a_time_they_pick_in_their_own_zone() -> None:
    c = chat()
    c.interview.employee.timezone = "America/Los_Angeles"  # 01:00 there
    c.say("pay", "later 15:00")
    assert c.interview.paused_until == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert "I'll check back today at 15:00" in c.texts[0]
    assert "why" not in c.interview.answers


def test_later_in_a_sentence_is_an_answer() -> None:
    c = chat()
    c.say("pay", "later in my career I want to lead a team")
    assert c.answer("why") == "later in my career I want to lead a team"
    assert c.interview.paused_until is None


def test_a_later_with_an_unclear_time_on_a_text_question_is_never_the_answer() -> None:
    c = chat()
    c.dialogue.reader = read_time
    c.say("pay")  # now at the free-text "why"
    c.say("later after lunch")
    [ask] = c.said
    assert isinstance(ask, QuestionMessage) and ask.counter is None
    assert ask.text.startswith("When should I check back?")
    assert [choice.label for choice in ask.choices] == [
        "Later in an hour",
        "Later tomorrow",
        "Later next week",
    ]
    assert "why" not in c.interview.answers and c.interview.pending_question == "why"
    c.say("later tomorrow 3pm")
    assert c.interview.paused_until is not None and "why" not in c.interview.answers


def test_a_time_to_check_back_can_be_picked_from_the_buttons() -> None:
    c = chat()
    c.say("pay", "later whenever")
    c.click("check_back", "tomorrow")
    assert c.texts[0].startswith("No problem, your answers so far are saved. I'll check back")
    assert c.interview.paused_until is not None and "why" not in c.interview.answers
