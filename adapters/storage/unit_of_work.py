"""Unit of work: one database transaction, committed explicitly or rolled back."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from adapters.storage.repositories import (
    SqlInboundLog,
    SqlInterviewRepository,
    SqlOutbox,
    SqlPersonRepository,
)
from core.ports import Clock, ConcurrentUpdate, DuplicateEvent


def is_unique_violation(exc: IntegrityError) -> bool:
    # PostgreSQL's SQLSTATE for unique_violation; SQLite only says it in words.
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(
        exc.orig
    )


class SqlUnitOfWork:
    session: Session
    people: SqlPersonRepository
    interviews: SqlInterviewRepository
    outbox: SqlOutbox
    inbound: SqlInboundLog

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def __enter__(self) -> Self:
        self.session = self._sessions(info={"clock": self._clock})
        self.people = SqlPersonRepository(self.session)
        self.interviews = SqlInterviewRepository(self.session, self.people)
        self.outbox = SqlOutbox(self.session)
        self.inbound = SqlInboundLog(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        if self.inbound.duplicate:
            self.rollback()
            raise DuplicateEvent()
        self.people.sync()
        self.interviews.sync()
        try:
            self.session.flush()
            self.outbox.write_new()
            self.session.commit()
        except StaleDataError as exc:
            self.rollback()
            raise ConcurrentUpdate(str(exc)) from exc
        except IntegrityError as exc:
            self.rollback()
            if is_unique_violation(exc):
                # A key another writer took first (a person, an open interview): run again.
                raise ConcurrentUpdate(str(exc.orig)) from exc
            raise

    def rollback(self) -> None:
        self.session.rollback()
