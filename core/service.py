"""The use cases. Each runs in one unit of work: the state change and the messages it sends
are committed together (the outbox), so a crash loses nothing and sends nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import TypeVar

from core.dialogue import Dialogue, Reply
from core.events import ChoicePicked, UserMessage
from core.interview import Interview, InterviewState, Person, Trigger
from core.messages import Address, DigestMessage, OutboundMessage, SummaryMessage, TextMessage
from core.ports import Analyst, Clock, ConcurrentUpdate, DuplicateEvent, UnitOfWork, Usage
from core.questions import QuestionBank
from core.reporting import Digest, build_digest, build_summary, transcript

T = TypeVar("T")

# Terminal states HR hear about in their channel; a CANCELLED one is their own doing.
REPORTED_ENDINGS = frozenset(
    {
        InterviewState.COMPLETED,
        InterviewState.DECLINED,
        InterviewState.ABANDONED,
        InterviewState.UNREACHABLE,
    }
)
STRANGER_REPLY = (
    "Hi! I'm ExitBot, the HR team's exit-interview assistant. I don't have an interview "
    "for you right now, so there's nothing you need to do."
)
CLOSED_REPLY = (
    "Your exit interview is closed, thank you. If there's anything you'd like to add, "
    "please reach out to HR directly."
)


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the person who asked."""


@dataclass
class InterviewService:
    uow: Callable[[], UnitOfWork]
    bank: QuestionBank
    analyst: Analyst
    clock: Clock
    dialogue: Dialogue
    # Silence: one reminder after `remind_after`, ABANDONED `abandon_after` later.
    remind_after: timedelta = timedelta(hours=48)
    abandon_after: timedelta = timedelta(hours=72)
    # Departments smaller than this are not broken out in digests.
    min_group: int = 3
    attempts: int = 5

    # -- HR -----------------------------------------------------------------------------
    def start_now(self, person: Person, by: str | None = None) -> Interview:
        """Open an interview with this person now (a SCHEDULED one is brought forward)."""

        def run(uow: UnitOfWork) -> Interview:
            now = self.clock.now()
            known = self._person(uow, person)
            interview = uow.interviews.current_for(known)
            if interview is not None and interview.state is InterviewState.IN_PROGRESS:
                raise ServiceError(f"{known.name} already has an interview in progress.")
            if interview is None or not interview.state.is_open:
                interview = Interview(employee=known, created_at=now, created_by=by)
                uow.interviews.add(interview)
            reason = f"started by {by}" if by else "started"
            self._send(uow, interview, self.dialogue.open(interview, now, reason))
            return interview

        return self._transaction(run)

    def schedule(
        self, person: Person, due_at: datetime, by: str | None = None, exit_date: date | None = None
    ) -> Interview:
        """Interview this person at `due_at`; a SCHEDULED interview is moved there."""

        def run(uow: UnitOfWork) -> Interview:
            known = self._person(uow, person)
            interview = uow.interviews.current_for(known)
            if interview is not None and interview.state is InterviewState.IN_PROGRESS:
                raise ServiceError(f"{known.name} already has an interview in progress.")
            if interview is not None and interview.state is InterviewState.SCHEDULED:
                interview.due_at = due_at
                interview.exit_date = exit_date or interview.exit_date
                return interview
            interview = Interview(
                employee=known,
                created_at=self.clock.now(),
                created_by=by,
                due_at=due_at,
                exit_date=exit_date,
            )
            uow.interviews.add(interview)
            return interview

        return self._transaction(run)

    def send_due_invitations(self, limit: int = 100) -> int:
        """Open every SCHEDULED interview whose time has come. Safe to run in several
        processes at once: the version column lets only one of them start each interview."""
        with self.uow() as uow:
            due = uow.interviews.due(self.clock.now(), limit)
        return self._each(due, self._open_if_due)

    def _open_if_due(self, interview_id: str, uow: UnitOfWork) -> bool:
        now = self.clock.now()
        interview = uow.interviews.get(interview_id)
        if interview is None or interview.state is not InterviewState.SCHEDULED:
            return False  # another process got there first, or HR cancelled it
        if interview.due_at is None or interview.due_at > now:
            return False
        self._send(uow, interview, self.dialogue.open(interview, now, "its day came"))
        return True

    def nudge_silent(self, limit: int = 200) -> int:
        """Check back on a pause that has ended, send the one reminder after a silence, and
        close as ABANDONED what stays silent after it (HR are told). Returns how many
        interviews were nudged."""
        now = self.clock.now()
        quiet_since = now - min(self.remind_after, self.abandon_after)
        with self.uow() as uow:
            silent = uow.interviews.silent(now, quiet_since, limit)
        return self._each(silent, self._nudge)

    def _nudge(self, interview_id: str, uow: UnitOfWork) -> bool:
        now = self.clock.now()
        interview = uow.interviews.get(interview_id)
        if interview is None or interview.state is not InterviewState.IN_PROGRESS:
            return False
        if interview.paused_until is not None:
            if interview.paused_until > now:
                return False
            reply = self.dialogue.check_in(interview, now)
        else:
            quiet = interview.last_activity_at or interview.created_at
            if interview.reminded_at is None:
                if now - quiet < self.remind_after:
                    return False
                reply = self.dialogue.remind(interview, now)
            elif now - max(quiet, interview.reminded_at) >= self.abandon_after:
                reply = self.dialogue.abandon(interview, now)
            else:
                return False
        self._send(uow, interview, reply)
        return True

    def purge(self, retention_days: int, limit: int = 500) -> int:
        """Erase the employee's own words from interviews that ended more than
        `retention_days` ago, and the messages that carried them. Returns how many."""
        before = self.clock.now() - timedelta(days=retention_days)
        free_text = frozenset(q.id for q in self.bank.questions if q.free_text)
        with self.uow() as uow:
            # Requests given up on, and sent digests (whose themes may come from one person),
            # still hold what people wrote: they go too.
            uow.inbox.erase_before(before)
            uow.outbox.forget_before(before)
            due = uow.interviews.ended_unpurged(before, limit)
            uow.commit()

        def erase(interview_id: str, uow: UnitOfWork) -> bool:
            interview = uow.interviews.get(interview_id)
            if interview is None or interview.purged_at is not None:
                return False
            # Answers to questions no longer in the bank may be free text too: erase them.
            unknown = frozenset(qid for qid in interview.answers if qid not in self.bank)
            interview.erase_words(free_text | unknown, self.clock.now())
            uow.outbox.forget(interview_id)
            return True

        erased = self._each(due, erase)
        with self.uow() as uow:
            uow.scrub()
        return erased

    def digest(self, days: int) -> Digest:
        """Interviews that ended in the last `days` days, in numbers and themes."""
        until = self.clock.now()
        since = until - timedelta(days=days)
        with self.uow() as uow:
            ended = uow.interviews.ended_between(since, until)
            open_now = len(uow.interviews.open())
        themes = self.analyst.themes([transcript(i, self.bank) for i in ended]) if ended else []
        return build_digest(ended, open_now, self.bank, since, until, self.min_group, themes)

    def post_digest(self, platforms: Iterable[str], days: int) -> int:
        """Post the period's digest to each platform's HR channel, once: several processes
        may try, the digest log lets one of them. Returns how many were posted."""
        digest = self.digest(days)
        day = digest.until.date()

        def claim(platform: str, uow: UnitOfWork) -> bool:
            if uow.digests.posted(platform, day):
                return False
            uow.digests.record(platform, day, digest.since, digest.until)
            uow.outbox.add(Address.hr(platform), DigestMessage(digest=digest))
            return True

        return self._each(platforms, claim)

    def cancel(self, person: Person, by: str) -> Interview:
        def run(uow: UnitOfWork) -> Interview:
            known = uow.people.find(person.platform, person.user_id)
            interview = uow.interviews.current_for(known) if known else None
            if interview is None or not interview.can(Trigger.CANCEL):
                raise ServiceError(f"{person.name} has no open interview to cancel.")
            was_running = interview.state is InterviewState.IN_PROGRESS
            interview.fire(Trigger.CANCEL, self.clock.now(), f"cancelled by {by}")
            if was_running:
                self._send(
                    uow,
                    interview,
                    [
                        TextMessage(
                            text="HR have closed your exit interview, so there's nothing more to "
                            "answer. Thank you for your time."
                        )
                    ],
                )
            return interview

        return self._transaction(run)

    def mark_unreachable(self, interview_id: str, why: str) -> None:
        """The platform says the person cannot be reached (deactivated, blocked, not
        installed): close the interview and tell HR."""

        def run(uow: UnitOfWork) -> None:
            interview = uow.interviews.get(interview_id)
            if interview is None or not interview.can(Trigger.MARK_UNREACHABLE):
                return
            interview.fire(Trigger.MARK_UNREACHABLE, self.clock.now(), why)
            self._send(uow, interview, [])

        self._transaction(run)

    # -- the employee ---------------------------------------------------------------------
    def handle_message(self, event: UserMessage) -> bool:
        def run(uow: UnitOfWork) -> None:
            now = self.clock.now()
            interview = self._interview_of(uow, event.platform, event.user_id)
            if interview is None:
                reply: Reply = [TextMessage(text=STRANGER_REPLY)]
                uow.outbox.add(Address(platform=event.platform, id=event.user_id), reply[0])
                return
            if interview.state is InterviewState.IN_PROGRESS:
                reply = self.dialogue.on_text(interview, event.text, now)
            elif interview.state is InterviewState.SCHEDULED:
                reply = [TextMessage(text=self._not_yet(interview))]
            else:
                reply = [TextMessage(text=CLOSED_REPLY)]
            self._send(uow, interview, reply)

        return self._once(event.platform, event.event_id, run)

    def handle_choice(self, event: ChoicePicked) -> bool:
        """True when the click was the person's own, on their own interview (and not a
        platform retry): only then may the adapter mark the question answered."""
        own = False

        def run(uow: UnitOfWork) -> None:
            nonlocal own
            interview = uow.interviews.get(event.interview_id)
            if interview is None or (interview.employee.platform, interview.employee.user_id) != (
                event.platform,
                event.user_id,
            ):
                # Someone else's button, or an interview since forgotten: say nothing of it.
                uow.outbox.add(
                    Address(platform=event.platform, id=event.user_id),
                    TextMessage(text=STRANGER_REPLY),
                )
                return
            own = True
            if interview.state is not InterviewState.IN_PROGRESS:
                self._send(uow, interview, [TextMessage(text=CLOSED_REPLY)])
                return
            reply = self.dialogue.on_choice(
                interview, event.question_id, event.value, self.clock.now()
            )
            self._send(uow, interview, reply)

        return self._once(event.platform, event.event_id, run) and own

    def resume(self, platform: str, user_id: str) -> Interview | None:
        """Re-send what the person's open interview is waiting for (a terminal reattached)."""

        def run(uow: UnitOfWork) -> Interview | None:
            interview = self._interview_of(uow, platform, user_id)
            if interview is None or interview.state is not InterviewState.IN_PROGRESS:
                return interview
            interview.unpause()
            reply: Reply = [TextMessage(text="Welcome back! Here's where we were:")]
            self._send(uow, interview, reply + self.dialogue.resume(interview))
            return interview

        return self._transaction(run)

    # -- reading ---------------------------------------------------------------------------
    def current(self, platform: str, user_id: str) -> Interview | None:
        with self.uow() as uow:
            return self._interview_of(uow, platform, user_id)

    # -- plumbing ----------------------------------------------------------------------------
    def _transaction(self, run: Callable[[UnitOfWork], T]) -> T:
        """Run a use case in a unit of work, again if another writer got there first."""
        for attempt in range(1, self.attempts + 1):
            with self.uow() as uow:
                result = run(uow)
                try:
                    uow.commit()
                except ConcurrentUpdate:
                    if attempt == self.attempts:
                        raise
                    continue
                return result
        raise AssertionError("unreachable")

    def _each(self, items: Iterable[str], work: Callable[[str, UnitOfWork], bool]) -> int:
        """`work` on each item, a unit of work each (so one conflict or failure costs only
        that item); how many did something."""
        return sum(1 for item in items if self._transaction(partial(work, item)))

    def _once(self, platform: str, event_id: str | None, run: Callable[[UnitOfWork], None]) -> bool:
        """Handle an inbound event unless it was handled before (a platform retry). Its id
        is committed with the change it caused. False when it was a repeat."""

        def handle(uow: UnitOfWork) -> bool:
            if event_id and not uow.inbox.handle(platform, event_id, self.clock.now()):
                return False
            run(uow)
            return True

        try:
            return self._transaction(handle)
        except DuplicateEvent:
            return False

    def _send(
        self, uow: UnitOfWork, interview: Interview, reply: Iterable[OutboundMessage]
    ) -> None:
        to = Address(platform=interview.employee.platform, id=interview.employee.user_id)
        for message in reply:
            uow.outbox.add(to, message, interview.id)
        if interview.state in REPORTED_ENDINGS and interview.analysis is None:
            self._report_ending(uow, interview)

    def _report_ending(self, uow: UnitOfWork, interview: Interview) -> None:
        usage = Usage()
        analysis = self.analyst.summarize(transcript(interview, self.bank), usage=usage)
        interview.charge(usage)
        interview.analysis = analysis
        summary = build_summary(interview, self.bank, analysis)
        uow.outbox.add(
            Address.hr(interview.employee.platform), SummaryMessage(summary=summary), interview.id
        )

    def _person(self, uow: UnitOfWork, person: Person) -> Person:
        known = uow.people.find(person.platform, person.user_id)
        if known is None:
            uow.people.add(person)
            return person
        for attr in ("display_name", "email", "timezone", "department", "manager"):
            if getattr(person, attr):
                setattr(known, attr, getattr(person, attr))
        return known

    def _interview_of(self, uow: UnitOfWork, platform: str, user_id: str) -> Interview | None:
        person = uow.people.find(platform, user_id)
        return uow.interviews.current_for(person) if person else None

    def _not_yet(self, interview: Interview) -> str:
        when = f" on {interview.due_at:%A %-d %B}" if interview.due_at else " soon"
        return (
            f"Hi! Your exit interview opens{when}; I'll message you then. "
            "There's nothing you need to do before that."
        )
