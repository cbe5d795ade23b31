"""HR's summary of an ended interview is made after the ending is committed, with no unit of
work open while the analyst reads, and posted exactly once: after a crash in between, by
the sweep; when two processes race, by one of them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from adapters.llm.offline import OfflineAnalyst
from bot.container import App, build_app
from bot.settings import Settings
from bot.worker import Worker
from core.analysis import Analysis
from core.events import UserMessage
from core.interview import InterviewState, Person
from core.messages import SummaryMessage
from core.ports import Usage
from core.reporting import TranscriptEntry
from tests.conftest import PLATFORM, FakeChat, FakeClock

JANE = Person(platform=PLATFORM, user_id="UJANE", display_name="Jane Doe")


class Analyst(OfflineAnalyst):
    """The offline analyst, with a say in what happens while it summarises."""

    def __init__(self, while_summarising: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self.while_summarising = while_summarising
        self.summaries = 0

    def summarize(
        self,
        entries: Sequence[TranscriptEntry],
        usage: Usage | None = None,
        language: str | None = None,
    ) -> Analysis:
        self.summaries += 1
        self.while_summarising()
        return super().summarize(entries, usage)


@pytest.fixture
def start(
    database_url: str, clock: FakeClock, chat: FakeChat
) -> Iterator[Callable[[Analyst], App]]:
    apps: list[App] = []

    def build(analyst: Analyst) -> App:
        settings = Settings(DATABASE_URL=database_url)  # type: ignore[call-arg]
        app = build_app(settings, {PLATFORM: chat}, clock=clock, analyst=analyst)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


def stop_jane(app: App) -> str:
    """Start Jane's interview and have her say stop: it ends DECLINED."""
    interview = app.hr.start_now(JANE, by="UHR")
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1", event_id="Ev1"))
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "stop", event_id="Ev2"))
    return interview.id


def summaries(app: App, chat: FakeChat) -> list[SummaryMessage]:
    app.delivery.drain()
    return [m for m in chat.to_hr() if isinstance(m, SummaryMessage)]


def test_no_unit_of_work_is_open_while_the_analyst_summarises(
    start: Callable[[Analyst], App], chat: FakeChat
) -> None:
    open_units = 0
    counted: list[int] = []
    analyst = Analyst(while_summarising=lambda: counted.append(open_units))
    app = start(analyst)
    real = app.hr.transactions.uow

    @contextmanager
    def counting() -> Iterator[Any]:
        nonlocal open_units
        open_units += 1
        try:
            with real() as uow:
                yield uow
        finally:
            open_units -= 1

    app.hr.transactions.uow = counting  # type: ignore[assignment]
    stop_jane(app)
    assert counted == [0]
    assert len(summaries(app, chat)) == 1


def test_the_ended_interview_is_read_for_the_analyst_in_a_unit_that_only_reads(
    start: Callable[[Analyst], App], chat: FakeChat
) -> None:
    """The read before the analyst took a writer's unit: on SQLite the write lock, which
    every answer waits its turn for, was held while the interview was loaded for nothing."""
    units: list[str] = []
    app = start(Analyst(while_summarising=lambda: units.append("analyst")))
    real = app.hr.transactions.uow

    def counting() -> Any:
        units.append("writer")
        return real()

    app.hr.transactions.uow = counting
    stop_jane(app)
    # Jane's start, her two answers; the analyst; the summary. No writer's unit between.
    assert units == ["writer"] * 3 + ["analyst", "writer"]
    assert len(summaries(app, chat)) == 1


def test_a_summary_lost_to_a_crash_is_posted_by_the_sweep_exactly_once(
    start: Callable[[Analyst], App], chat: FakeChat, clock: FakeClock
) -> None:
    def crash() -> None:
        raise RuntimeError("the process died")

    first = start(Analyst(while_summarising=crash))
    interview_id = stop_jane(first)  # the ending is committed; its summary never was
    assert summaries(first, chat) == []
    second = start(Analyst())  # the restart
    ended = second.conversation.current(PLATFORM, "UJANE")
    assert ended is not None and ended.state is InterviewState.DECLINED
    assert second.jobs.report_endings() == 0  # it may still be on its way: not yet
    clock.advance(minutes=3)
    assert second.jobs.report_endings() == 1
    assert second.jobs.report_endings() == 0
    [summary] = summaries(second, chat)
    assert summary.summary.interview_id == interview_id and summary.summary.outcome == "DECLINED"


def test_two_processes_summarising_at_once_post_one_summary(
    start: Callable[[Analyst], App], chat: FakeChat, clock: FakeClock
) -> None:
    def crash() -> None:
        raise RuntimeError("the process died")

    interview_id = stop_jane(start(Analyst(while_summarising=crash)))
    both_reading = threading.Barrier(2, timeout=10)
    analysts = [Analyst(while_summarising=both_reading.wait) for _ in range(2)]
    apps = [start(analyst) for analyst in analysts]
    done: list[bool] = []
    threads = [
        threading.Thread(target=lambda a=app: done.append(a.jobs.endings.report(interview_id)))
        for app in apps
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.summaries for a in analysts] == [1, 1]  # both read the answers...
    assert sorted(done) == [False, True]  # ...one summary was kept
    assert len(summaries(apps[0], chat)) == 1


def test_in_serve_the_summary_is_made_off_the_thread_that_committed_the_ending(
    start: Callable[[Analyst], App], chat: FakeChat
) -> None:
    """A model reading the interview used to hold the request handler that committed the
    ending for as long as it read (up to the LLM timeout): one handler fewer for everyone."""
    reading = threading.Event()
    go_on = threading.Event()

    def slow() -> None:
        reading.set()
        go_on.wait(timeout=10)

    app = start(Analyst(while_summarising=slow))
    worker = Worker(app.delivery, app.jobs, app.intake, app.outbox_ready, 3600, scheduler=False)
    ended = app.transactions.on_ended
    ended[:] = [worker.in_background(handler) for handler in ended]
    worker.start()
    try:
        started = time.monotonic()
        stop_jane(app)
        assert time.monotonic() - started < 5  # back at once...
        assert reading.wait(timeout=10)  # ...while the analyst reads elsewhere
        assert summaries(app, chat) == []
        go_on.set()
    finally:
        worker.stop()  # waits for the summary under way
    assert len(summaries(app, chat)) == 1
