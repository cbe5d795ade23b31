"""The people and interview repositories, in plain SQL statements (SQLAlchemy Core).

Every answer loads one interview and writes it back: through the ORM that was about a third
of the bot's CPU per answer (its identity map, attribute history and flush plan, for three
tables whose rows map one to one onto the domain's dataclasses). Here each repository keeps
what it loaded and how it looked then; a commit writes what differs, an interview with its
version checked (the optimistic lock). Added rows are written before the repository answers
its next question (as the ORM's autoflush did) or at the commit, whichever comes first; at
the commit, a key another writer took first is reported as ConcurrentUpdate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Row,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from adapters.storage.models import (
    AnswerRow,
    ConversationRefRow,
    InterviewRow,
    PersonRow,
    TransitionRow,
)
from adapters.storage.open_interviews import OpenInterviews, shallow_copy
from adapters.storage.references import person_keys
from core.analysis import Analysis
from core.interview import (
    OPEN_STATES,
    REPORTED_ENDINGS,
    Answer,
    AwaitingAnswer,
    AwaitingFollowup,
    Interview,
    InterviewEnded,
    InterviewState,
    Paused,
    Person,
    Transition,
    Trigger,
    Waiting,
)
from core.ports import ConcurrentUpdate, InterviewFilter
from core.reporting import DigestCounts

PEOPLE = cast(Table, PersonRow.__table__)
INTERVIEWS = cast(Table, InterviewRow.__table__)
ANSWERS = cast(Table, AnswerRow.__table__)
TRANSITIONS = cast(Table, TransitionRow.__table__)
REFERENCES = cast(Table, ConversationRefRow.__table__)

PERSON_FIELDS = (
    "platform",
    "user_id",
    "display_name",
    "email",
    "timezone",
    "department",
    "manager",
)
# Interview fields stored as they are, in columns of the same name.
INTERVIEW_FIELDS = (
    "created_at",
    "created_by",
    "due_at",
    "exit_date",
    "followups_asked",
    "last_activity_at",
    "reminded_at",
    "purged_at",
    "llm_calls",
    "llm_tokens",
    "language",
)
ANSWER_FIELDS = ("value", "answered_at", "followup_question", "followup_answer")
OPEN = [state.value for state in OPEN_STATES]
# state IN (...open states) as plain comparisons, which are compiled once (see OfInterviews);
# every answer asks which interview is open.
IS_OPEN = or_(*(INTERVIEWS.c.state == state for state in sorted(OPEN)))
# Rows fetched per IN (...) list of interview ids (a digest may load thousands).
CHUNK = 500


def person_from(row: Any, prefix: str = "") -> Person:
    """A person from a row of the people table (`prefix`: its columns' labels in a join)."""
    return Person(
        id=getattr(row, f"{prefix}id"), **{f: getattr(row, f"{prefix}{f}") for f in PERSON_FIELDS}
    )


def person_fields(person: Person) -> dict[str, Any]:
    """A person's columns but the id (which never changes)."""
    return {f: getattr(person, f) for f in PERSON_FIELDS}


class SqlPersonRepository:
    def __init__(self, db: Connection, kept: OpenInterviews | None = None) -> None:
        self._db = db
        self._kept = kept
        # Each person this unit of work knows, with a copy of how they were last written
        # (None: added here, not written yet).
        self._seen: dict[str, tuple[Person, Person | None]] = {}

    def find(self, platform: str, user_id: str) -> Person | None:
        query = select(PEOPLE).where(PEOPLE.c.platform == platform, PEOPLE.c.user_id == user_id)
        found = self._people(query)
        return found[0] if found else None

    def with_email(self, email: str) -> list[Person]:
        return self._people(select(PEOPLE).where(func.lower(PEOPLE.c.email) == email.lower()))

    def find_many(self, platform: str, user_ids: Sequence[str]) -> list[Person]:
        query = select(PEOPLE).where(
            PEOPLE.c.platform == platform, PEOPLE.c.user_id.in_(set(user_ids))
        )
        return self._people(query)

    def add(self, person: Person) -> None:
        self._seen[person.id] = (person, None)

    def remove(self, person: Person) -> None:
        self._seen.pop(person.id, None)
        if self._kept is not None:
            self._kept.forget_person(person.id)
        # The database cascades to interviews, answers, transitions and outbox rows.
        self._db.execute(delete(PEOPLE).where(PEOPLE.c.id == person.id))
        # Where the platform reaches them (no foreign key: a reference may come first).
        self._db.execute(
            delete(REFERENCES).where(
                REFERENCES.c.platform == person.platform,
                REFERENCES.c.key.in_(person_keys(person.user_id)),
            )
        )

    def track(self, person: Person) -> Person:
        """The person this unit of work already holds under that id, else this one."""
        if person.id not in self._seen:
            self._seen[person.id] = (person, shallow_copy(person))
        return self._seen[person.id][0]

    def write_added(self) -> None:
        added = [person for person, written in self._seen.values() if written is None]
        if added:
            self._db.execute(insert(PEOPLE), [{"id": p.id, **person_fields(p)} for p in added])
            for person in added:
                self._seen[person.id] = (person, shallow_copy(person))

    def sync(self) -> None:
        self.write_added()
        for person, written in list(self._seen.values()):
            if person != written:
                changed = update(PEOPLE).where(PEOPLE.c.id == person.id)
                self._db.execute(changed, person_fields(person))
                self._seen[person.id] = (person, shallow_copy(person))

    def _people(self, query: Select[Any]) -> list[Person]:
        self.write_added()
        return [self.track(person_from(row)) for row in self._db.execute(query)]


def current(query: Select[Any]) -> Select[Any]:
    """Of these interviews, the open one, else the latest."""
    return query.order_by(IS_OPEN.desc(), INTERVIEWS.c.created_at.desc()).limit(1)


# An interview with its employee, in one row: the person's columns as p_<name>.
WITH_PERSON = select(INTERVIEWS, *[c.label(f"p_{c.name}") for c in PEOPLE.c]).join_from(
    INTERVIEWS, PEOPLE, INTERVIEWS.c.person_id == PEOPLE.c.id
)
# Every answer asks this one: built (and its cache key made) once.
CURRENT_OF = current(
    WITH_PERSON.where(
        PEOPLE.c.platform == bindparam("platform"), PEOPLE.c.user_id == bindparam("user_id")
    )
)


class OfInterviews(NamedTuple):
    """A query for one interview (`id`) and for several (`ids`). SQLAlchemy renders an IN
    list into the statement again at every execution, which costs more than the query: every
    answer loads one interview."""

    one: Select[Any]
    many: Select[Any]

    def params(self, ids: list[str]) -> tuple[Select[Any], dict[str, Any]]:
        """The statement for these ids, and its parameters."""
        return (self.one, {"id": ids[0]}) if len(ids) == 1 else (self.many, {"ids": ids})


def of_interviews(query: Select[Any], column: Column[str]) -> OfInterviews:
    return OfInterviews(
        query.where(column == bindparam("id")),
        query.where(column.in_(bindparam("ids", expanding=True))),
    )


ANSWERS_OF = of_interviews(
    select(
        ANSWERS.c.interview_id, ANSWERS.c.question_id, *[ANSWERS.c[f] for f in ANSWER_FIELDS]
    ).order_by(ANSWERS.c.id),
    ANSWERS.c.interview_id,
)
TRANSITIONS_OF = of_interviews(
    select(TRANSITIONS).order_by(TRANSITIONS.c.id), TRANSITIONS.c.interview_id
)


# Bound parameter names differ from the column names: SQLAlchemy keeps those for SET.
# Only the columns `interview_values` gives are ever written: one it left out would never be
# (tests/integration/test_open_interviews.py checks that it gives every one).
@lru_cache(maxsize=256)
def write_interview(columns: frozenset[str]) -> Update:
    """Set these columns of an interview and bump its version, if it is still at the
    version it was read at: only what changed is written (and encrypted), not the row."""
    return (
        update(INTERVIEWS)
        .where(INTERVIEWS.c.id == bindparam("b_id"), INTERVIEWS.c.version == bindparam("b_read"))
        .values({name: bindparam(f"b_{name}") for name in sorted(columns | {"version"})})
    )


WRITE_ANSWER = (
    update(ANSWERS)
    .where(
        ANSWERS.c.interview_id == bindparam("b_interview_id"),
        ANSWERS.c.question_id == bindparam("b_question_id"),
    )
    .values({name: bindparam(f"b_{name}") for name in (*ANSWER_FIELDS, "number")})
)
DROP_ANSWER = delete(ANSWERS).where(
    ANSWERS.c.interview_id == bindparam("interview_id"),
    ANSWERS.c.question_id == bindparam("question_id"),
)


def interview_values(interview: Interview) -> dict[str, Any]:
    """The interview's own row, but for its id, person and version."""
    analysis = interview.analysis
    reason = analysis.primary_reason if analysis else None
    return {
        **{name: getattr(interview, name) for name in INTERVIEW_FIELDS},
        "state": interview.state.value,
        "ended_at": interview.ended_at,
        "history": list(interview.history),
        "pending_question": interview.pending_question,
        "pending_followup": interview.pending_followup,
        "paused_until": interview.paused_until,
        "analysis": analysis.model_dump(mode="json") if analysis else None,
        "primary_reason": reason.value if reason else None,
    }


def answer_values(answer: Answer) -> dict[str, Any]:
    return {
        "question_id": answer.question_id,
        **{name: getattr(answer, name) for name in ANSWER_FIELDS},
        "number": as_number(answer.value),
    }


def transition_values(t: Transition) -> dict[str, Any]:
    return {
        "from_state": t.from_state.value,
        "to_state": t.to_state.value,
        "trigger": t.trigger.value,
        "at": t.at,
        "reason": t.reason,
    }


def as_number(value: str | None) -> int | None:
    """What a rating question would read in an answer (QuestionKind.number), for any
    answer: the digest's SQL keeps only its rating questions' numbers."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def waiting_from(row: Any) -> Waiting:
    """The one `waiting` field, from the three columns that store it."""
    then: AwaitingAnswer | AwaitingFollowup | None = None
    if row.pending_followup is not None:
        then = AwaitingFollowup(row.pending_followup)
    elif row.pending_question is not None:
        then = AwaitingAnswer(row.pending_question)
    return Paused(row.paused_until, then) if row.paused_until else then


def as_loaded(interview: Interview) -> Interview:
    """A copy to tell at commit what changed: its mutable parts copied, the frozen ones
    shared (a deep copy cost as much as the rest of loading it)."""
    return replace(
        interview,
        employee=shallow_copy(interview.employee),
        transitions=list(interview.transitions),
        answers={qid: shallow_copy(answer) for qid, answer in interview.answers.items()},
        history=list(interview.history),
        events=[],
    )


@dataclass
class Tracked:
    interview: Interview
    # How it was last written (None: added in this unit of work, not written yet).
    written: Interview | None
    version: int


class SqlInterviewRepository:
    def __init__(
        self, db: Connection, people: SqlPersonRepository, kept: OpenInterviews | None = None
    ) -> None:
        self._db = db
        self.people = people
        self._seen: dict[str, Tracked] = {}
        # Parts of open interviews shared across units of work, and those written here, to
        # be kept there once (and only if) this unit of work commits.
        self._kept = kept
        self._written: list[Tracked] = []

    def add(self, interview: Interview) -> None:
        self.people.track(interview.employee)
        # Version 1 once written: the version a commit of a loaded change would give it.
        self._seen[interview.id] = Tracked(interview, None, 1)

    def get(self, interview_id: str) -> Interview | None:
        if interview_id in self._seen:
            return self._seen[interview_id].interview
        found = self._load(WITH_PERSON.where(INTERVIEWS.c.id == interview_id))
        return found[0] if found else None

    def version(self, interview: Interview) -> int:
        return self._seen[interview.id].version

    def listed(
        self, which: InterviewFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[Interview]:
        query = WITH_PERSON
        if which.state is not None:
            query = query.where(INTERVIEWS.c.state == which.state)
        if which.platform is not None:
            query = query.where(PEOPLE.c.platform == which.platform)
        if which.department is not None:
            query = query.where(PEOPLE.c.department == which.department)
        if which.ended_since is not None:
            query = query.where(INTERVIEWS.c.ended_at >= which.ended_since)
        if which.ended_until is not None:
            query = query.where(INTERVIEWS.c.ended_at <= which.ended_until)
        if after is not None:
            created, last_id = after
            query = query.where(
                or_(
                    INTERVIEWS.c.created_at > created,
                    and_(INTERVIEWS.c.created_at == created, INTERVIEWS.c.id > last_id),
                )
            )
        return self._load(query.order_by(INTERVIEWS.c.created_at, INTERVIEWS.c.id).limit(limit))

    def current_for(self, person: Person) -> Interview | None:
        found = self._load(current(WITH_PERSON.where(INTERVIEWS.c.person_id == person.id)))
        return found[0] if found else None

    def current_for_many(self, people: Sequence[Person]) -> dict[str, Interview]:
        if not people:
            return {}
        query = WITH_PERSON.where(INTERVIEWS.c.person_id.in_({p.id for p in people})).order_by(
            IS_OPEN.desc(), INTERVIEWS.c.created_at.desc()
        )
        found: dict[str, Interview] = {}
        for interview in self._load(query):  # each person's first is their current
            found.setdefault(interview.employee.id, interview)
        return found

    def current_of(self, platform: str, user_id: str) -> Interview | None:
        found = self._load(CURRENT_OF, {"platform": platform, "user_id": user_id})
        return found[0] if found else None

    def open(self) -> list[Interview]:
        query = WITH_PERSON.where(IS_OPEN).order_by(
            func.coalesce(INTERVIEWS.c.due_at, INTERVIEWS.c.created_at)
        )
        return self._load(query)

    def ended_between(
        self, since: datetime, until: datetime, latest: int | None = None
    ) -> list[Interview]:
        ended = self._ended(since, until)
        if latest is not None:
            newest = (
                select(INTERVIEWS.c.id)
                .where(ended)
                .order_by(INTERVIEWS.c.ended_at.desc())
                .limit(latest)
            )
            ended = INTERVIEWS.c.id.in_(newest.scalar_subquery())
        return self._load(WITH_PERSON.where(ended).order_by(INTERVIEWS.c.ended_at))

    def ended_page(
        self, since: datetime, until: datetime, after: Interview | None, limit: int
    ) -> list[Interview]:
        ended = self._ended(since, until)
        if after is not None and after.ended_at is not None:
            ended = and_(
                ended,
                or_(
                    INTERVIEWS.c.ended_at > after.ended_at,
                    and_(INTERVIEWS.c.ended_at == after.ended_at, INTERVIEWS.c.id > after.id),
                ),
            )
        query = WITH_PERSON.where(ended).order_by(INTERVIEWS.c.ended_at, INTERVIEWS.c.id)
        return self._load(query.limit(limit))

    @staticmethod
    def _ended(since: datetime, until: datetime) -> ColumnElement[bool]:
        return and_(INTERVIEWS.c.ended_at >= since, INTERVIEWS.c.ended_at <= until)

    def digest_counts(self, since: datetime, until: datetime) -> DigestCounts:
        self.write_added()
        ended = self._ended(since, until)
        counts = DigestCounts()
        groups = (
            select(
                PEOPLE.c.department,
                INTERVIEWS.c.state,
                INTERVIEWS.c.primary_reason,
                func.count(),
                func.sum(INTERVIEWS.c.llm_calls),
                func.sum(INTERVIEWS.c.llm_tokens),
            )
            .join_from(INTERVIEWS, PEOPLE, INTERVIEWS.c.person_id == PEOPLE.c.id)
            .where(ended)
            .group_by(PEOPLE.c.department, INTERVIEWS.c.state, INTERVIEWS.c.primary_reason)
        )
        for department, state, reason, n, calls, tokens in self._db.execute(groups):
            counts.groups[(department, state, reason)] += n
            counts.llm_calls += int(calls or 0)
            counts.llm_tokens += int(tokens or 0)
        numbers = (
            select(ANSWERS.c.question_id, ANSWERS.c.number, func.count())
            .join_from(ANSWERS, INTERVIEWS, ANSWERS.c.interview_id == INTERVIEWS.c.id)
            .where(ended, ANSWERS.c.number.is_not(None))
            .group_by(ANSWERS.c.question_id, ANSWERS.c.number)
        )
        for question_id, number, n in self._db.execute(numbers):
            if number is not None:  # (the query leaves none out; the type does not know)
                counts.numbers[(question_id, number)] += n
        return counts

    def count_open(self) -> int:
        self.write_added()
        query = select(func.count()).where(IS_OPEN)
        return int(self._db.scalar(query) or 0)

    def due(self, now: datetime, limit: int) -> list[str]:
        query = (
            select(INTERVIEWS.c.id)
            .where(INTERVIEWS.c.state == InterviewState.SCHEDULED.value, INTERVIEWS.c.due_at <= now)
            .order_by(INTERVIEWS.c.due_at)
            .limit(limit)
        )
        return self._ids(query)

    def unreported(self, ended_before: datetime, limit: int) -> list[str]:
        query = (
            select(INTERVIEWS.c.id)
            .where(
                INTERVIEWS.c.state.in_([state.value for state in REPORTED_ENDINGS]),
                INTERVIEWS.c.analysis.is_(None),
                INTERVIEWS.c.ended_at <= ended_before,
            )
            .order_by(INTERVIEWS.c.ended_at)
            .limit(limit)
        )
        return self._ids(query)

    def ended_unpurged(self, before: datetime, limit: int) -> list[str]:
        query = (
            select(INTERVIEWS.c.id)
            .where(INTERVIEWS.c.ended_at <= before, INTERVIEWS.c.purged_at.is_(None))
            .order_by(INTERVIEWS.c.ended_at)
            .limit(limit)
        )
        return self._ids(query)

    def silent(self, now: datetime, since: datetime, limit: int) -> list[str]:
        quiet = and_(INTERVIEWS.c.paused_until.is_(None), INTERVIEWS.c.last_activity_at <= since)
        query = (
            select(INTERVIEWS.c.id)
            .where(
                INTERVIEWS.c.state == InterviewState.IN_PROGRESS.value,
                or_(INTERVIEWS.c.paused_until <= now, quiet),
            )
            .order_by(INTERVIEWS.c.last_activity_at)
            .limit(limit)
        )
        return self._ids(query)

    def collect_events(self) -> list[InterviewEnded]:
        events = []
        for tracked in self._seen.values():
            events += tracked.interview.events
            tracked.interview.events = []
        return events

    # -- writing -------------------------------------------------------------------------
    def write_added(self) -> None:
        """Insert the interviews added since the last write (and first their people)."""
        added = [t for t in self._seen.values() if t.written is None]
        if not added:
            return
        self.people.write_added()
        rows = [
            {"id": t.interview.id, "person_id": t.interview.employee.id, "version": t.version}
            | interview_values(t.interview)
            for t in added
        ]
        self._db.execute(insert(INTERVIEWS), rows)
        for tracked in added:
            self._write_parts(tracked.interview, None)
            tracked.written = as_loaded(tracked.interview)
            self._written.append(tracked)

    def sync(self) -> None:
        """Write back every interview that changed, bumping its version (the lock check)."""
        self.write_added()
        for tracked in self._seen.values():
            interview, written = tracked.interview, tracked.written
            if interview == written:
                continue
            was = interview_values(written) if written is not None else {}
            changed = {k: v for k, v in interview_values(interview).items() if was.get(k) != v}
            params = {f"b_{k}": v for k, v in changed.items()}
            params |= {"b_id": interview.id, "b_read": tracked.version}
            params["b_version"] = tracked.version + 1
            statement = write_interview(frozenset(changed))
            if self._db.execute(statement, params).rowcount != 1:
                raise ConcurrentUpdate(f"interview {interview.id} changed since it was read")
            self._write_parts(interview, written)
            tracked.version += 1
            tracked.written = as_loaded(interview)
            self._written.append(tracked)

    def committed(self) -> None:
        """What this unit of work wrote is in the database: its parts may be kept."""
        written, self._written = self._written, []
        if self._kept is not None:
            for tracked in written:
                if tracked.written is not None:
                    self._kept.keep(tracked.written, tracked.version)

    def _write_parts(self, interview: Interview, written: Interview | None) -> None:
        """Its answers and transitions: what differs from how they were written."""
        before = written.answers if written else {}
        new, changed = [], []
        for qid, answer in interview.answers.items():
            if qid not in before:
                new.append({"interview_id": interview.id} | answer_values(answer))
            elif answer != before[qid]:
                values = {"interview_id": interview.id} | answer_values(answer)
                changed.append({f"b_{k}": v for k, v in values.items()})
        gone = [
            {"interview_id": interview.id, "question_id": qid}
            for qid in before
            if qid not in interview.answers
        ]
        if gone:
            self._db.execute(DROP_ANSWER, gone)
        if changed:
            self._db.execute(WRITE_ANSWER, changed)
        if new:
            self._db.execute(insert(ANSWERS), new)
        # Transitions are only ever appended.
        done = len(written.transitions) if written else 0
        if len(interview.transitions) > done:
            rows = [
                {"interview_id": interview.id} | transition_values(t)
                for t in interview.transitions[done:]
            ]
            self._db.execute(insert(TRANSITIONS), rows)

    # -- reading -------------------------------------------------------------------------
    def _ids(self, query: Select[Any]) -> list[str]:
        self.write_added()
        return list(self._db.scalars(query))

    def _load(self, query: Select[Any], params: dict[str, Any] | None = None) -> list[Interview]:
        """The interviews these rows (of WITH_PERSON) are, each with its answers and
        transitions; one this unit of work holds already is returned as it holds it."""
        self.write_added()
        rows = list(self._db.execute(query, params or {}))
        fresh = [row for row in rows if row.id not in self._seen]
        answers: dict[str, dict[str, Answer]] = {row.id: {} for row in fresh}
        transitions: dict[str, list[Transition]] = {row.id: [] for row in fresh}
        unknown = []
        for row in fresh:
            kept = self._kept.parts(row.id, row.version) if self._kept is not None else None
            if kept is None:
                unknown.append(row.id)
            else:
                answers[row.id], transitions[row.id] = kept
        for ids in chunks(unknown):
            for a in self._db.execute(*ANSWERS_OF.params(ids)):
                answers[a.interview_id][a.question_id] = Answer(
                    a.question_id, a.value, a.answered_at, a.followup_question, a.followup_answer
                )
            for t in self._db.execute(*TRANSITIONS_OF.params(ids)):
                transitions[t.interview_id].append(
                    Transition(
                        InterviewState(t.from_state),
                        InterviewState(t.to_state),
                        Trigger(t.trigger),
                        t.at,
                        t.reason,
                    )
                )
        for row in fresh:
            self._track(row, answers[row.id], transitions[row.id])
        if self._kept is not None:
            for interview_id in unknown:
                tracked = self._seen[interview_id]
                self._kept.keep(tracked.interview, tracked.version)
        return [self._seen[row.id].interview for row in rows]

    def _track(
        self, row: Row[Any], answers: dict[str, Answer], transitions: list[Transition]
    ) -> None:
        interview = Interview(
            id=row.id,
            employee=self.people.track(person_from(row, "p_")),
            state=InterviewState(row.state),
            history=list(row.history or []),
            transitions=transitions,
            answers=answers,
            waiting=waiting_from(row),
            analysis=Analysis.model_validate(row.analysis) if row.analysis else None,
            **{f: getattr(row, f) for f in INTERVIEW_FIELDS},
        )
        self._seen[row.id] = Tracked(interview, as_loaded(interview), row.version)


def chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])
