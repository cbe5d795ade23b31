"""The employee's side: what they send reaches their interview, once, and what ExitBot says
back is committed with the change it caused (the outbox)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from functools import partial

from core import trace, wording
from core.advice import AdviceWanted, Deferred, advised
from core.dialogue import Dialogue, Reply
from core.events import ChoicePicked, UserMessage
from core.interview import Interview, InterviewState
from core.layout import disclosure_alert
from core.messages import Address, Lane, OutboundMessage, QuestionMessage, TextMessage
from core.ports import NotNow, UnitOfWork
from core.transactions import Transactions


def tell(
    uow: UnitOfWork,
    interview: Interview,
    reply: Iterable[OutboundMessage],
    lane: Lane = Lane.REPLY,
) -> None:
    """Queue messages to the interview's employee, in order."""
    to = Address(platform=interview.employee.platform, id=interview.employee.user_id)
    for message in reply:
        uow.outbox.add(to, message, interview.id, lane)


def interview_of(uow: UnitOfWork, platform: str, user_id: str) -> Interview | None:
    interview = uow.interviews.current_of(platform, user_id)
    if interview is not None:
        trace.note(interview_id=interview.id)
    return interview


@dataclass
class Conversation:
    transactions: Transactions
    dialogue: Dialogue
    # True when the dialogue's advisor does I/O (a model): it is then consulted between
    # units of work, never inside one (core.advice). The offline analyst decides in place.
    advice_outside: bool = False
    # Held while such an advisor is consulted: what the caller lets go of meanwhile (the
    # handler's hand, bot.hands).
    waiting_for_advice: Callable[[], AbstractContextManager[object]] = nullcontext

    def _advised(self, handle: Callable[[Dialogue], bool]) -> bool:
        if not self.advice_outside:
            return handle(self.dialogue)
        return advised(self.dialogue, handle, self.waiting_for_advice)

    def handle_message(self, event: UserMessage) -> bool:
        with trace.scope(event_id=event.event_id, platform=event.platform):
            return self._advised(partial(self._handle_message, event))

    def answer_now(self, event: UserMessage) -> bool:
        """Handle a message the moment it arrives, before it is stored: its change and its
        record as handled commit together, with nothing slow on the way. Raises NotNow when
        it must wait its turn instead (the person's earlier request is still waiting, or a
        model must be asked about it, which happens outside any unit of work); False when
        it was handled before (a platform retry)."""
        dialogue = self.dialogue
        if self.advice_outside:  # a model would be asked inside: say so instead
            dialogue = replace(dialogue, analyst=Deferred())
        with trace.scope(event_id=event.event_id, platform=event.platform):
            try:
                return self._handle_message(event, dialogue, in_turn=True)
            except AdviceWanted as wanted:
                raise NotNow("a model is asked about this answer") from wanted

    def handle_choice(self, event: ChoicePicked) -> bool:
        """True when the click was the person's own, on their own interview (and not a
        platform retry): only then may the adapter mark the question answered."""
        with trace.scope(event_id=event.event_id, platform=event.platform):
            return self._advised(partial(self._handle_choice, event))

    def _handle_message(
        self, event: UserMessage, dialogue: Dialogue, in_turn: bool = False
    ) -> bool:
        def work(uow: UnitOfWork) -> None:
            interview = interview_of(uow, event.platform, event.user_id)
            if interview is None:
                self._to_stranger(uow, event.platform, event.user_id)
                return
            speaks = dialogue.languages.supported(event.locale)
            switched = interview.language is None and speaks not in (
                None,
                dialogue.languages.default,
            )
            if switched:
                interview.language = speaks  # nobody chose: their client's language
            if interview.state is InterviewState.IN_PROGRESS:
                now = self.transactions.clock.now()
                asked_before = interview.pending_followup == wording.DISCLOSURE_FOLLOW_UP
                reply = dialogue.on_text(interview, event.text, now)
                if switched and not any(isinstance(m, QuestionMessage) for m in reply):
                    # What they were asked, again, in the language they read.
                    reply += dialogue.resume(interview, now)
                if interview.pending_followup == wording.DISCLOSURE_FOLLOW_UP and not asked_before:
                    # HR hear of it now, in the same commit, not at the end
                    alert = disclosure_alert(interview.employee.name, interview.id)
                    uow.outbox.add(
                        Address.hr(event.platform), TextMessage(text=alert), interview.id
                    )
            elif interview.state is InterviewState.SCHEDULED:
                reply = dialogue.on_text_before_start(
                    interview, event.text, self.transactions.clock.now()
                )
            else:
                reply = dialogue.say(interview, wording.CLOSED)
            tell(uow, interview, reply)

        sender = event.user_id if in_turn else None
        return self.transactions.once(event.platform, event.event_id, work, sender)

    def _handle_choice(self, event: ChoicePicked, dialogue: Dialogue) -> bool:
        own = False

        def work(uow: UnitOfWork) -> None:
            nonlocal own
            interview = uow.interviews.get(event.interview_id)
            employee = interview.employee if interview else None
            if employee is None or (employee.platform, employee.user_id) != (
                event.platform,
                event.user_id,
            ):
                # Someone else's button, or an interview since forgotten: say nothing of it.
                self._to_stranger(uow, event.platform, event.user_id)
                return
            assert interview is not None
            trace.note(interview_id=interview.id)
            own = True
            if interview.state is not InterviewState.IN_PROGRESS:
                tell(uow, interview, dialogue.say(interview, wording.CLOSED))
                return
            now = self.transactions.clock.now()
            reply = dialogue.on_choice(interview, event.question_id, event.value, now)
            tell(uow, interview, reply)

        return self.transactions.once(event.platform, event.event_id, work) and own

    def answer_label(self, question_id: str, value: str, language: str | None = None) -> str | None:
        """How an answer reads back ("Pay & benefits", "4/5"), from the bank in the language
        the question was asked in, not from what the platform echoed (it may escape it)."""
        bank = self.dialogue.bank_in(language)
        return bank.get(question_id).label_of(value) if question_id in bank else None

    def resume(self, platform: str, user_id: str, name: str | None = None) -> Interview | None:
        """Re-send what the person's open interview is waiting for (a terminal reattached:
        what was on its way to the one that went away is dropped, not printed late), under
        `name` from now on when it is given."""

        def work(uow: UnitOfWork) -> Interview | None:
            interview = interview_of(uow, platform, user_id)
            if interview is None or interview.state is not InterviewState.IN_PROGRESS:
                return interview
            uow.outbox.forget_unsent_to(Address(platform=platform, id=user_id))
            if name:
                interview.employee.display_name = name
            interview.unpause()
            reply: Reply = self.dialogue.say(interview, wording.WELCOME_BACK)
            now = self.transactions.clock.now()
            tell(uow, interview, reply + self.dialogue.resume(interview, now))
            return interview

        return self.transactions.run(work)

    def current(self, platform: str, user_id: str) -> Interview | None:
        """The person's open interview, else their latest, else None."""
        with self.transactions.uow() as uow:
            return interview_of(uow, platform, user_id)

    def _to_stranger(
        self, uow: UnitOfWork, platform: str, user_id: str, locale: str | None = None
    ) -> None:
        speech = self.dialogue.languages.speech(locale)
        stranger = TextMessage(text=speech.gettext(wording.STRANGER))
        uow.outbox.add(Address(platform=platform, id=user_id), stranger)
