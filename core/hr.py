"""The HR desk: runs HR commands and answers the person who typed them. Only HR users get
anything; everyone else gets the same polite refusal, whatever they asked."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from core.analysis import Analysis
from core.commands import CommandError, CommandSet, HrCommand, PersonRef
from core.events import Command
from core.interview import Interview, InterviewState, Person
from core.localtime import local, moment_on, working_days_before
from core.messages import DigestMessage, FileMessage, OutboundMessage, ReportMessage, TextMessage
from core.ports import Clock, Directory, UnitOfWork, UnknownPerson
from core.questions import QuestionBank
from core.reporting import build_report
from core.service import InterviewService, ServiceError

REFUSED = (CommandError, ServiceError, UnknownPerson)
REFUSAL = (
    "Sorry, ExitBot's commands are only for the HR team. If you think you should have "
    "access, ask HR."
)
SENT_PRIVATELY = "I've sent it to you privately."
NO_PRIVATE_CHAT = (
    "I can't answer that here, where others can read it, and I can't message you privately "
    "yet: open a chat with ExitBot and type the command there."
)
DEFAULT_DAYS = 30
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


COMMANDS = CommandSet()
command = COMMANDS.command


@dataclass(frozen=True)
class Asked:
    """A command as its handler gets it: who asked, on which platform, and what."""

    platform: str
    actor: str
    command: HrCommand
    # How people type a command on that platform (`/exitbot ` on Slack), for help text.
    invocation: str = ""

    @property
    def person(self) -> PersonRef:
        if self.command.person is None:
            raise CommandError(f"{self.command.verb} needs a person.")
        return self.command.person


@dataclass(frozen=True)
class HrAnswer:
    """What HR output goes where. `private` is only for the person who asked; `shared`,
    when the command was typed where others can read, is all that may be said there: if
    the private answer cannot be delivered, the platform says NO_PRIVATE_CHAT instead."""

    private: OutboundMessage
    shared: str | None = None


@dataclass
class HrDesk:
    service: InterviewService
    uow: Callable[[], UnitOfWork]
    bank: QuestionBank
    clock: Clock
    directories: Mapping[str, Directory]
    hr_users: frozenset[str]
    send_time: time = time(10, 0)
    lead_days: int = 0
    # How people type a command on each platform, when not just the words: {"slack": "/exitbot "}.
    invocations: Mapping[str, str] = field(default_factory=dict)

    def answer(self, command: Command) -> HrAnswer:
        """HR output, reports and refusals alike, goes only to the person who asked."""
        reply = self.handle(command)
        return HrAnswer(private=reply, shared=SENT_PRIVATELY if command.shared else None)

    def handle(self, command: Command) -> OutboundMessage:
        """An HR command typed on a platform: HR users only; problems become the answer."""
        if command.user_id not in self.hr_users:
            return TextMessage(text=REFUSAL)
        try:
            return self.run(command)
        except REFUSED as exc:
            return TextMessage(text=str(exc))

    def run(self, command: Command) -> OutboundMessage:
        """Run a command for a trusted caller (the shell). Raises CommandError,
        ServiceError or UnknownPerson with a message fit for the person who asked."""
        invocation = self.invocations.get(command.platform, "")
        verb, parsed = COMMANDS.parse(command.text, invocation)
        reply: OutboundMessage = verb.handler(
            self, Asked(command.platform, command.user_id, parsed, invocation)
        )
        return reply

    # -- people ------------------------------------------------------------------------------
    def _directory(self, platform: str) -> Directory:
        directory = self.directories.get(platform)
        if directory is None:
            raise UnknownPerson(f"ExitBot cannot look people up on {platform}.")
        return directory

    def _profile(self, platform: str, ref: PersonRef) -> Person:
        """The person's current profile from the platform (name, time zone, e-mail)."""
        return self._directory(platform).lookup(user_id=ref.user_id, email=ref.email)

    def _find(self, platform: str, user_id: str) -> Person | None:
        with self.uow() as uow:
            return uow.people.find(platform, user_id)

    def _known(self, platform: str, ref: PersonRef) -> Person:
        """A person ExitBot has interviewed or scheduled; e-mails are looked up first."""
        person = self._find(platform, ref.user_id) if ref.user_id else None
        if person is None:
            # An e-mail, or a platform id that is not the one ExitBot keeps (a Teams mention
            # names 29:..., people are kept by their Entra object id): ask the directory.
            person = self._find(platform, self._profile(platform, ref).user_id)
        if person is None:
            raise UnknownPerson(f"ExitBot has no exit interview for {ref}.")
        return person

    # -- commands, in the order help lists them --------------------------------------------
    @command("start @person", "interview them now, in a direct message")
    def _start(self, asked: Asked) -> OutboundMessage:
        person = self._profile(asked.platform, asked.person)
        self.service.start_now(person, by=asked.actor)
        return TextMessage(
            text=f"Started {person.name}'s exit interview: ExitBot has messaged them directly."
        )

    @command(
        "schedule @person YYYY-MM-DD [HH:MM]",
        "interview them on that day (their time zone; default time from settings)",
    )
    def _schedule(self, asked: Asked) -> OutboundMessage:
        day = asked.command.day
        assert day is not None  # the usage line makes it required
        return TextMessage(
            text=self.schedule(asked.platform, asked.actor, asked.person, day, asked.command.at)
        )

    @command("cancel @person", "cancel their scheduled or running interview")
    def _cancel(self, asked: Asked) -> OutboundMessage:
        person = self._known(asked.platform, asked.person)
        interview = self.service.cancel(person, by=asked.actor)
        return TextMessage(text=f"Cancelled {interview.employee.name}'s exit interview.")

    @command("status [@person]", "counts by state, or where one person's interview stands")
    def _status(self, asked: Asked) -> OutboundMessage:
        if asked.command.person is None:
            return self._counts()
        person = self._known(asked.platform, asked.person)
        with self.uow() as uow:
            interview = uow.interviews.current_for(person)
        return TextMessage(text=f"{person.name}: {self._where(interview)}")

    @command("list", "scheduled and running interviews")
    def _list(self, asked: Asked) -> OutboundMessage:
        with self.uow() as uow:
            interviews = uow.interviews.open()
        if not interviews:
            return TextMessage(text="No interviews are scheduled or running.")
        lines = [f"Scheduled and running interviews ({len(interviews)}):"]
        lines += [f"• {i.employee.name}: {self._where(i)}" for i in interviews]
        return TextMessage(text="\n".join(lines))

    @command("report @person", "their whole interview (only you see it; the read is audited)")
    def _report(self, asked: Asked) -> OutboundMessage:
        person = self._known(asked.platform, asked.person)
        with self.uow() as uow:
            interview = uow.interviews.current_for(person)
            if interview is None:
                raise UnknownPerson(f"ExitBot has no exit interview for {person.name}.")
            uow.audit.record(
                self.clock.now(), asked.actor, "report", f"{person.platform}:{person.user_id}"
            )
            uow.commit()
        return ReportMessage(report=build_report(interview, self.bank))

    @command(
        "digest [DAYS]",
        f"reasons for leaving and scores over the last DAYS (default {DEFAULT_DAYS})",
    )
    def _digest(self, asked: Asked) -> OutboundMessage:
        return DigestMessage(digest=self.service.digest(asked.command.days or DEFAULT_DAYS))

    @command("export [DAYS]", "interviews that ended in the last DAYS as CSV (audited)")
    def _export(self, asked: Asked) -> OutboundMessage:
        return self.export(asked.actor, asked.command.days or DEFAULT_DAYS)

    @command("forget @person", "erase everything ExitBot holds about them, now")
    def _forget(self, asked: Asked) -> OutboundMessage:
        return self.forget(asked.actor, self._known(asked.platform, asked.person))

    @command("help", "this list")
    def _help(self, asked: Asked) -> OutboundMessage:
        return TextMessage(text=COMMANDS.help_text(asked.invocation))

    # -- the work behind them -------------------------------------------------------------------
    def schedule(
        self,
        platform: str,
        actor: str,
        ref: PersonRef,
        exit_date: date,
        at: time | None = None,
        department: str | None = None,
        manager: str | None = None,
    ) -> str:
        """Schedule (or move) someone's interview for their exit date, `lead_days` working
        days earlier, at `at` or the default send time in their own zone."""
        person = self._profile(platform, ref)
        person.department = department or person.department
        person.manager = manager or person.manager
        send_day = working_days_before(exit_date, self.lead_days)
        due = moment_on(send_day, at or self.send_time, person.timezone)
        with self.uow() as uow:
            known = uow.people.find(platform, person.user_id)
            before = uow.interviews.current_for(known) if known else None
        moved = before is not None and before.state is InterviewState.SCHEDULED
        self.service.schedule(person, due, by=actor, exit_date=exit_date)
        when = local(due, person.timezone)
        lead = (
            f", {self.lead_days} working day{'s' if self.lead_days > 1 else ''} before their "
            f"exit date ({exit_date:%a %d %b})"
            if send_day != exit_date
            else ""
        )
        passed = (
            " That time has already passed, so it goes out within a minute."
            if due <= self.clock.now()
            else ""
        )
        verb = "Moved" if moved else "Scheduled"
        preposition = "to" if moved else "for"
        return f"{verb} {person.name}'s exit interview {preposition} {when}{lead}.{passed}"

    def _counts(self) -> OutboundMessage:
        now = self.clock.now()
        with self.uow() as uow:
            open_now = uow.interviews.open()
            ended = uow.interviews.ended_between(now - timedelta(days=DEFAULT_DAYS), now)
        scheduled = sum(1 for i in open_now if i.state is InterviewState.SCHEDULED)
        lines = [
            f"Now: {scheduled} scheduled, {len(open_now) - scheduled} in progress.",
            f"Ended in the last {DEFAULT_DAYS} days: "
            + (
                ", ".join(f"{n} {s.lower().replace('_', ' ')}" for s, n in _tally(ended).items())
                or "none"
            ),
        ]
        return TextMessage(text="\n".join(lines))

    def _where(self, interview: Interview | None) -> str:
        if interview is None:
            return "no exit interview."
        tz = interview.employee.timezone
        if interview.state is InterviewState.SCHEDULED:
            return (
                f"scheduled for {local(interview.due_at, tz)}."
                if interview.due_at
                else "scheduled."
            )
        if interview.state is InterviewState.IN_PROGRESS:
            answered = sum(1 for a in interview.answers.values() if not a.skipped)
            paused = " (paused by them)" if interview.paused_until else ""
            last = interview.last_activity_at or interview.started_at
            active = f", last active {local(last, tz)}" if last else ""
            return f"in progress{paused}, {answered} questions answered{active}."
        ended = interview.ended_at
        return (
            f"{interview.state.value.lower()} on {local(ended, tz)}."
            if ended
            else interview.state.value.lower()
        )

    def export(self, actor: str, days: int) -> FileMessage:
        now = self.clock.now()
        with self.uow() as uow:
            ended = uow.interviews.ended_between(now - timedelta(days=days), now)
            uow.audit.record(now, actor, "export", f"last {days} days: {len(ended)} interviews")
            uow.commit()
        # The byte order mark makes Excel read the file as UTF-8 (names with accents).
        out = io.StringIO("\ufeff")
        out.seek(0, io.SEEK_END)
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for interview in ended:
            analysis = interview.analysis or Analysis()
            recommend = self.bank.by_role("recommend")
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
            writer.writerow([spreadsheet_safe(cell) for cell in row])
        return FileMessage(
            filename=f"exitbot-export-{now:%Y-%m-%d}.csv",
            title=f"Exit interviews ended in the last {days} days ({len(ended)})",
            content=out.getvalue(),
        )

    def forget(self, actor: str, person: Person) -> OutboundMessage:
        with self.uow() as uow:
            known = uow.people.find(person.platform, person.user_id)
            if known is not None:
                uow.people.remove(known)
            uow.inbox.erase_from(person.platform, person.user_id)
            uow.audit.record(
                self.clock.now(), actor, "forget", f"{person.platform}:{person.user_id}"
            )
            uow.commit()
            uow.scrub()
        return TextMessage(
            text=f"Erased everything ExitBot held about {person.name}: their interviews, answers "
            "and messages. Only an audit line that you did this remains."
        )


# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: object) -> object:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _tally(interviews: list[Interview]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for interview in interviews:
        counts[interview.state.value] = counts.get(interview.state.value, 0) + 1
    return counts


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
