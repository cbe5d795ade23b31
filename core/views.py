"""What HR read: where interviews stand, one person's whole interview, the digest and the
CSV export. Reads only, apart from the audit line a read of someone's words leaves."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.analysis import Analysis
from core.conversation import interview_of
from core.interview import Interview, InterviewState, Person
from core.localtime import local
from core.messages import FileMessage
from core.ports import Analyst, Clock, UnitOfWork, UnknownPerson
from core.questions import QuestionBank
from core.reporting import Digest, InterviewReport, build_digest, build_report, transcript

EXPORT_COLUMNS = (
    "interview_id",
    "employee",
    "user_id",
    "department",
    "manager",
    "outcome",
    "started_at",
    "ended_at",
    "primary_reason",
    "secondary_reasons",
    "sentiment",
    "would_return",
    "recommend",
    "answered",
)
# The digest reads themes in the words of this many of the period's latest interviews.
THEMES_FROM = 300
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Views:
    uow: Callable[[], UnitOfWork]
    # Units that only read (one snapshot, no commit): however long a read takes, nobody's
    # answer waits for it.
    read: Callable[[], UnitOfWork]
    bank: QuestionBank
    analyst: Analyst
    clock: Clock
    # Departments smaller than this are not broken out in digests.
    min_group: int = 3
    # Interviews an export holds in memory at once.
    export_page: int = 500

    def person(self, platform: str, user_id: str) -> Person | None:
        with self.read() as uow:
            return uow.people.find(platform, user_id)

    def open_interviews(self) -> list[Interview]:
        with self.read() as uow:
            return uow.interviews.open()

    def current(self, platform: str, user_id: str) -> Interview | None:
        """The person's open interview, else their latest, else None."""
        with self.read() as uow:
            return interview_of(uow, platform, user_id)

    def current_for(self, person: Person) -> Interview | None:
        with self.read() as uow:
            return uow.interviews.current_for(person)

    def counts(self, days: int) -> str:
        """How many are open now, and how the last `days` days' interviews ended."""
        now = self.clock.now()
        with self.read() as uow:
            open_now = uow.interviews.open()
            ended = uow.interviews.ended_between(now - timedelta(days=days), now)
        scheduled = sum(1 for i in open_now if i.state is InterviewState.SCHEDULED)
        tally: dict[str, int] = {}
        for interview in ended:
            tally[interview.state.value] = tally.get(interview.state.value, 0) + 1
        endings = ", ".join(f"{n} {s.lower().replace('_', ' ')}" for s, n in tally.items())
        return (
            f"Now: {scheduled} scheduled, {len(open_now) - scheduled} in progress.\n"
            f"Ended in the last {days} days: {endings or 'none'}"
        )

    def report(self, actor: str, person: Person) -> InterviewReport:
        """One person's whole interview; the read is audited."""
        with self.read() as uow:
            interview = uow.interviews.current_for(person)
        if interview is None:
            raise UnknownPerson(f"ExitBot has no exit interview for {person.name}.")
        with self.uow() as uow:
            uow.audit.record(
                self.clock.now(), actor, "report", f"{person.platform}:{person.user_id}"
            )
            uow.commit()
        return build_report(interview, self.bank)

    def digest(self, days: int) -> Digest:
        """Interviews that ended in the last `days` days, in numbers (counted by the
        database, however many) and themes (read from the latest few hundred)."""
        until = self.clock.now()
        since = until - timedelta(days=days)
        with self.read() as uow:
            counts = uow.interviews.digest_counts(since, until)
            open_now = uow.interviews.count_open()
            latest = uow.interviews.ended_between(since, until, latest=THEMES_FROM)
        themes = self.analyst.themes([transcript(i, self.bank) for i in latest]) if latest else []
        return build_digest(counts, open_now, self.bank, since, until, self.min_group, themes)

    def export(self, actor: str, days: int) -> FileMessage:
        """Interviews that ended in the last `days` days as CSV; the read is audited."""
        now = self.clock.now()
        rows = list(self._rows(now - timedelta(days=days), now))
        self._audit_export(actor, f"last {days} days: {len(rows)} interviews")
        return FileMessage(
            filename=f"exitbot-export-{now:%Y-%m-%d}.csv",
            title=f"Exit interviews ended in the last {days} days ({len(rows)})",
            content="".join(as_csv(rows)),
        )

    def export_rows(self, actor: str, days: int) -> Iterator[dict[str, object]]:
        """Interviews that ended in the last `days` days, a row each, read a page at a time
        as they are taken (a stream). The read is audited before the first row is seen."""
        now = self.clock.now()
        self._audit_export(actor, f"last {days} days, streamed")
        return self._rows(now - timedelta(days=days), now)

    def export_not_written(self, actor: str, why: str) -> None:
        """An export was read (and audited) but could not be handed over."""
        self._audit_export(actor, why, "export not written")

    def _audit_export(self, actor: str, subject: str, action: str = "export") -> None:
        with self.uow() as uow:  # before anyone sees a word of it
            uow.audit.record(self.clock.now(), actor, action, subject)
            uow.commit()

    def _rows(self, since: datetime, until: datetime) -> Iterator[dict[str, object]]:
        recommend = self.bank.by_role("recommend")
        for interview in self._ended(since, until):
            analysis = interview.analysis or Analysis()
            score = interview.answers.get(recommend.id) if recommend else None
            row = [
                interview.id,
                interview.employee.name,
                interview.employee.user_id,
                interview.employee.department or "",
                interview.employee.manager or "",
                interview.state.value,
                _iso(interview.started_at),
                _iso(interview.ended_at),
                analysis.primary_reason or "",
                " ".join(analysis.secondary_reasons),
                analysis.sentiment,
                "" if analysis.would_return is None else analysis.would_return,
                score.value if score and score.value is not None else "",
                sum(1 for a in interview.answers.values() if not a.skipped),
            ]
            yield dict(zip(EXPORT_COLUMNS, row, strict=True))

    def _ended(self, since: datetime, until: datetime) -> Iterator[Interview]:
        """The period's interviews a page at a time, each page read and let go."""
        last: Interview | None = None
        while True:
            with self.read() as uow:
                interviews = uow.interviews.ended_page(since, until, last, self.export_page)
            yield from interviews
            if len(interviews) < self.export_page:
                return
            last = interviews[-1]


def where(interview: Interview | None) -> str:
    """Where an interview stands, in a line for HR."""
    if interview is None:
        return "no exit interview."
    tz = interview.employee.timezone
    if interview.state is InterviewState.SCHEDULED:
        return f"scheduled for {local(interview.due_at, tz)}." if interview.due_at else "scheduled."
    if interview.state is InterviewState.IN_PROGRESS:
        answered = sum(1 for a in interview.answers.values() if not a.skipped)
        paused = " (paused by them)" if interview.paused_until else ""
        last = interview.last_activity_at or interview.started_at
        active = f", last active {local(last, tz)}" if last else ""
        return f"in progress{paused}, {answered} questions answered{active}."
    ended = interview.ended_at
    state = interview.state.value.lower()
    return f"{state} on {local(ended, tz)}." if ended else state


def as_csv(rows: Iterable[dict[str, object]]) -> Iterator[str]:
    """The rows as CSV text, a line at a time: a byte order mark (so Excel reads UTF-8
    names), the header, then each row with formulas made inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    yield "\ufeff" + out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([spreadsheet_safe(row[column]) for column in EXPORT_COLUMNS])
        yield out.getvalue()


def spreadsheet_safe(cell: object) -> object:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
