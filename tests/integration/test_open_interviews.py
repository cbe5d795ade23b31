"""The parts of open interviews a process keeps between units of work (OpenInterviews), on
SQLite and PostgreSQL: read once, never stale, never kept past an interview's end or a
person's erasure. Two engines, each with its own, stand for two `exitbot serve` processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, event

from adapters.storage.database import make_engine
from adapters.storage.interviews import INTERVIEWS, interview_values
from adapters.storage.open_interviews import OpenInterviews
from adapters.storage.unit_of_work import SqlUnitOfWork
from core.interview import Interview, InterviewState, Person, Trigger
from tests.conftest import FakeClock

UowFactory = Callable[[], SqlUnitOfWork]


class Process:
    """One bot process's storage: an engine, the parts it keeps, and the statements run."""

    def __init__(self, url: str, clock: FakeClock) -> None:
        self.engine: Engine = make_engine(url)
        self.kept = OpenInterviews()
        self.uow: UowFactory = partial(SqlUnitOfWork, self.engine, clock, kept=self.kept)
        self.statements: list[str] = []
        event.listen(self.engine, "before_cursor_execute", self._heard)

    def _heard(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def tables_read(self) -> set[str]:
        read = set()
        for statement in self.statements:
            if statement.lstrip().upper().startswith("SELECT"):
                read |= {
                    t for t in ("answers", "interview_transitions") if f"FROM {t}" in statement
                }
        return read

    def answer(self, interview_id: str, question: str, words: str, clock: FakeClock) -> None:
        with self.uow() as work:
            interview = work.interviews.get(interview_id)
            assert interview is not None
            interview.record_answer(question, words, clock.now())
            work.commit()

    def load(self, interview_id: str) -> Interview:
        with self.uow() as work:
            interview = work.interviews.get(interview_id)
            assert interview is not None
            return interview


@pytest.fixture
def processes(database_url: str, clock: FakeClock) -> Iterator[tuple[Process, Process]]:
    both = (Process(database_url, clock), Process(database_url, clock))
    yield both
    for process in both:
        process.engine.dispose()


def started(process: Process, clock: FakeClock, user_id: str = "U1") -> str:
    with process.uow() as work:
        person = Person(platform="test", user_id=user_id, display_name="Jane Doe")
        work.people.add(person)
        interview = Interview(employee=person, created_at=clock.now(), created_by="UHR")
        interview.fire(Trigger.START, clock.now(), "started by UHR")
        work.interviews.add(interview)
        work.commit()
        return interview.id


def test_the_next_answer_reads_the_row_and_not_the_parts_again(
    processes: tuple[Process, Process], clock: FakeClock
) -> None:
    one, _ = processes
    interview_id = started(one, clock)
    one.answer(interview_id, "q1", "the commute", clock)
    one.statements.clear()
    one.answer(interview_id, "q2", "my manager", clock)
    assert one.tables_read() == set()
    loaded = one.load(interview_id)
    assert {q: a.value for q, a in loaded.answers.items()} == {
        "q1": "the commute",
        "q2": "my manager",
    }
    assert [t.trigger for t in loaded.transitions] == [Trigger.START]


def test_what_another_process_wrote_is_read(
    processes: tuple[Process, Process], clock: FakeClock
) -> None:
    one, other = processes
    interview_id = started(one, clock)
    one.answer(interview_id, "q1", "the commute", clock)
    other.answer(interview_id, "q2", "my manager", clock)
    with one.uow() as work:
        interview = work.interviews.get(interview_id)
        assert interview is not None
        assert set(interview.answers) == {"q1", "q2"}
        interview.record_answer("q3", "the pay", clock.now())
        work.commit()
    # And what this one wrote on top of it is what the other reads.
    assert set(other.load(interview_id).answers) == {"q1", "q2", "q3"}


def test_a_write_that_was_not_committed_is_not_kept(
    processes: tuple[Process, Process], clock: FakeClock
) -> None:
    """The version a rolled-back write would have had is given to another process's write:
    the parts under it must be that write's."""
    one, other = processes
    interview_id = started(one, clock)
    with one.uow() as work:
        interview = work.interviews.get(interview_id)
        assert interview is not None
        interview.record_answer("q1", "rolled back", clock.now())
        work.interviews.sync()  # written, then never committed
    other.answer(interview_id, "q1", "committed", clock)
    assert one.load(interview_id).answers["q1"].value == "committed"


def test_a_change_made_to_what_was_loaded_does_not_reach_what_is_kept(
    processes: tuple[Process, Process], clock: FakeClock
) -> None:
    one, _ = processes
    interview_id = started(one, clock)
    one.answer(interview_id, "q1", "the commute", clock)
    with one.uow() as work:
        interview = work.interviews.get(interview_id)
        assert interview is not None
        interview.answers["q1"].value = "changed and not committed"
    assert one.load(interview_id).answers["q1"].value == "the commute"


def test_an_ended_interview_and_a_forgotten_person_leave_nothing_kept(
    processes: tuple[Process, Process], clock: FakeClock
) -> None:
    one, _ = processes
    ended = started(one, clock, "U1")
    forgotten = started(one, clock, "U2")
    for interview_id in (ended, forgotten):
        one.answer(interview_id, "q1", "words", clock)
        assert one.kept.holds(interview_id)
    with one.uow() as work:
        interview = work.interviews.get(ended)
        assert interview is not None
        interview.fire(Trigger.COMPLETE, clock.now(), "done")
        work.commit()
    assert not one.kept.holds(ended)
    last_read = one.load(forgotten)
    with one.uow() as work:
        person = work.people.find("test", "U2")
        assert person is not None
        work.people.remove(person)
        work.commit()
    assert not one.kept.holds(forgotten)
    with one.uow() as work:
        assert work.interviews.get(forgotten) is None
    # A thread that committed an answer of theirs just before the forget keeps it after.
    one.kept.keep(last_read, 3)
    assert not one.kept.holds(forgotten)


def test_an_answer_writes_only_the_columns_it_changed(
    processes: tuple[Process, Process], clock: FakeClock
) -> None:
    """The interview's row is written column by column as it changed: its analysis and the
    encrypted follow-up are not written (nor encrypted) again at every answer, and what a
    process reads afterwards is the whole interview all the same."""
    one, other = processes
    interview_id = started(one, clock)
    one.answer(interview_id, "q1", "the commute", clock)
    one.statements.clear()
    one.answer(interview_id, "q2", "my manager", clock)
    (written,) = [s for s in one.statements if s.lstrip().startswith("UPDATE interviews")]
    columns = {
        part.split("=")[0].strip()
        for part in written.split(" SET ")[1].split(" WHERE ")[0].split(",")
    }
    assert {"history", "version"} <= columns
    assert not columns & {"analysis", "pending_followup", "created_at", "created_by", "state"}
    loaded = other.load(interview_id)
    assert loaded.history == ["q1", "q2"]
    assert loaded.created_by == "UHR" and loaded.state is InterviewState.IN_PROGRESS


def test_every_column_of_the_interview_row_has_a_value_to_write(clock: FakeClock) -> None:
    """An answer writes only the columns whose values changed: a column the values left out
    would never be written at all (the full-row update failed loudly on one instead)."""
    person = Person(platform="test", user_id="U1", display_name="Jane Doe")
    interview = Interview(employee=person, created_at=clock.now(), created_by="UHR")
    identity = {"id", "person_id", "version"}
    assert set(interview_values(interview)) == {c.name for c in INTERVIEWS.c} - identity
