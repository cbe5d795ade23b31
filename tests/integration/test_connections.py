"""Steady work keeps its database connections: a process keeps one open for each thread that
may use one at once, instead of closing what comes back beyond a small pool and opening a
new one for the next unit of work (on PostgreSQL each is a server process started anew)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event

from bot.container import build_app
from bot.settings import BACKGROUND_CONNECTIONS, Settings
from core.messages import Lane


def test_handlers_and_senders_working_at_once_keep_their_connections(database_url: str) -> None:
    settings = Settings(  # type: ignore[call-arg]
        DATABASE_URL=database_url, EXITBOT_HANDLERS=8, EXITBOT_SENDERS=4
    )
    app = build_app(settings, {})
    opened: list[Any] = []
    event.listen(app.engine, "connect", lambda *_: opened.append(1))
    threads = settings.handlers + settings.senders
    # Every thread holds a connection at the same moment, then all give theirs back, three
    # times over. Read-only units, as SQLite lets only one writer in at a time (a writer
    # would wait here forever).
    together = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                with app.views.read() as uow:
                    uow.outbox.backlog(Lane.REPLY, 1)
                    together.wait(timeout=20)
                together.wait(timeout=20)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    app.close()
    assert not failures
    # Opened once each; before, all but five were closed on the way back and opened again.
    assert 0 < len(opened) <= threads


def test_the_pool_is_as_large_as_the_settings_say(database_url: str) -> None:
    """EXITBOT_DB_POOL caps the connections a process keeps; without it, one for each
    request handler and sender and the background connections."""
    chosen = Settings(DATABASE_URL=database_url, EXITBOT_DB_POOL=3)  # type: ignore[call-arg]
    derived = Settings(  # type: ignore[call-arg]
        DATABASE_URL=database_url, EXITBOT_HANDLERS=2, EXITBOT_SENDERS=1
    )
    for settings, size in ((chosen, 3), (derived, 2 + 1 + BACKGROUND_CONNECTIONS)):
        app = build_app(settings, {})
        try:
            assert app.engine.pool.size() == size  # type: ignore[attr-defined]
        finally:
            app.close()
