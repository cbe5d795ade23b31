"""Repositories, unit of work, optimistic locking, inbound dedupe and the outbox, on SQLite
and PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from psycopg import pq
from sqlalchemy import Engine, text

from adapters.storage.database import make_engine, read_only
from adapters.storage.gauges import read_gauges
from adapters.storage.references import SqlReferenceStore
from adapters.storage.unit_of_work import SqlUnitOfWork
from core.analysis import Analysis
from core.interview import Interview, InterviewState, Person, Trigger
from core.messages import Address, TextMessage
from core.ports import ConcurrentUpdate, DuplicateEvent
from tests.conftest import FakeClock

UowFactory = Callable[[], SqlUnitOfWork]


@pytest.fixture
def uow(database_url: str, clock: FakeClock) -> UowFactory:
    engine = make_engine(database_url)
    yield partial(SqlUnitOfWork, engine, clock)  # type: ignore[misc]
    engine.dispose()


@pytest.fixture
def racing_uow(migrated_postgres: str, clock: FakeClock) -> UowFactory:
    """Two units of work open at once in one thread, to stage a race by hand. PostgreSQL
    only: SQLite serializes transactions (BEGIN IMMEDIATE), so the race cannot happen there
    and the second would wait for the first forever."""
    engine = make_engine(migrated_postgres)
    yield partial(SqlUnitOfWork, engine, clock)  # type: ignore[misc]
    engine.dispose()


def new_interview(uow: UowFactory, clock: FakeClock, user_id: str = "U1") -> str:
    with uow() as work:
        person = Person(
            platform="test", user_id=user_id, display_name="Jane Doe", timezone="Asia/Tokyo"
        )
        work.people.add(person)
        interview = Interview(employee=person, created_at=clock.now(), created_by="UHR")
        work.interviews.add(interview)
        work.commit()
        return interview.id


def test_an_interview_round_trips_with_everything_it_holds(
    uow: UowFactory, clock: FakeClock
) -> None:
    interview_id = new_interview(uow, clock)
    with uow() as work:
        interview = work.interviews.get(interview_id)
        assert interview is not None
        interview.fire(Trigger.START, clock.now(), "started by UHR")
        interview.record_answer("q1", "a 40k answer " * 3000, clock.now())
        interview.ask_followup("Why?")
        interview.record_followup_answer("Because <!channel> & friends", clock.now())
        interview.record_answer("q2", None, clock.now())
        interview.ask("q3")
        interview.analysis = Analysis(sentiment="mixed")
        expected = interview
        work.commit()
    with uow() as work:
        loaded = work.interviews.get(interview_id)
    assert loaded == expected
    assert loaded is not None and loaded.started_at == clock.now()
    assert loaded.employee.timezone == "Asia/Tokyo"


def test_a_change_made_inside_a_loaded_interview_is_written(
    uow: UowFactory, clock: FakeClock
) -> None:
    """What the commit compares with is a copy of the interview as loaded: an answer or the
    employee changed in place (not replaced) still counts as a change."""
    interview_id = new_interview(uow, clock)
    with uow() as work:
        interview = work.interviews.get(interview_id)
        assert interview is not None
        interview.fire(Trigger.START, clock.now(), "started by UHR")
        interview.record_answer("q1", "the commute", clock.now())
        interview.ask_followup("Why?")
        work.commit()
    for change in [
        lambda i: setattr(i.answers["q1"], "followup_answer", "two hours a day"),
        lambda i: setattr(i.employee, "display_name", "Jane Q. Doe"),
    ]:
        with uow() as work:
            interview = work.interviews.get(interview_id)
            assert interview is not None
            change(interview)  # and nothing else
            work.commit()
    with uow() as work:
        loaded = work.interviews.get(interview_id)
        assert loaded is not None
        assert loaded.answers["q1"].followup_answer == "two hours a day"
        assert loaded.employee.display_name == "Jane Q. Doe"
        assert work.interviews.version(loaded) == 4


def test_current_for_prefers_the_open_interview(uow: UowFactory, clock: FakeClock) -> None:
    first = new_interview(uow, clock)
    with uow() as work:
        interview = work.interviews.get(first)
        assert interview is not None
        interview.fire(Trigger.CANCEL, clock.now(), "test")
        person = interview.employee
        work.commit()
    clock.advance(minutes=1)
    with uow() as work:
        second = Interview(employee=person, created_at=clock.now())
        work.interviews.add(second)
        work.commit()
    with uow() as work:
        found = work.people.find("test", "U1")
        assert found is not None
        current = work.interviews.current_for(found)
        assert current is not None and current.id == second.id
        assert work.people.find("test", "nobody") is None


def test_what_was_added_is_found_before_the_commit(uow: UowFactory, clock: FakeClock) -> None:
    """An added person and interview are written before the repository answers its next
    question, as the ORM's autoflush did: a use case that schedules and then looks finds
    what it scheduled, and a rollback still leaves nothing behind."""
    with uow() as work:
        person = Person(platform="test", user_id="U7", display_name="Ann")
        work.people.add(person)
        interview = Interview(employee=person, created_at=clock.now(), due_at=clock.now())
        work.interviews.add(interview)
        assert work.people.find("test", "U7") is person
        assert work.interviews.count_open() == 1
        assert work.interviews.current_of("test", "U7") is interview
        assert work.interviews.due(clock.now(), 10) == [interview.id]
        # not committed
    with uow() as work:
        assert work.people.find("test", "U7") is None
        assert work.interviews.count_open() == 0


def test_a_stale_write_is_refused(racing_uow: UowFactory, clock: FakeClock) -> None:
    uow = racing_uow
    interview_id = new_interview(uow, clock)
    with uow() as first, uow() as second:
        mine = first.interviews.get(interview_id)
        theirs = second.interviews.get(interview_id)
        assert mine is not None and theirs is not None
        mine.fire(Trigger.START, clock.now(), "first")
        first.commit()
        theirs.fire(Trigger.CANCEL, clock.now(), "second")
        with pytest.raises(ConcurrentUpdate):
            second.commit()
    with uow() as work:
        kept = work.interviews.get(interview_id)
        assert kept is not None and kept.state is InterviewState.IN_PROGRESS


def test_reading_without_changing_takes_no_lock(racing_uow: UowFactory, clock: FakeClock) -> None:
    uow = racing_uow
    interview_id = new_interview(uow, clock)
    with uow() as reader, uow() as writer:
        assert reader.interviews.get(interview_id) is not None
        w = writer.interviews.get(interview_id)
        assert w is not None
        w.fire(Trigger.START, clock.now(), "w")
        writer.commit()
        reader.commit()  # it changed nothing, so it has nothing to conflict with


def test_one_open_interview_per_person(uow: UowFactory, clock: FakeClock) -> None:
    interview_id = new_interview(uow, clock)
    with uow() as work:
        existing = work.interviews.get(interview_id)
        assert existing is not None
        work.interviews.add(Interview(employee=existing.employee, created_at=clock.now()))
        with pytest.raises(ConcurrentUpdate):
            work.commit()


def test_an_inbound_event_is_recorded_once(racing_uow: UowFactory, clock: FakeClock) -> None:
    uow = racing_uow
    with uow() as first, uow() as second:
        assert first.inbox.handle("test", "Ev1", clock.now())
        assert second.inbox.handle("test", "Ev1", clock.now())
        first.commit()
        with pytest.raises(DuplicateEvent):
            second.commit()
    with uow() as work:
        assert not work.inbox.handle("test", "Ev1", clock.now())
        assert work.inbox.handle("other", "Ev1", clock.now())


def _store(uow: UowFactory, event_id: str, sender: str, body: str = "{}") -> None:
    with uow() as work:
        work.inbox.add("test", event_id, sender, "application/json", body)
        work.commit()


def test_a_stored_request_is_claimed_once_handled_once_and_its_words_dropped(
    uow: UowFactory, clock: FakeClock
) -> None:
    _store(uow, "Ev1", "U1", '{"text": "my manager"}')
    with pytest.raises(DuplicateEvent):
        _store(uow, "Ev1", "U1")  # Slack's retry of a stored event
    with uow() as work:
        [item] = work.inbox.claim_due(clock.now(), 5, 30)
        assert work.inbox.claim_due(clock.now(), 5, 30) == []  # leased
        work.commit()
    assert item.body == '{"text": "my manager"}' and item.content_type == "application/json"
    with uow() as work:
        assert work.inbox.handle("test", "Ev1", clock.now())
        work.commit()
    with uow() as work:
        assert not work.inbox.handle("test", "Ev1", clock.now())
        work.db.rollback()
        bodies = work.db.execute(text("SELECT body FROM inbox")).scalars().all()
    assert bodies == [None]
    clock.advance(seconds=31)
    with uow() as work:
        assert work.inbox.claim_due(clock.now(), 5, 30) == []


def test_stored_requests_wait_for_the_same_senders_earlier_one(
    uow: UowFactory, clock: FakeClock
) -> None:
    for event_id, sender in (("Ev1", "U1"), ("Ev2", "U1"), ("Ev3", "U2")):
        _store(uow, event_id, sender)
    with uow() as work:
        claimed = work.inbox.claim_due(clock.now(), 5, 30)
        work.commit()
    assert [i.event_id for i in claimed] == ["Ev1", "Ev3"]
    with uow() as work:
        work.inbox.mark_failed(
            claimed[0].id, clock.now(), "boom", clock.now() + timedelta(seconds=5)
        )
        work.commit()
    with uow() as work:
        assert work.inbox.claim_due(clock.now(), 5, 30) == []  # Ev1 waits, so Ev2 does too
    clock.advance(seconds=6)
    with uow() as work:
        [again] = work.inbox.claim_due(clock.now(), 5, 30)
    assert again.event_id == "Ev1" and again.attempts == 1


def _queue(uow: UowFactory, *messages: tuple[str, str]) -> None:
    with uow() as work:
        for user, text in messages:
            work.outbox.add(Address(platform="test", id=user), TextMessage(text=text))
        work.commit()


def test_outbox_keeps_order_per_recipient_and_leases_what_it_hands_out(
    uow: UowFactory, clock: FakeClock
) -> None:
    _queue(uow, ("U1", "one"), ("U1", "two"), ("U2", "hello"))
    with uow() as work:
        claimed = work.outbox.claim_due(clock.now(), 10, 60)
        work.commit()
    assert [(i.to.id, i.message.text) for i in claimed] == [("U1", "one"), ("U2", "hello")]  # type: ignore[union-attr]
    with uow() as work:
        assert work.outbox.claim_due(clock.now(), 10, 60) == []  # leased, and U1's "two" waits
        work.outbox.mark_sent([(claimed[0].id, "ts1")], clock.now())
        work.outbox.mark_failed(
            claimed[1].id, clock.now(), "rate limited", clock.now() + timedelta(seconds=30)
        )
        work.commit()
    with uow() as work:
        again = work.outbox.claim_due(clock.now(), 10, 60)
        work.commit()
    assert [i.message.text for i in again] == ["two"]  # type: ignore[union-attr]
    clock.advance(seconds=31)
    with uow() as work:
        retry = work.outbox.claim_due(clock.now(), 10, 60)
    assert [(i.message.text, i.attempts) for i in retry] == [("hello", 1)]  # type: ignore[union-attr]


def test_an_expired_lease_is_claimed_again(uow: UowFactory, clock: FakeClock) -> None:
    _queue(uow, ("U1", "one"))
    with uow() as work:
        assert len(work.outbox.claim_due(clock.now(), 10, 60)) == 1
        work.commit()
    clock.advance(seconds=61)  # the replica that took it died before sending
    with uow() as work:
        assert [i.message.text for i in work.outbox.claim_due(clock.now(), 10, 60)] == ["one"]  # type: ignore[union-attr]


def test_two_claimers_never_get_the_same_message(racing_uow: UowFactory, clock: FakeClock) -> None:
    uow = racing_uow
    _queue(uow, *[(f"U{n}", "hi") for n in range(20)])
    with uow() as first, uow() as second:
        mine = first.outbox.claim_due(clock.now(), 10, 60)
        first.commit()
        theirs = second.outbox.claim_due(clock.now(), 20, 60)
        second.commit()
    assert len(mine) == 10 and len(theirs) == 10
    assert not {i.id for i in mine} & {i.id for i in theirs}


def test_a_failed_commit_records_no_inbound_event(uow: UowFactory, clock: FakeClock) -> None:
    """Regression: on SQLite the event id's savepoint used to commit on its own, so a commit
    that then failed left the event marked as handled and its retry was dropped."""
    interview_id = new_interview(uow, clock)
    _store(uow, "Ev2", "U1")
    with uow() as work:
        assert work.inbox.handle("test", "Ev1", clock.now())
        assert work.inbox.handle("test", "Ev2", clock.now())
        existing = work.interviews.get(interview_id)
        assert existing is not None
        work.interviews.add(Interview(employee=existing.employee, created_at=clock.now()))
        with pytest.raises(ConcurrentUpdate):
            work.commit()  # a second open interview for the same person
    with uow() as work:
        assert work.inbox.handle("test", "Ev1", clock.now())
        assert work.inbox.handle("test", "Ev2", clock.now())


def test_only_reading_lasts_one_checkout_of_a_connection(migrated_sqlite: str) -> None:
    """A reader begins with a snapshot and takes no write lock; the next user of the same
    connection (a pool of one) may write, so it takes SQLite's write lock at its first
    statement, and other writers queue behind it instead of failing mid-transaction."""
    engine = make_engine(migrated_sqlite, pool=(1, 0))
    other = sqlite3.connect(migrated_sqlite.removeprefix("sqlite:///"), timeout=0)
    other.isolation_level = None
    with read_only(engine.connect()) as reading:
        reading.execute(text("SELECT count(*) FROM interviews"))
        other.execute("BEGIN IMMEDIATE")  # the reader holds no write lock
        other.execute("ROLLBACK")
    with engine.connect() as writing:
        writing.execute(text("SELECT count(*) FROM interviews"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.close()
    engine.dispose()


def test_storing_a_request_opens_no_transaction_on_postgresql(
    migrated_postgres: str, clock: FakeClock
) -> None:
    """Every answer is stored and its reply marked sent, each one statement: on PostgreSQL
    a transaction around it would cost a BEGIN and a COMMIT, two more round trips."""
    engine = make_engine(migrated_postgres, pool=(1, 0))  # one connection, used by each unit
    try:
        statuses = []
        for one_statement in (True, False):
            with SqlUnitOfWork(engine, clock, one_statement=one_statement) as work:
                event = f"Ev{one_statement}"
                work.inbox.add("test", event, "U1", "application/json", "{}")
                statuses.append(work.db.connection.dbapi_connection.info.transaction_status)
                work.commit()
        assert statuses == [pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS]
        # The connection an ordinary unit gets back is transactional again: what it does
        # without a commit is rolled back.
        with SqlUnitOfWork(engine, clock) as work:
            work.inbox.add("test", "EvGone", "U1", "application/json", "{}")
        with SqlUnitOfWork(engine, clock, read_only=True) as work:
            events = work.db.execute(text("SELECT event_id FROM inbox ORDER BY id")).scalars()
            assert list(events) == ["EvTrue", "EvFalse"]
    finally:
        engine.dispose()


def backend_of(engine: Engine, clock: FakeClock) -> int:
    """The PostgreSQL server process behind the connection one unit of work used."""
    with SqlUnitOfWork(engine, clock, read_only=True) as work:
        return int(work.db.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_steady_use_is_not_pinged(
    migrated_postgres: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection back in use a moment after it was handed back goes straight to work; one
    that rested is pinged first. Pinging every checkout cost each answer a round trip."""
    engine = make_engine(migrated_postgres, pool=(1, 0), ping_after_idle=0.3)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    try:
        backends = {backend_of(engine, clock) for _ in range(5)}
        assert pings == []
        time.sleep(0.4)
        backends.add(backend_of(engine, clock))
        assert len(pings) == 1
        assert len(backends) == 1  # one connection all along
    finally:
        engine.dispose()


def test_a_connection_that_went_away_while_resting_is_replaced(
    migrated_postgres: str, clock: FakeClock
) -> None:
    """A restart or a network cut while the pool rests costs no unit of work: the ping finds
    the connection gone and the pool opens another."""
    engine = make_engine(migrated_postgres, pool=(1, 0), ping_after_idle=0.0)
    admin = make_engine(migrated_postgres)
    try:
        gone = backend_of(engine, clock)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": gone})
        assert backend_of(engine, clock) != gone
    finally:
        engine.dispose()
        admin.dispose()


def prepared_statements(engine: Engine, clock: FakeClock) -> int:
    """How many statements the connection behind one unit of work has prepared."""
    with SqlUnitOfWork(engine, clock) as work:
        query = text("SELECT count(*) FROM pg_prepared_statements")
        found = int(work.db.execute(query).scalar_one())
        work.commit()
    return found


def test_what_a_connection_prepared_outlives_the_units_that_only_read(
    migrated_postgres: str, clock: FakeClock
) -> None:
    """psycopg prepares a statement a connection runs again and again, and forgets them all
    at a rollback. A unit that only read ended in one (the summaries' reads, the sweeps'
    scans, the DM channels looked up), and the answers on that connection were parsed and
    planned again: half of them in a bench run."""
    engine = make_engine(migrated_postgres, pool=(1, 0))  # one connection, used by each unit
    try:
        for _ in range(6):  # psycopg prepares a statement at its fifth run
            with SqlUnitOfWork(engine, clock) as work:
                assert work.interviews.get("nobody's") is None
                work.commit()
        prepared = prepared_statements(engine, clock)
        assert prepared > 0
        with SqlUnitOfWork(engine, clock, read_only=True) as work:
            assert work.interviews.get("nobody's") is None
        assert prepared_statements(engine, clock) >= prepared
        assert SqlReferenceStore(engine, clock, "slack").get("slack-dm:U1") is None
        assert read_gauges(engine).outbox == []
        assert prepared_statements(engine, clock) >= prepared
    finally:
        engine.dispose()
