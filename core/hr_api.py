"""What an HR system does over the API: push departures, list, read, cancel and move
interviews, read the digest and exports, erase people. The same use cases as HR's chat
commands; every read of someone's words and every erasure is audited with the key's name."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from core.api_keys import ApiKey, digest_of, prefix_of
from core.departures import Departure
from core.hr import REJECTED, HrDesk, Placement
from core.hr_actions import ServiceError
from core.interview import Interview, InterviewState, Trigger
from core.ports import ConcurrentUpdate, InterviewFilter, StoredResponse, UnitOfWork
from core.reporting import Digest, InterviewReport, build_report
from core.transactions import Transactions

# Fewer leavers in one request than this are looked up one by one (users.lookupByEmail),
# more by listing everyone (users.list, 1,000 a call).
BULK_FROM = 20


class NotFound(Exception):
    """No such interview (or it was erased)."""


class StaleVersion(Exception):
    """The interview changed since the caller read it (If-Match named an older version)."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the interview is at version {current}")
        self.current = current


@dataclass(frozen=True)
class Listed:
    """An interview as read, with the version a change must name (If-Match)."""

    interview: Interview
    version: int


@dataclass
class HrApi:
    desk: HrDesk

    @property
    def _transactions(self) -> Transactions:
        return self.desk.actions.transactions

    # -- keys -----------------------------------------------------------------------------
    def key_for(self, presented: str) -> ApiKey | None:
        """The live key the caller presented, or None."""
        prefix = prefix_of(presented)
        if prefix is None:
            return None
        with self.desk.views.read() as uow:
            key = uow.api_keys.find(prefix)
        return key if key is not None and key.opens(presented) else None

    def add_key(self, name: str, scopes: frozenset[str], key: str, by: str) -> ApiKey:
        """Keep a new key (only its digest); ServiceError when the name is taken."""
        prefix = prefix_of(key)
        assert prefix is not None, "a key is made as exb_<prefix>_<secret>"
        made = ApiKey(name, prefix, digest_of(key), scopes, self.desk.clock.now())
        with self.desk.views.uow() as uow:
            if any(k.name == name for k in uow.api_keys.all()):
                raise ServiceError(f"there is already a key named {name}: pick another name")
            uow.api_keys.add(made)
            uow.audit.record(made.created_at, by, "api-key create", name)
            uow.commit()
        return made

    def keys(self) -> list[ApiKey]:
        with self.desk.views.read() as uow:
            return uow.api_keys.all()

    def revoke(self, name_or_prefix: str, by: str) -> ApiKey:
        with self.desk.views.uow() as uow:
            key = uow.api_keys.revoke(name_or_prefix, self.desk.clock.now())
            if key is None:
                raise ServiceError(f"no key is named {name_or_prefix}")
            uow.audit.record(self.desk.clock.now(), by, "api-key revoke", key.name)
            uow.commit()
        return key

    # -- repeated requests ------------------------------------------------------------------
    def answered(self, key: ApiKey, idempotency_key: str) -> StoredResponse | None:
        since = self.desk.clock.now() - timedelta(days=1)
        with self.desk.views.read() as uow:
            return uow.api_keys.answered(key.prefix, idempotency_key, since)

    def remember(self, key: ApiKey, idempotency_key: str, response: StoredResponse) -> bool:
        """Keep the answer for a repeat; False when a concurrent twin kept one first."""
        try:
            with self.desk.views.uow() as uow:
                now = self.desk.clock.now()
                uow.api_keys.remember(key.prefix, idempotency_key, response, now)
                uow.commit()
        except ConcurrentUpdate:  # the twin's answer stands; this one is still sent
            return False
        return True

    # -- departures ---------------------------------------------------------------------------
    def push(self, key: ApiKey, departures: Sequence[Departure]) -> list[Placement]:
        """Each departure scheduled, moved, left as it was or rejected, in the order given."""
        placed: dict[int, Placement] = {}
        for platform in sorted({d.platform or "" for d in departures}):
            group = [d for d in departures if (d.platform or "") == platform]
            if platform not in self.desk.directories:
                why = (
                    f"ExitBot is not set up to find people on {platform}"
                    if platform
                    else "say which platform they are on (slack or teams)"
                )
                placed |= {d.line: Placement(d, REJECTED, reason=why) for d in group}
                continue
            placements = self.desk.place_departures(platform, key.actor, group, bulk_from=BULK_FROM)
            for placement in placements:
                placed[placement.departure.line] = placement
        return [placed[d.line] for d in departures]

    # -- interviews ---------------------------------------------------------------------------
    def interviews(
        self, which: InterviewFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[Listed]:
        with self.desk.views.read() as uow:
            found = uow.interviews.listed(which, after, limit)
            return [Listed(i, uow.interviews.version(i)) for i in found]

    def interview(self, interview_id: str) -> Listed:
        with self.desk.views.read() as uow:
            found = uow.interviews.get(interview_id)
            if found is None:
                raise NotFound(interview_id)
            return Listed(found, uow.interviews.version(found))

    def report(self, key: ApiKey, interview_id: str) -> InterviewReport:
        """The interview in the employee's own words; the read is audited."""
        interview = self.interview(interview_id).interview
        with self.desk.views.uow() as uow:
            uow.audit.record(
                self.desk.clock.now(), key.actor, "report", f"interview:{interview_id}"
            )
            uow.commit()
        return build_report(interview, self.desk.views.bank)

    def cancel(self, key: ApiKey, interview_id: str) -> Listed:
        def work(uow: UnitOfWork) -> None:
            interview = uow.interviews.get(interview_id)
            if interview is None:
                raise NotFound(interview_id)
            if not interview.can(Trigger.CANCEL):
                raise ServiceError(f"the interview is {interview.state.value}: nothing to cancel")
            self.desk.actions.cancel_interview(uow, interview, key.actor)

        self._transactions.run(work)
        return self.interview(interview_id)

    def move(
        self, key: ApiKey, interview_id: str, version: int, exit_date: date, at: time | None
    ) -> Listed:
        """A scheduled interview moved to another exit date (and time), if the caller saw
        its latest version."""

        def work(uow: UnitOfWork) -> None:
            interview = uow.interviews.get(interview_id)
            if interview is None:
                raise NotFound(interview_id)
            current = uow.interviews.version(interview)
            if current != version:
                raise StaleVersion(current)
            if interview.state is not InterviewState.SCHEDULED:
                raise ServiceError(
                    f"the interview is {interview.state.value}: only a scheduled one can move"
                )
            plan = self.desk.plan(replace(interview.employee), exit_date, at)
            interview.due_at, interview.exit_date = plan.due_at, exit_date

        self._transactions.run(work)
        return self.interview(interview_id)

    # -- reads at length, erasure ---------------------------------------------------------------
    def digest(self, days: int) -> Digest:
        return self.desk.views.digest(days)

    def export(self, key: ApiKey, days: int) -> Iterator[dict[str, object]]:
        """The period's interviews as rows, read a page at a time; audited before the first."""
        return self.desk.views.export_rows(key.actor, days)

    def erase(self, key: ApiKey, email: str) -> int:
        """Everything about whoever has this e-mail address, on any platform; how many."""
        with self.desk.views.read() as uow:
            people = uow.people.with_email(email)
        for person in people:
            self.desk.actions.forget(person, by=key.actor)
        if not people:
            with self.desk.views.uow() as uow:
                uow.audit.record(
                    self.desk.clock.now(), key.actor, "forget", f"email:{email} (none)"
                )
                uow.commit()
        return len(people)
