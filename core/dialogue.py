"""The employee's side of the conversation: what ExitBot says to each thing they send.

`Dialogue` changes the Interview and returns the messages to send; it never stores or sends
anything itself. The employee's words `skip`, `later`, `back`, `stop` (and `help`) work at
any question, and a button question also takes its answer typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from core import wording
from core.interview import Interview, Trigger
from core.messages import ChoiceItem, QuestionMessage, TextMessage
from core.ports import Advisor, Usage
from core.questions import Question, QuestionBank
from core.reporting import transcript
from core.snooze import TimeReader, Unclear, describe, parse_later
from core.wording import CONTROLS

Reply = list[TextMessage | QuestionMessage]

CONTROL_WORDS = frozenset({"skip", "later", "back", "stop", "help"})


# The question asked when `later`'s time was unclear, with three times to pick (each also
# typed as it reads); outside the bank.
CHECK_BACK = "check_back"
CHECK_BACK_CHOICES = {
    "in an hour": "Later in an hour",
    "tomorrow": "Later tomorrow",
    "next week": "Later next week",
}


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
    # How often HR look at all interviews together (the digest): for {review}.
    review_every: str = "each week"


def privacy_notice(policy: DialoguePolicy) -> str:
    return wording.privacy_notice(policy.retention_days, policy.model_host, policy.redacts_contacts)


def control_word(text: str) -> str | None:
    """`Skip`, ` skip. ` and `SKIP!` are the word skip; `skip this one` is an answer."""
    folded = re.sub(r"[\s.!?]+", " ", text.casefold()).strip()
    return folded if folded in CONTROL_WORDS else None


def first_name(display_name: str) -> str:
    return display_name.split()[0] if display_name.strip() else "there"


@dataclass
class Dialogue:
    bank: QuestionBank
    # Decides on follow-ups (the analyst, or what it decided: core.advice).
    analyst: Advisor
    policy: DialoguePolicy = DialoguePolicy()
    # Reads the times people give `later` beyond the core's own rules (dateparser).
    reader: TimeReader | None = None

    # -- entry points ---------------------------------------------------------------------
    def open(self, interview: Interview, now: datetime, reason: str) -> Reply:
        """Start the interview: who ExitBot is, what happens to the answers, the controls,
        the first question."""
        interview.fire(Trigger.START, now, reason)
        interview.last_activity_at = now
        intro = self.bank.intro.format(**self._template(interview))
        return [
            TextMessage(text=intro),
            TextMessage(text=privacy_notice(self.policy)),
            TextMessage(text=CONTROLS),
            *self._advance(interview, now),
        ]

    def resume(self, interview: Interview, now: datetime) -> Reply:
        """Ask again whatever is waiting for an answer (after a pause or a restart). A
        question the bank no longer has (HR changed it meanwhile) is left for the next."""
        if interview.pending_followup:
            return [TextMessage(text=interview.pending_followup)]
        if interview.pending_question:
            question = self._pending(interview)
            if question is None:
                return [TextMessage(text=wording.QUESTION_GONE), *self._advance(interview, now)]
            return [self._question(interview, question)]
        return []

    def on_text(self, interview: Interview, text: str, now: datetime) -> Reply:
        zone = interview.employee.timezone
        snooze = parse_later(text, now, zone, self.policy.send_time, self.reader)
        if isinstance(snooze, Unclear):  # never taken as an answer
            return [self._when_to_check_back(interview)]
        if snooze is not None:
            return self._later(interview, now, snooze)
        word = control_word(text)
        greeting: Reply = []
        if interview.paused_until is not None:
            interview.unpause()
            if word is None:
                return [TextMessage(text=wording.WELCOME_BACK), *self.resume(interview, now)]
            greeting = [TextMessage(text=wording.WELCOME_BACK_SHORT)]
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
            return [self._did_not_fit(question)]
        return self._answer(interview, question, value, now)

    def on_choice(self, interview: Interview, question_id: str, value: str, now: datetime) -> Reply:
        if question_id == CHECK_BACK and value in CHECK_BACK_CHOICES:
            until = parse_later(
                f"later {value}", now, interview.employee.timezone, self.policy.send_time
            )
            assert isinstance(until, datetime)  # each choice is one of the rules' own
            return self._later(interview, now, until)
        interview.unpause()
        question = self._pending(interview)
        if question is None or question.id != question_id:
            return self._stale_click(interview, question_id, now)
        if value not in {c.value for c in question.choices()}:
            return [self._did_not_fit(question)]
        return self._answer(interview, question, value, now)

    # -- the words ----------------------------------------------------------------------------
    def _help(self, interview: Interview, now: datetime) -> Reply:
        return [TextMessage(text=CONTROLS), *self.resume(interview, now)]

    def _stop(self, interview: Interview, now: datetime) -> Reply:
        interview.fire(Trigger.DECLINE, now, "the employee said stop")
        return [TextMessage(text=wording.STOPPED)]

    def _later(self, interview: Interview, now: datetime, until: datetime) -> Reply:
        interview.pause(until)
        interview.last_activity_at = now
        when = describe(until, now, interview.employee.timezone)
        return [TextMessage(text=wording.paused(when))]

    def _back(self, interview: Interview, now: datetime) -> Reply:
        left_followup = interview.pending_followup is not None
        previous = interview.step_back()
        if previous is None:
            return [TextMessage(text=wording.NOTHING_BEFORE), *self.resume(interview, now)]
        # Said, never dropped silently: a follow-up left unanswered, or one answered that a
        # new answer to this question would replace.
        notes: Reply = []
        if left_followup:
            notes.append(TextMessage(text=wording.FOLLOW_UP_LEFT))
        elif interview.answers[previous].followup_answer:
            notes.append(TextMessage(text=wording.FOLLOW_UP_REPLACED))
        if previous not in self.bank:
            return [*notes, TextMessage(text=wording.QUESTION_GONE), *self._advance(interview, now)]
        return [*notes, self._question(interview, self.bank.get(previous))]

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
            return [TextMessage(text=wording.CANNOT_SKIP), self._question(interview, question)]
        else:
            interview.record_answer(question.id, None, now)
        return self._advance(interview, now)

    # -- when they say nothing -----------------------------------------------------------------
    def check_in(self, interview: Interview, now: datetime) -> Reply:
        """The time they asked for with `later` has come."""
        interview.unpause()
        interview.last_activity_at = now
        name = first_name(interview.employee.display_name)
        return [TextMessage(text=wording.checking_in(name)), *self.resume(interview, now)]

    def remind(self, interview: Interview, now: datetime) -> Reply:
        """The one reminder after a silence."""
        interview.reminded_at = now
        name = first_name(interview.employee.display_name)
        return [TextMessage(text=wording.reminder(name)), *self.resume(interview, now)]

    def abandon(self, interview: Interview, now: datetime) -> Reply:
        interview.fire(Trigger.ABANDON, now, "no answer after the reminder")
        return [TextMessage(text=wording.ABANDONED)]

    # -- steps ---------------------------------------------------------------------------------
    def _answer(self, interview: Interview, question: Question, value: str, now: datetime) -> Reply:
        interview.record_answer(question.id, value, now)
        followup = self._followup(interview, question, value)
        if followup:
            interview.ask_followup(followup)
            return [TextMessage(text=followup)]
        return self._advance(interview, now)

    def _followup(self, interview: Interview, question: Question, value: str) -> str | None:
        """A follow-up, up to the limit; a disclosure's careful question whatever the count."""
        if not question.probe:
            return None
        earlier = [e for e in transcript(interview, self.bank) if e.question_id != question.id]
        usage = Usage()
        text = self.analyst.follow_up(question, value, earlier, usage=usage)
        interview.charge(usage)
        text = text.strip() if text else ""
        if text != wording.DISCLOSURE_FOLLOW_UP and (
            interview.followups_asked >= self.policy.max_followups
        ):
            return None
        return text or None

    def _advance(self, interview: Interview, now: datetime) -> Reply:
        values = {qid: a.value for qid, a in interview.answers.items()}
        question = self.bank.next_question(values)
        if question is None:
            interview.fire(Trigger.COMPLETE, now, "all questions answered")
            return [TextMessage(text=self.bank.closing.format(**self._template(interview)))]
        interview.ask(question.id)
        return [self._question(interview, question)]

    def _pending(self, interview: Interview) -> Question | None:
        qid = interview.pending_question
        return self.bank.get(qid) if qid and qid in self.bank else None

    def _question(self, interview: Interview, question: Question) -> QuestionMessage:
        values = {qid: a.value for qid, a in interview.answers.items() if qid != question.id}
        position, total = self.bank.progress(values)
        earlier = interview.answers.get(question.id)
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
        )

    def _when_to_check_back(self, interview: Interview) -> QuestionMessage:
        return QuestionMessage(
            interview_id=interview.id,
            question_id=CHECK_BACK,
            text=wording.WHEN_TO_CHECK_BACK,
            choices=[ChoiceItem(value=v, label=label) for v, label in CHECK_BACK_CHOICES.items()],
            position=0,
            total=0,
        )

    def _did_not_fit(self, question: Question) -> TextMessage:
        return TextMessage(text=wording.did_not_fit(question.hint(), question.required))

    def _stale_click(self, interview: Interview, question_id: str, now: datetime) -> Reply:
        note = wording.ALREADY_ANSWERED if question_id in interview.answers else wording.OLD_BUTTON
        return [TextMessage(text=note), *self.resume(interview, now)]

    def _template(self, interview: Interview) -> dict[str, str]:
        return {
            "name": first_name(interview.employee.display_name),
            "kept": wording.kept_for(self.policy.retention_days),
            "review": self.policy.review_every,
        }
