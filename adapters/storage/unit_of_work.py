"""Unit of work: one database transaction, committed explicitly or rolled back. It runs on
a plain SQLAlchemy connection, not an ORM session: every repository reads and writes with
statements, and the session's own machinery cost more per answer than the statements."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from adapters.storage.database import read_only, scrub, unique_violation_table
from adapters.storage.interviews import SqlInterviewRepository, SqlPersonRepository
from adapters.storage.open_interviews import OpenInterviews
from adapters.storage.repositories import (
    SqlApiKeys,
    SqlAuditLog,
    SqlDigestLog,
    SqlInbox,
    SqlOutbox,
    Staged,
)
from core.delivery import SendNow
from core.interview import InterviewEnded
from core.ports import Clock, ConcurrentUpdate, DuplicateEvent

_here = threading.local()


def units_open_here() -> int:
    """How many units of work this thread has open: nothing slow (a chat API, a model) may
    run while one is (the test suite checks it at every edge)."""
    return int(getattr(_here, "open", 0))


class SqlUnitOfWork:
    db: Connection
    people: SqlPersonRepository
    interviews: SqlInterviewRepository
    outbox: SqlOutbox
    inbox: SqlInbox
    audit: SqlAuditLog
    digests: SqlDigestLog
    api_keys: SqlApiKeys

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        on_outbox: Callable[[], None] = lambda: None,
        send_now: SendNow | None = None,
        *,
        read_only: bool = False,
        one_statement: bool = False,
        kept: OpenInterviews | None = None,
    ) -> None:
        """`on_outbox` is told after a commit that left messages in the outbox for the
        sweep; `send_now` is handed those it claimed to send at once. A `read_only` unit
        reads one snapshot and cannot commit: on SQLite it leaves the write lock to the
        writers, so a digest over years of interviews holds up nobody's answer. A
        `one_statement` unit is for work that is one statement (a request stored, messages
        marked sent): on PostgreSQL that statement commits as it runs, without the BEGIN
        and COMMIT round trips of a transaction; on SQLite it is an ordinary unit (no round
        trips to save, and its writers still take turns on the write lock). `kept`: the
        parts of open interviews this process shares across its units of work."""
        self._read_only = read_only
        self._one_statement = one_statement
        self._engine = engine
        self._clock = clock
        self._on_outbox = on_outbox
        self._send_now = send_now or SendNow()
        self._kept = kept

    def __enter__(self) -> Self:
        self._serial = None
        if not self._read_only:
            self._serial = getattr(self._engine.dialect, "exitbot_serial", None)
        if self._serial is not None:
            self._serial.acquire()
        _here.open = units_open_here() + 1
        try:
            self.db = self._engine.connect()
            if self._one_statement and self._serial is None:
                self.db = self.db.execution_options(isolation_level="AUTOCOMMIT")
        except BaseException:
            self._let_go()
            raise
        # The transaction begins with the first statement (SQLite's write lock with it), so
        # a unit that only scrubs holds up no checkpoint.
        if self._read_only:
            read_only(self.db)
        self._staged = Staged()  # written at the commit (see Staged)
        self.people = SqlPersonRepository(self.db, self._kept)
        self.interviews = SqlInterviewRepository(self.db, self.people, self._kept)
        self.outbox = SqlOutbox(self.db, self._clock)
        self.inbox = SqlInbox(self.db, self._clock, self._staged)
        self.audit = SqlAuditLog(self._staged)
        self.digests = SqlDigestLog(self.db, self._staged)
        self.api_keys = SqlApiKeys(self.db, self._staged)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self._read_only:
                # Not a rollback, at which psycopg forgets the statements it had prepared on
                # this connection: every answer's would be parsed and planned again.
                self.db.commit()
            else:
                self.db.rollback()
        finally:
            # Always hand the connection back, even when a dead one cannot roll back.
            self.db.close()
            self._let_go()

    def _let_go(self) -> None:
        _here.open = units_open_here() - 1
        if self._serial is not None:
            self._serial.release()

    def commit(self) -> None:
        if self._read_only:
            raise TypeError("a read-only unit of work cannot commit")
        try:
            self.people.sync()
            self.interviews.sync()
            self._staged.write(self.db)
            take = self._send_now.take
            queued, claimed = self.outbox.write_new(
                self._send_now.lease_seconds if take else None, self._send_now.posted
            )
            self.db.commit()
        except IntegrityError as exc:
            self.db.rollback()
            table = unique_violation_table(exc)
            if table == "inbox":
                raise DuplicateEvent() from exc
            if table is not None:
                # A key another writer took first (a person, an open interview): run again.
                raise ConcurrentUpdate(str(exc.orig)) from exc
            raise
        self.interviews.committed()
        if claimed and take:
            take(claimed)
        if queued > len(claimed):
            self._on_outbox()

    def collect_events(self) -> list[InterviewEnded]:
        return self.interviews.collect_events()

    def scrub(self) -> None:
        scrub(self._engine)
