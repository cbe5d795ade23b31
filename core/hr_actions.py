"""What HR change: start an interview now, schedule or move one, cancel one, and erase
everything about a person. Each runs in one unit of work with the messages it sends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from core import wording
from core.conversation import tell
from core.dialogue import Dialogue
from core.interview import Interview, InterviewState, Person, Trigger
from core.ports import UnitOfWork
from core.transactions import Transactions


class ServiceError(Exception):
    """A request refused, with a message fit to show the person who asked."""


@dataclass(frozen=True)
class Planned:
    """One person's interview to schedule: when it opens, and their exit date."""

    person: Person
    due_at: datetime
    exit_date: date | None = None
    # The language HR asked for ("es"); None: the person's platform's, else the default.
    language: str | None = None


# Where a planned interview ended up.
SCHEDULED, MOVED, UNCHANGED = "scheduled", "moved", "unchanged"


@dataclass(frozen=True)
class Placed:
    interview: Interview
    how: str  # SCHEDULED (made), MOVED, or UNCHANGED (already at that time)


@dataclass
class HrActions:
    transactions: Transactions
    dialogue: Dialogue

    def language_for(self, person: Person, asked: str | None = None) -> str | None:
        """The interview's language: the one HR asked for (ServiceError when ExitBot does
        not speak it), else the one the person's platform is set to, if spoken."""
        languages = self.dialogue.languages
        if asked:
            code = languages.supported(asked)
            if code is None:
                raise ServiceError(
                    f"ExitBot cannot interview in {asked!r}: it speaks "
                    f"{', '.join(languages.codes)}."
                )
            return code
        return languages.supported(person.locale)

    def start_now(
        self, person: Person, by: str | None = None, language: str | None = None
    ) -> Interview:
        """Open an interview with this person now (a SCHEDULED one is brought forward), in
        `language` when HR name one."""
        spoken = self.language_for(person, language)

        def work(uow: UnitOfWork) -> Interview:
            now = self.transactions.clock.now()
            known = _remember(uow, person)
            interview = uow.interviews.current_for(known)
            if interview is not None and interview.state is InterviewState.IN_PROGRESS:
                raise ServiceError(f"{known.name} already has an interview in progress.")
            if interview is None or not interview.state.is_open:
                interview = Interview(employee=known, created_at=now, created_by=by)
                uow.interviews.add(interview)
            interview.language = spoken or interview.language
            reason = f"started by {by}" if by else "started"
            tell(uow, interview, self.dialogue.open(interview, now, reason))
            return interview

        return self.transactions.run(work)

    def schedule(
        self,
        person: Person,
        due_at: datetime,
        by: str | None = None,
        exit_date: date | None = None,
        language: str | None = None,
    ) -> Interview:
        """Interview this person at `due_at`; a SCHEDULED interview is moved there."""
        spoken = self.language_for(person, language)

        def work(uow: UnitOfWork) -> Interview:
            known = _remember(uow, person)
            plan = Planned(known, due_at, exit_date, spoken)
            return self._place(uow, plan, uow.interviews.current_for(known), by).interview

        return self.transactions.run(work)

    def _place(
        self, uow: UnitOfWork, plan: Planned, current: Interview | None, by: str | None
    ) -> Placed:
        """The person's interview at the planned time, made, moved there or already there;
        ServiceError when one is already under way."""
        if current is not None and current.state is InterviewState.IN_PROGRESS:
            raise ServiceError(f"{plan.person.name} already has an interview in progress.")
        if current is not None and current.state is InterviewState.SCHEDULED:
            exit_date = plan.exit_date or current.exit_date
            language = plan.language or current.language
            before = (current.due_at, current.exit_date, current.language)
            if before == (plan.due_at, exit_date, language):
                return Placed(current, UNCHANGED)
            current.due_at, current.exit_date = plan.due_at, exit_date
            current.language = language
            return Placed(current, MOVED)
        interview = Interview(
            employee=plan.person,
            created_at=self.transactions.clock.now(),
            created_by=by,
            due_at=plan.due_at,
            exit_date=plan.exit_date,
            language=plan.language,
        )
        uow.interviews.add(interview)
        return Placed(interview, SCHEDULED)

    def schedule_many(
        self, plans: Sequence[Planned], by: str | None = None
    ) -> list[Placed | ServiceError]:
        """`schedule` for many people in one unit of work (an HR file, an HR system): for
        each, where their interview is now, or why not."""

        def work(uow: UnitOfWork) -> list[Placed | ServiceError]:
            outcomes: list[Placed | ServiceError] = []
            # Everyone's record and current interview in two queries, not two per person.
            kept: dict[tuple[str, str], Person] = {}
            for platform in {plan.person.platform for plan in plans}:
                ids = [p.person.user_id for p in plans if p.person.platform == platform]
                kept |= {(platform, k.user_id): k for k in uow.people.find_many(platform, ids)}
            current = uow.interviews.current_for_many(list(kept.values()))
            for plan in plans:
                key = (plan.person.platform, plan.person.user_id)
                known = kept.get(key)
                if known is None:
                    uow.people.add(plan.person)
                    known = kept[key] = plan.person
                else:
                    _update(known, plan.person)
                try:
                    spoken = self.language_for(plan.person, plan.language)
                    placed = self._place(
                        uow,
                        replace(plan, person=known, language=spoken),
                        current.get(known.id),
                        by,
                    )
                except ServiceError as refused:
                    outcomes.append(refused)
                    continue
                current[known.id] = placed.interview  # the same person twice in one file
                outcomes.append(placed)
            return outcomes

        return self.transactions.run(work)

    def cancel(self, person: Person, by: str) -> Interview:
        def work(uow: UnitOfWork) -> Interview:
            known = uow.people.find(person.platform, person.user_id)
            interview = uow.interviews.current_for(known) if known else None
            if interview is None or not interview.can(Trigger.CANCEL):
                raise ServiceError(f"{person.name} has no open interview to cancel.")
            self.cancel_interview(uow, interview, by)
            return interview

        return self.transactions.run(work)

    def cancel_interview(self, uow: UnitOfWork, interview: Interview, by: str) -> None:
        """Cancel an open interview in this unit of work; someone mid-interview is told."""
        was_running = interview.state is InterviewState.IN_PROGRESS
        interview.fire(Trigger.CANCEL, self.transactions.clock.now(), f"cancelled by {by}")
        if was_running:
            tell(uow, interview, self.dialogue.say(interview, wording.CANCELLED_BY_HR))

    def forget(self, person: Person, by: str) -> None:
        """Erase the person, their interviews, answers and messages; an audit line stays."""
        with self.transactions.uow() as uow:
            known = uow.people.find(person.platform, person.user_id)
            if known is not None:
                uow.people.remove(known)
            uow.inbox.erase_from(person.platform, person.user_id)
            # Answers kept for repeated HR API requests may name them: none outlives this.
            uow.api_keys.forget_answers(self.transactions.clock.now() + timedelta(seconds=1))
            uow.audit.record(
                self.transactions.clock.now(), by, "forget", f"{person.platform}:{person.user_id}"
            )
            uow.commit()
            uow.scrub()


def _remember(uow: UnitOfWork, person: Person) -> Person:
    """The person as ExitBot keeps them, added or brought up to date with this profile."""
    known = uow.people.find(person.platform, person.user_id)
    if known is None:
        uow.people.add(person)
        return person
    _update(known, person)
    return known


def _update(known: Person, person: Person) -> None:
    """What the platform says of them now, over what ExitBot kept."""
    for attr in ("display_name", "email", "timezone", "department", "manager"):
        if getattr(person, attr):
            setattr(known, attr, getattr(person, attr))
