"""Engines for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, PoolProxiedConnection, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidatePoolError

from adapters.storage.crypto import Cipher

log = logging.getLogger(__name__)
# Marks a checked-out connection's transaction as one that only reads (in its `info`).
READ_ONLY = "exitbot_read_only"
# When a pooled connection was last handed back (in its record's `info`).
IDLE_SINCE = "exitbot_idle_since"
# A connection idle longer than this is pinged before it is used (PostgreSQL): one that
# went away with a restart or a network cut is replaced instead of failing its unit of work.
PING_AFTER_IDLE = 1.0


def make_engine(
    url: str,
    cipher: Cipher | None = None,
    pool: tuple[int, int] | None = None,
    ping_after_idle: float = PING_AFTER_IDLE,
    **kwargs: Any,
) -> Engine:
    """An engine for `url`; with a cipher, employee words are encrypted on their way in.
    `pool`: the connections it keeps, and how many more a burst may open (a database in
    memory has one connection and no pool to size). `ping_after_idle`: seconds a pooled
    PostgreSQL connection may rest before it is pinged on its next use."""
    # Bound values are employee words: no error message or log line may carry them.
    kwargs.setdefault("hide_parameters", True)
    if pool is not None and make_url(url).database not in (None, "", ":memory:"):
        kwargs["pool_size"], kwargs["max_overflow"] = pool
    serial: threading.RLock | None = None
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.pool, "connect", _sqlite_connect)
        event.listen(engine.pool, "checkin", _forget_read_only)
        # The dialect's own begin, not a "begin" event: any listener on the engine gives
        # every connection a dispatcher of its own, which costs each statement.
        engine.dialect.do_begin = _sqlite_begin  # type: ignore[method-assign,assignment]
        # SQLite has one writer, and a writer that finds the lock taken sleeps in growing
        # steps (up to 100 ms) before it tries again: threads of one process queue here
        # instead, in turn, so nobody sleeps while the lock is free.
        serial = threading.RLock()
    else:
        engine = create_engine(url, **kwargs)
        _ping_when_idle(engine, ping_after_idle)
    engine.dialect.exitbot_serial = serial  # type: ignore[attr-defined]
    # The encrypted column types find it here (each engine has its own dialect).
    engine.dialect.exitbot_cipher = cipher  # type: ignore[attr-defined]
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling starts transactions late and treats an early
    # SAVEPOINT as the outer transaction, whose RELEASE commits: take BEGIN over ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; FKs make erasure cascade.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted and overwritten content is zeroed in the file, not left in free space.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection: PoolProxiedConnection) -> None:
    # IMMEDIATE takes the write lock up front, so writers queue (busy_timeout) instead of
    # failing when a read snapshot turns out stale at its first write. A reader takes a
    # snapshot only (WAL): it waits for no writer, and no writer waits for it.
    cursor = connection.cursor()
    try:
        cursor.execute("BEGIN DEFERRED" if connection.info.get(READ_ONLY) else "BEGIN IMMEDIATE")
    finally:
        cursor.close()


def _ping_when_idle(engine: Engine, after: float) -> None:
    """Ping a connection on checkout only when it rested longer than `after` seconds. Under
    load, a connection comes back within milliseconds: pinging each (`pool_pre_ping`) was a
    fifth of the round trips an answer made, each a wait on a busy machine. A connection
    that breaks while in steady use fails its unit of work (one that was pinged can too,
    a moment later); the pool then drops every connection older than that failure."""
    dialect = engine.dialect

    def handed_back(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[IDLE_SINCE] = time.monotonic()

    def taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(IDLE_SINCE, None)
        if since is None or time.monotonic() - since < after:
            return  # just opened, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            # The pool replaces this one, and every connection opened before it.
            raise InvalidatePoolError(str(exc).splitlines()[0]) from exc

    event.listen(engine.pool, "checkin", handed_back)
    event.listen(engine.pool, "checkout", taken)


def read_only(connection: Connection) -> Connection:
    """Mark this checkout of a connection as one that only reads (until it is handed back)."""
    connection.connection.info[READ_ONLY] = True
    return connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection that only reads, its transaction ended with a commit when all went well:
    at a rollback psycopg forgets every statement it had prepared on that connection
    (DEALLOCATE ALL), and each then costs a parse and a plan again on its next uses."""
    with read_only(engine.connect()) as connection:
        yield connection
        connection.commit()


def _forget_read_only(_dbapi_connection: Any, record: Any) -> None:
    record.info.pop(READ_ONLY, None)


# Where employee words live: rewritten after an erasure on PostgreSQL.
ERASED_TABLES = (
    "answers",
    "interviews",
    "outbox",
    "inbox",
    "interview_transitions",
    "people",
    "conversation_refs",
    "idempotent_responses",
)


def scrub(engine: Engine) -> None:
    """After an erasure: on SQLite, copy the WAL into the file and truncate it (secure_delete
    has zeroed the erased cells, and old page images in the WAL go); on PostgreSQL, rewrite
    the tables that held the words (VACUUM FULL: a plain VACUUM frees dead rows but leaves
    their bytes in the page), where the role owns them. The rewrite locks those tables for
    as long as it takes (well under a second for thousands of interviews). Best effort: a
    busy database or a missing privilege only leaves it to the next time."""
    try:
        if engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                # A lock request waiting behind a long reader would stall everyone queued
                # behind it: give up quickly instead, and scrub at the next erasure.
                connection.exec_driver_sql("SET lock_timeout = '2s'")
                connection.exec_driver_sql("VACUUM FULL " + ", ".join(ERASED_TABLES))
    except (DBAPIError, OSError) as exc:
        log.warning("could not scrub the database after an erasure: %s", str(exc).splitlines()[0])


def unique_violation_table(exc: IntegrityError) -> str | None:
    """The table whose unique key a write broke, or None for any other integrity error."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL's unique_violation
        return str(orig.diag.table_name)  # type: ignore[union-attr]
    message = str(orig)
    if message.startswith("UNIQUE constraint failed: "):  # SQLite says it only in words
        return message.removeprefix("UNIQUE constraint failed: ").split(".")[0]
    return None
