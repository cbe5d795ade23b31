"""Alembic on both databases: up, down, up again, and the models never drift from the
migrations (autogenerate finds nothing to add)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from adapters.storage.database import make_engine
from adapters.storage.models import Base
from bot.migrate import downgrade, upgrade

TABLES = {
    "people",
    "interviews",
    "answers",
    "interview_transitions",
    "inbox",
    "outbox",
    "audit_log",
    "digests",
    "conversation_refs",
    "api_keys",
    "idempotent_responses",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/empty.db"
    url: str = request.getfixturevalue("empty_postgres")
    return url


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    upgrade(empty_database)
    assert tables(empty_database) == TABLES
    downgrade(empty_database, "base")
    assert tables(empty_database) == set()
    upgrade(empty_database)
    assert tables(empty_database) == TABLES


def test_upgrade_twice_is_harmless(empty_database: str) -> None:
    upgrade(empty_database)
    upgrade(empty_database)
    assert tables(empty_database) == TABLES


def test_models_and_migrations_agree(empty_database: str) -> None:
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_interviews_ended_before_the_end_time_column_get_one(empty_database: str) -> None:
    upgrade(empty_database, "532400b5af71")
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO people (id, platform, user_id, display_name) VALUES ('p1', 'slack', 'U1', 'Jane')"
                )
            )
            for interview, state in (("done", "COMPLETED"), ("open", "IN_PROGRESS")):
                connection.execute(
                    text(
                        "INSERT INTO interviews (id, person_id, state, created_at, followups_asked, history, version) "
                        f"VALUES ('{interview}', 'p1', '{state}', '2026-03-01 09:00:00', 0, '[]', 1)"
                    )
                )
            connection.execute(
                text(
                    "INSERT INTO interview_transitions (interview_id, from_state, to_state, trigger, at, reason) VALUES "
                    "('done', 'SCHEDULED', 'IN_PROGRESS', 'start', '2026-03-01 09:00:00', 'x'), "
                    "('done', 'IN_PROGRESS', 'COMPLETED', 'complete', '2026-03-01 09:20:00', 'x')"
                )
            )
        upgrade(empty_database)
        with engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT id, ended_at FROM interviews")).all())
        assert str(rows["done"]).startswith("2026-03-01 09:20:00")
        assert rows["open"] is None
    finally:
        engine.dispose()
