"""Shared fixtures. Fakes stand only at the edge of the world (the chat platform); the
database, the migrations and everything of ours run for real, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.llm.openai_analyst import LLMAnalyst
from adapters.slack.chat import SlackChat
from adapters.slack.directory import SlackDirectory
from adapters.storage.unit_of_work import units_open_here
from adapters.teams.chat import TeamsChat
from adapters.teams.directory import TeamsDirectory
from bot.container import App, build_app
from bot.migrate import upgrade
from bot.settings import Settings
from core.messages import Address, OutboundMessage
from core.ports import DeliveryError, UnitOfWork
from tests.standins.graph import GraphStandIn
from tests.standins.openai import OpenAIStandIn
from tests.standins.slack import SlackStandIn, person
from tests.standins.teams import TeamsStandIn, member

POSTGRES_URL = os.environ.get(
    "EXITBOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("EXITBOT_REQUIRE_POSTGRES") == "1"
REDIS_URL = os.environ.get("EXITBOT_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("EXITBOT_REQUIRE_REDIS") == "1"
PLATFORM = "test"


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class FakeChat:
    """A chat platform that records what it is sent and fails when told to."""

    platform: str = PLATFORM
    sent: list[tuple[Address, OutboundMessage]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        assert units_open_here() == 0, "a chat API was called inside a unit of work"
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((to, message))
        return f"ref-{len(self.sent)}"

    def to_user(self, user_id: str) -> list[OutboundMessage]:
        return [m for a, m in self.sent if a.kind == "user" and a.id == user_id]

    def to_hr(self) -> list[OutboundMessage]:
        return [m for a, m in self.sent if a.kind == "hr"]


# -- nothing slow inside a unit of work ------------------------------------------------------
@dataclass
class CountedUnits:
    """A unit-of-work factory that counts the units it opens: how many transactions a use
    case costs."""

    real: Callable[[], UnitOfWork]
    count: int = 0

    def __call__(self) -> UnitOfWork:
        self.count += 1
        return self.real()


@pytest.fixture(autouse=True)
def no_io_inside_a_unit_of_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test fails if a chat API, a directory or the model is called while a unit of work
    is open in the calling thread: such a call would hold a transaction (on SQLite, the one
    write lock) for as long as the network takes."""
    edges: list[tuple[type, str]] = [
        (SlackChat, "send"),
        (TeamsChat, "send"),
        (SlackDirectory, "lookup"),
        (TeamsDirectory, "lookup"),
        (LLMAnalyst, "_ask"),
    ]
    for owner, name in edges:
        real = getattr(owner, name)

        def guarded(*args: Any, __real: Any = real, __name: str = name, **kwargs: Any) -> Any:
            assert units_open_here() == 0, f"{__name} was called inside a unit of work"
            return __real(*args, **kwargs)

        monkeypatch.setattr(owner, name, guarded)


# -- databases --------------------------------------------------------------------------------
def _postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    if not _postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail(
                f"PostgreSQL is required (EXITBOT_REQUIRE_POSTGRES=1) but {POSTGRES_URL} is down"
            )
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    yield POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Redis for the tests of what replicas share through it (CI requires it)."""
    try:
        up = bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        up = False
    if not up:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required (EXITBOT_REQUIRE_REDIS=1) but {REDIS_URL} is down")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL


def _admin_execute(admin_url: str, *statements: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def _with_database(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def empty_postgres(postgres_admin: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"exitbot_test_{uuid.uuid4().hex[:12]}"
    _admin_execute(postgres_admin, f'CREATE DATABASE "{name}"')
    yield _with_database(postgres_admin, name)
    _admin_execute(postgres_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: str) -> Iterator[str]:
    """A migrated database that each test's database is copied from (much faster than
    migrating every time)."""
    name = f"exitbot_template_{uuid.uuid4().hex[:8]}"
    _admin_execute(postgres_admin, f'CREATE DATABASE "{name}"')
    upgrade(_with_database(postgres_admin, name))
    yield name
    _admin_execute(postgres_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def migrated_postgres(postgres_admin: str, postgres_template: str) -> Iterator[str]:
    name = f"exitbot_test_{uuid.uuid4().hex[:12]}"
    _admin_execute(postgres_admin, f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield _with_database(postgres_admin, name)
    _admin_execute(postgres_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'exitbot.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    fixture = "migrated_sqlite" if request.param == "sqlite" else "migrated_postgres"
    url: str = request.getfixturevalue(fixture)
    return url


# -- the application ----------------------------------------------------------------------------
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()


@pytest.fixture
def make_app(database_url: str, clock: FakeClock, chat: FakeChat) -> Iterator[AppFactory]:
    apps: list[App] = []

    def factory(**settings: object) -> App:
        app = build_app(
            Settings(DATABASE_URL=database_url, **settings),  # type: ignore[arg-type]
            {PLATFORM: chat},
            clock=clock,
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()


class AppFactory:
    def __call__(self, **settings: object) -> App: ...


@pytest.fixture
def app(make_app: AppFactory) -> App:
    return make_app()


# -- the edges of the world -------------------------------------------------------------------
@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """Slack's Web API on loopback, with a few people in the workspace."""
    standin = SlackStandIn(
        users={
            "UJANE": person("UJANE", "Jane Doe", tz="Asia/Tokyo"),
            "UHR": person("UHR", "Harriet Rowe"),
            "ULEO": person("ULEO", "Leo Park", tz="America/Los_Angeles"),
            "UMIA": person("UMIA", "Mia Chen", tz="Europe/Berlin"),
            "UGONE": person("UGONE", "Gone Person"),
            "UOLD": person("UOLD", "Old Account", deleted=True),
        }
    )
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def llm() -> Iterator[OpenAIStandIn]:
    """An OpenAI-compatible endpoint on loopback."""
    standin = OpenAIStandIn()
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    """The Bot Framework connector Teams gives a bot, on loopback."""
    standin = TeamsStandIn(
        members={
            f"29:{user}": member(user, name)
            for user, name in (
                ("jane", "Jane Doe"),
                ("hr", "Harriet Rowe"),
                ("gone", "Gone Person"),
                ("never", "Nell Never"),
            )
        }
    )
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def graph(teams: TeamsStandIn) -> Iterator[GraphStandIn]:
    """Microsoft Graph over the same tenant as the Teams connector, on loopback."""
    standin = GraphStandIn(teams=teams)
    standin.start()
    yield standin
    standin.stop()
