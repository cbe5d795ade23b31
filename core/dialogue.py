"""The employee's side of the conversation: what ExitBot says to each thing they send.

`Dialogue` changes the Interview and returns the messages to send; it never stores or sends
anything itself. The employee's words `skip`, `later`, `back`, `stop` (and `help`) work at
any question, in their language or in English, and a button question also takes its answer
typed. Everything is said in the interview's language (`language: Deutsch` changes it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time

from core import wording
from core.interview import Interview, InterviewState, Trigger
from core.messages import ChoiceItem, QuestionMessage, TextMessage
from core.ports import Advisor, Usage
from core.questions import Question, QuestionBank
from core.reporting import transcript
from core.snooze import TimeReader, Unclear, describe, parse_later
from core.speech import Languages, Speech, fold, words
from core.wording import CHECK_BACK_LABELS, CONTROLS

Reply = list[TextMessage | QuestionMessage]

# The question asked when `later`'s time was unclear, with three times to pick
# (wording.CHECK_BACK_LABELS, each also typed as it reads); outside the bank.
CHECK_BACK = "check_back"
# "language: Deutsch", "idioma: español": the word before the colon in any language.
_LANGUAGE = re.compile(r"^\s*([^\W\d_]+)\s*[:=]\s*([^\W\d_][\w\s-]{0,30}?)\s*[.!]?\s*$")


@dataclass(frozen=True)
class DialoguePolicy:
    max_followups: int = 2
    retention_days: int | None = None
    # A plain `later` checks back the next day at this time, in the employee's zone.
    send_time: time = time(10, 0)
    # Where answers go for analysis when a model is configured (its host), and whether
    # e-mail addresses and phone numbers are taken out first.
    model_host: str | None = None
    redacts_contacts: bool = False
    # How often HR look at all interviews together (the digest): for {review}, a message
    # id of core.wording.
    review_every: str = wording.EACH_WEEK


def privacy_notice(policy: DialoguePolicy, speech: Speech) -> str:
    return wording.privacy_notice(
        speech, policy.retention_days, policy.model_host, policy.redacts_contacts
    )


def control_word(text: str, speech: Speech) -> str | None:
    """`Skip`, ` skip. ` and `SKIP!` (or `Saltar` in Spanish) are the word skip, returned in
    English; `skip this one` is an answer."""
    folded = fold(re.sub(r"[\s.!?]+", " ", text))
    for english, said in wording.control_words(speech).items():
        if folded in said:
            return english
    return None


def first_name(display_name: str, speech: Speech) -> str:
    return display_name.split()[0] if display_name.strip() else speech.gettext(wording.THERE)


@dataclass
class Dialogue:
    bank: QuestionBank
    # Decides on follow-ups (the analyst, or what it decided: core.advice).
    analyst: Advisor
    policy: DialoguePolicy = DialoguePolicy()
    # Reads the times people give `later` beyond the core's own rules (dateparser).
    reader: TimeReader | None = None
    # The languages interviews can be in, and the one used when nobody said which.
    languages: Languages = field(default_factory=Languages)
    # The bank in each language, made once (and shared by copies: core.advice makes some).
    _banks: dict[str, QuestionBank] = field(default_factory=dict, repr=False, compare=False)

    def speech(self, interview: Interview) -> Speech:
        return self.languages.speech(interview.language)

    def bank_for(self, interview: Interview) -> QuestionBank:
        """The bank in the interview's language, its questions' own words too."""
        return self.bank_in(interview.language)

    def bank_in(self, language: str | None) -> QuestionBank:
        """The bank as someone speaking `language` reads it (the default language's for
        one ExitBot does not speak)."""
        code = self.languages.effective(language)
        bank = self._banks.get(code)
        if bank is None:
            speech = self.languages.speech(code)
            bank = self._banks[code] = self.bank.in_language(code).spoken(speech)
        return bank

    def say(self, interview: Interview, *messages: str) -> Reply:
        """Message ids of core.wording, said in the interview's language."""
        speech = self.speech(interview)
        return [TextMessage(text=speech.gettext(m)) for m in messages]

    # -- entry points ---------------------------------------------------------------------
    def open(self, interview: Interview, now: datetime, reason: str) -> Reply:
        """Start the interview: who ExitBot is, what happens to the answers, the controls,
        the first question."""
        interview.fire(Trigger.START, now, reason)
        interview.last_activity_at = now
        intro = self.bank_for(interview).intro.format(**self._template(interview))
        return [
            TextMessage(text=intro),
            TextMessage(text=privacy_notice(self.policy, self.speech(interview))),
            *self.say(interview, CONTROLS),
            *self._advance(interview, now),
        ]

    def resume(self, interview: Interview, now: datetime) -> Reply:
        """Ask again whatever is waiting for an answer (after a pause or a restart). A
        question the bank no longer has (HR changed it meanwhile) is left for the next."""
        if interview.pending_followup:
            # A model's follow-up is in the employee's language already; ours is an id.
            return self.say(interview, interview.pending_followup)
        if interview.pending_question:
            question = self._pending(interview)
            if question is None:
                return [*self.say(interview, wording.QUESTION_GONE), *self._advance(interview, now)]
            return [self._question(interview, question)]
        return []

    def on_text(self, interview: Interview, text: str, now: datetime) -> Reply:
        language = self._language_asked(text)
        if language is not None:
            return self._switch_language(interview, language, now)
        zone = interview.employee.timezone
        speech = self.speech(interview)
        snooze = parse_later(text, now, zone, self.policy.send_time, self.reader, speech)
        if isinstance(snooze, Unclear):  # never taken as an answer
            return [self._when_to_check_back(interview)]
        if snooze is not None:
            return self._later(interview, now, snooze)
        word = control_word(text, speech)
        greeting: Reply = []
        if interview.paused_until is not None:
            interview.unpause()
            if word is None:
                return [*self.say(interview, wording.WELCOME_BACK), *self.resume(interview, now)]
            greeting = self.say(interview, wording.WELCOME_BACK_SHORT)
        handler = {
            "help": self._help,
            "stop": self._stop,
            "back": self._back,
            "skip": self._skip,
        }.get(word or "")
        if handler is not None:
            return greeting + handler(interview, now)
        if interview.pending_followup:
            interview.record_followup_answer(text.strip(), now)
            return self._advance(interview, now)
        question = self._pending(interview)
        if question is None:
            return self._advance(interview, now)
        value = question.interpret(text)
        if value is None:  # the question and its options are right above: not again
            return [self._did_not_fit(interview, question)]
        return self._answer(interview, question, value, now)

    def on_text_before_start(self, interview: Interview, text: str, now: datetime) -> Reply:
        """Before the interview's day: it is not open yet (a language may be chosen)."""
        language = self._language_asked(text)
        if language is not None:
            return self._switch_language(interview, language, now)
        return [TextMessage(text=wording.not_yet(self.speech(interview), interview.due_at))]

    def on_choice(self, interview: Interview, question_id: str, value: str, now: datetime) -> Reply:
        if question_id == CHECK_BACK and value in CHECK_BACK_LABELS:
            until = parse_later(  # the English rules' own words
                f"later {value}", now, interview.employee.timezone, self.policy.send_time
            )
            assert isinstance(until, datetime)  # each choice is one of the rules' own
            return self._later(interview, now, until)
        interview.unpause()
        question = self._pending(interview)
        if question is None or question.id != question_id:
            return self._stale_click(interview, question_id, now)
        if value not in {c.value for c in question.choices()}:
            return [self._did_not_fit(interview, question)]
        return self._answer(interview, question, value, now)

    # -- the words ----------------------------------------------------------------------------
    def _language_asked(self, text: str) -> str | None:
        """The language code in "language: Deutsch" (the word `language` in any language
        ExitBot speaks), "" when the name is not one it speaks, None when it is no such
        request."""
        match = _LANGUAGE.match(text)
        if match is None:
            return None
        named = {
            word
            for code in self.languages.codes
            for word in words(self.languages.speeches[code], wording.WORDS_LANGUAGE)
        }
        if fold(match.group(1)) not in named:
            return None
        return self.languages.named(match.group(2)) or ""

    def _switch_language(self, interview: Interview, language: str, now: datetime) -> Reply:
        if not language:
            names = self.languages.own_names
            offered = wording.languages_offered(
                self.speech(interview),
                ", ".join(names[code] for code in self.languages.codes),
                names[self.languages.codes[-1]],
            )
            return [TextMessage(text=offered)]
        interview.language = language
        said: Reply = [TextMessage(text=wording.speaking(self.speech(interview)))]
        if interview.state is InterviewState.IN_PROGRESS:
            interview.unpause()
            return said + self.resume(interview, now)
        return said

    def _help(self, interview: Interview, now: datetime) -> Reply:
        return [*self.say(interview, CONTROLS), *self.resume(interview, now)]

    def _stop(self, interview: Interview, now: datetime) -> Reply:
        interview.fire(Trigger.DECLINE, now, "the employee said stop")
        return self.say(interview, wording.STOPPED)

    def _later(self, interview: Interview, now: datetime, until: datetime) -> Reply:
        interview.pause(until)
        interview.last_activity_at = now
        speech = self.speech(interview)
        when = describe(until, now, interview.employee.timezone, speech)
        return [TextMessage(text=wording.paused(speech, when))]

    def _back(self, interview: Interview, now: datetime) -> Reply:
        left_followup = interview.pending_followup is not None
        previous = interview.step_back()
        if previous is None:
            return [*self.say(interview, wording.NOTHING_BEFORE), *self.resume(interview, now)]
        # Said, never dropped silently: a follow-up left unanswered, or one answered that a
        # new answer to this question would replace.
        notes: Reply = []
        if left_followup:
            notes += self.say(interview, wording.FOLLOW_UP_LEFT)
        elif interview.answers[previous].followup_answer:
            notes += self.say(interview, wording.FOLLOW_UP_REPLACED)
        bank = self.bank_for(interview)
        if previous not in bank:
            gone = self.say(interview, wording.QUESTION_GONE)
            return [*notes, *gone, *self._advance(interview, now)]
        return [*notes, self._question(interview, bank.get(previous))]

    def _skip(self, interview: Interview, now: datetime) -> Reply:
        if interview.pending_followup:
            interview.record_followup_answer(None, now)
            return self._advance(interview, now)
        question = self._pending(interview)
        if question is None:
            return self._advance(interview, now)
        if question.id in interview.answers:
            # Revisited with `back`: skipping keeps what they said the first time.
            interview.keep_answer(question.id, now)
        elif question.required:
            return [*self.say(interview, wording.CANNOT_SKIP), self._question(interview, question)]
        else:
            interview.record_answer(question.id, None, now)
        return self._advance(interview, now)

    # -- when they say nothing -----------------------------------------------------------------
    def check_in(self, interview: Interview, now: datetime) -> Reply:
        """The time they asked for with `later` has come."""
        interview.unpause()
        interview.last_activity_at = now
        speech = self.speech(interview)
        name = first_name(interview.employee.display_name, speech)
        return [TextMessage(text=wording.checking_in(speech, name)), *self.resume(interview, now)]

    def remind(self, interview: Interview, now: datetime) -> Reply:
        """The one reminder after a silence."""
        interview.reminded_at = now
        speech = self.speech(interview)
        name = first_name(interview.employee.display_name, speech)
        return [TextMessage(text=wording.reminder(speech, name)), *self.resume(interview, now)]

    def abandon(self, interview: Interview, now: datetime) -> Reply:
        interview.fire(Trigger.ABANDON, now, "no answer after the reminder")
        return self.say(interview, wording.ABANDONED)

    # -- steps ---------------------------------------------------------------------------------
    def _answer(self, interview: Interview, question: Question, value: str, now: datetime) -> Reply:
        interview.record_answer(question.id, value, now)
        followup = self._followup(interview, question, value)
        if followup:
            interview.ask_followup(followup)
            return self.say(interview, followup)
        return self._advance(interview, now)

    def _followup(self, interview: Interview, question: Question, value: str) -> str | None:
        """A follow-up, up to the limit; a disclosure's careful question whatever the count."""
        if not question.probe:
            return None
        bank = self.bank_for(interview)
        earlier = [e for e in transcript(interview, bank) if e.question_id != question.id]
        usage = Usage()
        language = self.languages.effective(interview.language)
        text = self.analyst.follow_up(question, value, earlier, usage=usage, language=language)
        interview.charge(usage)
        text = text.strip() if text else ""
        if text != wording.DISCLOSURE_FOLLOW_UP and (
            interview.followups_asked >= self.policy.max_followups
        ):
            return None
        return text or None

    def _advance(self, interview: Interview, now: datetime) -> Reply:
        values = {qid: a.value for qid, a in interview.answers.items()}
        bank = self.bank_for(interview)
        question = bank.next_question(values)
        if question is None:
            interview.fire(Trigger.COMPLETE, now, "all questions answered")
            return [TextMessage(text=bank.closing.format(**self._template(interview)))]
        interview.ask(question.id)
        return [self._question(interview, question)]

    def _pending(self, interview: Interview) -> Question | None:
        qid = interview.pending_question
        bank = self.bank_for(interview)
        return bank.get(qid) if qid and qid in bank else None

    def _question(self, interview: Interview, question: Question) -> QuestionMessage:
        values = {qid: a.value for qid, a in interview.answers.items() if qid != question.id}
        position, total = self.bank_for(interview).progress(values)
        earlier = interview.answers.get(question.id)
        speech = self.speech(interview)
        return QuestionMessage(
            interview_id=interview.id,
            question_id=question.id,
            text=question.text,
            choices=[ChoiceItem(value=c.value, label=c.label) for c in question.choices()],
            position=position,
            total=total,
            previous_answer=(
                question.label_of(earlier.value) if earlier and earlier.value is not None else None
            ),
            language=speech.language,
        )

    def _when_to_check_back(self, interview: Interview) -> QuestionMessage:
        speech = self.speech(interview)
        return QuestionMessage(
            interview_id=interview.id,
            question_id=CHECK_BACK,
            text=speech.gettext(wording.WHEN_TO_CHECK_BACK),
            choices=[
                ChoiceItem(value=v, label=speech.gettext(label))
                for v, label in CHECK_BACK_LABELS.items()
            ],
            position=0,
            total=0,
            language=speech.language,
        )

    def _did_not_fit(self, interview: Interview, question: Question) -> TextMessage:
        speech = self.speech(interview)
        return TextMessage(text=wording.did_not_fit(speech, question.hint(), question.required))

    def _stale_click(self, interview: Interview, question_id: str, now: datetime) -> Reply:
        note = wording.ALREADY_ANSWERED if question_id in interview.answers else wording.OLD_BUTTON
        return [*self.say(interview, note), *self.resume(interview, now)]

    def _template(self, interview: Interview) -> dict[str, str]:
        speech = self.speech(interview)
        return {
            "name": first_name(interview.employee.display_name, speech),
            "kept": wording.kept_for(speech, self.policy.retention_days),
            "review": speech.gettext(self.policy.review_every),
        }
