"""What happens without anyone asking, run by the worker on a timer: invitations on their
day, the one reminder after a silence, retention, the periodic digest, and closing an
interview whose employee the platform cannot reach. Each is safe to run in several
processes at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from core.conversation import tell
from core.dialogue import Dialogue
from core.endings import Endings
from core.interview import InterviewState, Trigger
from core.messages import Address, DigestMessage, Lane
from core.ports import UnitOfWork
from core.questions import QuestionBank
from core.transactions import Transactions
from core.views import Views
from core.working_hours import WorkingHours

# People with invitations (or other bulk messages) still on their way, beyond which no more
# interviews are opened for now: a few seconds of sending at the platform's pace.
BULK_BACKLOG = 50


@dataclass(frozen=True)
class Opening:
    opened: int
    more: bool  # more may be due: look again at once (or, when `full`, shortly)
    full: bool  # the bulk lane had no room


@dataclass
class Jobs:
    transactions: Transactions
    bank: QuestionBank
    dialogue: Dialogue
    endings: Endings
    views: Views
    # How long an ending may wait for its summary before the sweep makes it.
    summary_grace: timedelta = timedelta(minutes=2)
    # Silence: one reminder after `remind_after`, ABANDONED `abandon_after` later.
    remind_after: timedelta = timedelta(hours=48)
    abandon_after: timedelta = timedelta(hours=72)
    # A reminder (and the goodbye after the silence) waits for the person's working hours.
    working: WorkingHours = field(default_factory=WorkingHours)
    # Where the sweeps look for work: a unit that only reads (on SQLite it takes no writer's
    # turn); the transactions' own when not given.
    read: Callable[[], UnitOfWork] | None = None

    def _looking(self) -> UnitOfWork:
        return (self.read or self.transactions.uow)()

    def open_due(self, batch: int = 50, backlog: int = BULK_BACKLOG) -> Opening:
        """Open the next due interviews, as many as the bulk lane has room for: a layoff of
        10,000 opens as fast as the platform takes the invitations, not all at once (which
        would only queue 40,000 messages) and not 100 a minute. The version column lets only
        one process start each interview."""
        with self._looking() as uow:
            waiting = uow.outbox.backlog(Lane.BULK, backlog)
            room = min(batch, backlog - waiting)
            due = uow.interviews.due(self.transactions.clock.now(), room) if room > 0 else []
        if room <= 0:
            return Opening(opened=0, more=True, full=True)
        opened = self.transactions.each(due, self._open_if_due)
        return Opening(opened=opened, more=len(due) == room, full=False)

    def _open_if_due(self, interview_id: str, uow: UnitOfWork) -> bool:
        now = self.transactions.clock.now()
        interview = uow.interviews.get(interview_id)
        if interview is None or interview.state is not InterviewState.SCHEDULED:
            return False  # another process got there first, or HR cancelled it
        if interview.due_at is None or interview.due_at > now:
            return False
        tell(uow, interview, self.dialogue.open(interview, now, "its day came"), Lane.BULK)
        return True

    def nudge_silent(self, limit: int = 200) -> int:
        """Check back on a pause that has ended, send the one reminder after a silence, and
        close as ABANDONED what stays silent after it (HR are told). Returns how many
        interviews were nudged."""
        now = self.transactions.clock.now()
        quiet_since = now - min(self.remind_after, self.abandon_after)
        with self._looking() as uow:
            silent = uow.interviews.silent(now, quiet_since, limit)
        return self.transactions.each(silent, self._nudge)

    def _nudge(self, interview_id: str, uow: UnitOfWork) -> bool:
        now = self.transactions.clock.now()
        interview = uow.interviews.get(interview_id)
        if interview is None or interview.state is not InterviewState.IN_PROGRESS:
            return False
        if interview.paused_until is not None:
            if interview.paused_until > now:
                return False
            reply = self.dialogue.check_in(interview, now)
        else:
            quiet = interview.last_activity_at or interview.created_at
            if not self.working.open_at(now, interview.employee.timezone):
                return False  # due, but not at night, at the weekend or on a holiday
            if interview.reminded_at is None:
                if now - quiet < self.remind_after:
                    return False
                reply = self.dialogue.remind(interview, now)
            elif now - max(quiet, interview.reminded_at) >= self.abandon_after:
                reply = self.dialogue.abandon(interview, now)
            else:
                return False
        tell(uow, interview, reply, Lane.BULK)
        return True

    def report_endings(self, limit: int = 100) -> int:
        """Summarise for HR the interviews that ended without a summary (a process stopped
        between the ending and its summary). Returns how many were summarised."""
        ended_before = self.transactions.clock.now() - self.summary_grace
        with self._looking() as uow:
            waiting = uow.interviews.unreported(ended_before, limit)
        return sum(1 for interview_id in waiting if self.endings.report(interview_id))

    def purge(self, retention_days: int, limit: int = 500) -> int:
        """Erase the employee's own words from interviews that ended more than
        `retention_days` ago, and the messages that carried them. Returns how many."""
        now = self.transactions.clock.now()
        before = now - timedelta(days=retention_days)
        free_text = frozenset(q.id for q in self.bank.questions if q.free_text)
        with self.transactions.uow() as uow:
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
            interview.erase_words(free_text | unknown, self.transactions.clock.now())
            uow.outbox.forget(interview_id)
            return True

        erased = self.transactions.each(due, erase)
        with self.transactions.uow() as uow:
            uow.scrub()
        return erased

    def post_digest(self, platforms: Iterable[str], days: int) -> int:
        """Post the period's digest to each platform's HR channel, once: several processes
        may try, the digest log lets one of them. Returns how many were posted."""
        digest = self.views.digest(days)
        day = digest.until.date()

        def claim(platform: str, uow: UnitOfWork) -> bool:
            if uow.digests.posted(platform, day):
                return False
            uow.digests.record(platform, day, digest.since, digest.until)
            uow.outbox.add(Address.hr(platform), DigestMessage(digest=digest), lane=Lane.BULK)
            return True

        return self.transactions.each(platforms, claim)

    def mark_unreachable(self, interview_id: str, why: str) -> None:
        """The platform says the person cannot be reached (deactivated, blocked, not
        installed): close the interview and tell HR."""

        def work(uow: UnitOfWork) -> None:
            interview = uow.interviews.get(interview_id)
            if interview is None or not interview.can(Trigger.MARK_UNREACHABLE):
                return
            interview.fire(Trigger.MARK_UNREACHABLE, self.transactions.clock.now(), why)

        self.transactions.run(work)
