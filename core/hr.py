"""The HR desk: runs HR commands and answers the person who typed them. Only HR users get
anything; everyone else gets the same polite refusal, whatever they asked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta

from core.commands import LANG_OPTION, CommandError, CommandSet, HrCommand, PersonRef
from core.departures import Departure, Problem
from core.events import Command
from core.hr_actions import HrActions, Planned, ServiceError
from core.interview import Interview, InterviewState, Person
from core.localtime import local, moment_on
from core.messages import DigestMessage, OutboundMessage, ReportMessage, TextMessage
from core.ports import BulkDirectory, Clock, Directory, DirectoryRefused, UnknownPerson
from core.views import Views, where
from core.working_hours import WorkingHours

REFUSED = (CommandError, ServiceError, UnknownPerson)
# An exit date further back than this is refused when scheduling one person (a typo?).
PAST_DAYS = 30
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
REJECTED = "rejected"


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
class Progress:
    """Told how far an HR file has got: people looked up, then interviews scheduled."""

    looked_up: Callable[[int], None] = lambda n: None
    scheduled: Callable[[int], None] = lambda n: None


@dataclass
class Scheduling:
    scheduled: int = 0
    moved: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Placement:
    """What became of one departure: where its interview is, or why there is none."""

    departure: Departure
    how: str  # scheduled, moved, unchanged (see core.hr_actions), or REJECTED
    interview: Interview | None = None
    reason: str | None = None


@dataclass
class HrDesk:
    actions: HrActions
    views: Views
    clock: Clock
    directories: dict[str, Directory]
    hr_users: frozenset[str]
    send_time: time = time(10, 0)
    lead_days: int = 0
    # Working days: an invitation never goes out on a public holiday.
    working: WorkingHours = field(default_factory=WorkingHours)
    # How people type a command on each platform, when not just the words: {"slack": "/exitbot "}.
    invocations: dict[str, str] = field(default_factory=dict)

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
        return self.views.person(platform, user_id)

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
    @command(
        f"start @person {LANG_OPTION}",
        "interview them now, in a direct message (in that language: en, es, de, ...)",
    )
    def _start(self, asked: Asked) -> OutboundMessage:
        person = self._profile(asked.platform, asked.person)
        interview = self.actions.start_now(person, by=asked.actor, language=asked.command.language)
        return TextMessage(
            text=f"Started {person.name}'s exit interview{self._in_language(interview.language)}: "
            "ExitBot has messaged them directly."
        )

    @command(
        f"schedule @person YYYY-MM-DD [HH:MM] {LANG_OPTION}",
        "interview them on that day (their time zone; default time from settings)",
    )
    def _schedule(self, asked: Asked) -> OutboundMessage:
        day = asked.command.day
        assert day is not None  # the usage line makes it required
        return TextMessage(
            text=self.schedule(
                asked.platform,
                asked.actor,
                asked.person,
                day,
                asked.command.at,
                language=asked.command.language,
            )
        )

    @command("cancel @person", "cancel their scheduled or running interview")
    def _cancel(self, asked: Asked) -> OutboundMessage:
        person = self._known(asked.platform, asked.person)
        interview = self.actions.cancel(person, by=asked.actor)
        return TextMessage(text=f"Cancelled {interview.employee.name}'s exit interview.")

    @command("status [@person]", "counts by state, or where one person's interview stands")
    def _status(self, asked: Asked) -> OutboundMessage:
        if asked.command.person is None:
            return TextMessage(text=self.views.counts(DEFAULT_DAYS))
        person = self._known(asked.platform, asked.person)
        return TextMessage(text=f"{person.name}: {where(self.views.current_for(person))}")

    @command("list", "scheduled and running interviews")
    def _list(self, asked: Asked) -> OutboundMessage:
        interviews = self.views.open_interviews()
        if not interviews:
            return TextMessage(text="No interviews are scheduled or running.")
        lines = [f"Scheduled and running interviews ({len(interviews)}):"]
        lines += [f"• {i.employee.name}: {where(i)}" for i in interviews]
        return TextMessage(text="\n".join(lines))

    @command("report @person", "their whole interview (only you see it; the read is audited)")
    def _report(self, asked: Asked) -> OutboundMessage:
        person = self._known(asked.platform, asked.person)
        return ReportMessage(report=self.views.report(asked.actor, person))

    @command(
        "digest [DAYS]",
        f"reasons for leaving and scores over the last DAYS (default {DEFAULT_DAYS})",
    )
    def _digest(self, asked: Asked) -> OutboundMessage:
        return DigestMessage(digest=self.views.digest(asked.command.days or DEFAULT_DAYS))

    @command("export [DAYS]", "interviews that ended in the last DAYS as CSV (audited)")
    def _export(self, asked: Asked) -> OutboundMessage:
        return self.views.export(asked.actor, asked.command.days or DEFAULT_DAYS)

    @command("forget @person", "erase everything ExitBot holds about them, now")
    def _forget(self, asked: Asked) -> OutboundMessage:
        person = self._known(asked.platform, asked.person)
        self.actions.forget(person, by=asked.actor)
        return TextMessage(
            text=f"Erased everything ExitBot held about {person.name}: their interviews, answers "
            "and messages. Only an audit line that you did this remains."
        )

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
        *,
        long_past: bool = False,
        language: str | None = None,
    ) -> str:
        """Schedule (or move) someone's interview for their exit date, `lead_days` working
        days earlier, at `at` or the default send time in their own zone. An exit date more
        than PAST_DAYS ago is refused (a typo would send at once) unless `long_past`."""
        if not long_past and exit_date < self.clock.now().date() - timedelta(days=PAST_DAYS):
            raise CommandError(
                f"{exit_date} is more than {PAST_DAYS} days ago, and the interview would go out "
                "at once: check the date, or use `start @person` to interview them now."
            )
        person = self._profile(platform, ref)
        due = self.plan(person, exit_date, at, department, manager).due_at
        send_day = self.working.days_before(exit_date, self.lead_days)
        before = self.views.current(platform, person.user_id)
        moved = before is not None and before.state is InterviewState.SCHEDULED
        interview = self.actions.schedule(
            person, due, by=actor, exit_date=exit_date, language=language
        )
        when = local(due, person.timezone)
        if send_day == exit_date:
            lead = ""
        elif self.lead_days:
            days = f"{self.lead_days} working day{'s' if self.lead_days > 1 else ''}"
            lead = f", {days} before their exit date ({exit_date:%a %d %b})"
        else:
            why = "a public holiday" if self.working.holiday(exit_date) else "not a working day"
            lead = f", the working day before their exit date ({exit_date:%a %d %b}, {why})"
        passed = (
            " That time has already passed, so it goes out within a minute."
            if due <= self.clock.now()
            else ""
        )
        verb = "Moved" if moved else "Scheduled"
        preposition = "to" if moved else "for"
        spoken = self._in_language(interview.language)
        return f"{verb} {person.name}'s exit interview{spoken} {preposition} {when}{lead}.{passed}"

    def _in_language(self, language: str | None) -> str:
        """ " (in es)" for HR's confirmation, when the interview is not in the default."""
        default = self.actions.dialogue.languages.default
        return f" (in {language})" if language and language != default else ""

    def plan(
        self,
        person: Person,
        exit_date: date,
        at: time | None = None,
        department: str | None = None,
        manager: str | None = None,
    ) -> Planned:
        """When this person's interview opens: `lead_days` working days before their exit
        date, at `at` or the default send time, in their own zone."""
        person.department = department or person.department
        person.manager = manager or person.manager
        send_day = self.working.days_before(exit_date, self.lead_days)
        return Planned(
            person, moment_on(send_day, at or self.send_time, person.timezone), exit_date
        )

    def place_departures(
        self,
        platform: str,
        actor: str,
        departures: Sequence[Departure],
        progress: Progress | None = None,
        chunk: int = 500,
        bulk_from: int = 0,
    ) -> list[Placement]:
        """Leavers from an HR file or an HR system, each placed or refused on its own: looked
        up all at once where the directory can list everyone and there are many (else one
        by one), then scheduled a few hundred to a unit of work. Fewer than `bulk_from` are
        looked up one by one whatever the directory."""
        progress = progress or Progress()
        bulk = len(departures) >= bulk_from
        find = self._finder(platform, bulk, progress)
        placements: list[Placement] = []
        plans: list[tuple[Departure, Planned]] = []
        for departure in departures:
            try:
                person = find(departure.person)
            except DirectoryRefused:  # nobody can be looked up: not a problem of this row
                raise
            except UnknownPerson as exc:  # anything else is the directory failing: raised
                placements.append(Placement(departure, REJECTED, reason=str(exc)))
                continue
            plan = self.plan(
                replace(person),
                departure.exit_date,
                departure.at,
                department=departure.department,
                manager=departure.manager,
            )
            plans.append((departure, replace(plan, language=departure.language)))
        for start in range(0, len(plans), chunk):
            batch = plans[start : start + chunk]
            done = self.actions.schedule_many([plan for _, plan in batch], by=actor)
            for (departure, _), result in zip(batch, done, strict=True):
                if isinstance(result, ServiceError):
                    placements.append(Placement(departure, REJECTED, reason=str(result)))
                else:
                    placements.append(Placement(departure, result.how, result.interview))
            progress.scheduled(len(done))
        order = {id(d): n for n, d in enumerate(departures)}
        return sorted(placements, key=lambda p: order[id(p.departure)])

    def _finder(
        self, platform: str, bulk: bool, progress: Progress
    ) -> Callable[[PersonRef], Person]:
        directory = self._directory(platform)
        if not (bulk and isinstance(directory, BulkDirectory)):

            def lookup(ref: PersonRef) -> Person:
                try:
                    return directory.lookup(user_id=ref.user_id, email=ref.email)
                finally:
                    progress.looked_up(1)

            return lookup
        people = directory.everyone(progress.looked_up)
        by_id = {p.user_id: p for p in people}
        by_email = {p.email.casefold(): p for p in people if p.email}

        def find(ref: PersonRef) -> Person:
            found = by_id.get(ref.user_id or "") or by_email.get((ref.email or "").casefold())
            if found is None:
                raise UnknownPerson(f"{platform.capitalize()} has no user {ref}.")
            return found

        return find

    def schedule_departures(
        self,
        platform: str,
        actor: str,
        departures: Sequence[Departure],
        progress: Progress | None = None,
        chunk: int = 500,
    ) -> Scheduling:
        """An HR file's leavers, counted; every refusal a problem on its line."""
        outcome = Scheduling()
        for placed in self.place_departures(platform, actor, departures, progress, chunk):
            if placed.how == REJECTED:
                outcome.problems.append(Problem(placed.departure.line, placed.reason or ""))
            else:
                setattr(outcome, placed.how, getattr(outcome, placed.how) + 1)
        return outcome
