"""Retention: after EXITBOT_RETENTION_DAYS the employee's own words are erased; the coded
reason, ratings and choices stay, so digests still add up."""

from __future__ import annotations

from sqlalchemy import text

from bot.container import App
from core.events import UserMessage
from core.interview import InterviewState, Person
from tests.conftest import PLATFORM, FakeClock

WORDS = "My manager shouted at me in front of clients, because targets were missed."


def finish(app: App, user: str, answers: list[str]) -> None:
    app.hr.start_now(Person(PLATFORM, user, user, department="Support"), by="UHR")
    for answer in answers:
        app.conversation.handle_message(UserMessage(PLATFORM, user, answer))
    app.delivery.drain()


def rows(app: App, query: str) -> list[tuple[object, ...]]:
    with app.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(query))]


def test_old_words_are_erased_and_the_numbers_stay(app: App, clock: FakeClock) -> None:
    finish(
        app, "UOLD", ["3", WORDS, "1", "Shouting is not management, because nobody learns.", "stop"]
    )
    clock.advance(days=80)
    finish(app, "UNEW", ["1", "No growth path at all, because nobody owned it.", "stop"])
    clock.advance(days=11)  # the first ended 91 days ago, the second 11
    assert app.jobs.purge(90) == 1
    assert app.jobs.purge(90) == 0  # once

    old = app.conversation.current(PLATFORM, "UOLD")
    assert old is not None and old.purged_at == clock.now()
    assert {qid: a.value for qid, a in old.answers.items()} == {
        "primary_reason": "manager",
        "manager_rating": "1",
    }
    assert old.analysis is not None and old.analysis.primary_reason == "manager"
    quoting = (old.analysis.quotes, old.analysis.kept_by, old.analysis.signals)
    assert quoting == ([], None, []) and old.analysis.suggested_action is None
    assert old.state is InterviewState.DECLINED
    assert rows(
        app,
        "SELECT count(*) FROM outbox o JOIN interviews i ON i.id = o.interview_id "
        "JOIN people p ON p.id = i.person_id WHERE p.user_id = 'UOLD'",
    ) == [(0,)]
    everything = str(rows(app, "SELECT value, followup_answer FROM answers")) + str(
        rows(app, "SELECT payload FROM outbox")
    )
    assert "shouted" not in everything and "Shouting" not in everything
    assert "No growth path" in everything  # the recent one is untouched

    digest = app.views.digest(120)
    assert {(r.reason.value, r.count) for r in digest.reasons} == {
        ("manager", 1),
        ("career_growth", 1),
    }
    assert digest.by_state == {"DECLINED": 2}


def test_an_open_interview_is_never_erased(app: App, clock: FakeClock) -> None:
    app.hr.start_now(Person(PLATFORM, "UJ", "J"), by="UHR")
    app.conversation.handle_message(UserMessage(PLATFORM, "UJ", "1"))
    clock.advance(days=400)
    assert app.jobs.purge(30) == 0
    current = app.conversation.current(PLATFORM, "UJ")
    assert current is not None and "primary_reason" in current.answers


def test_requests_never_handled_are_erased_with_the_rest(app: App, clock: FakeClock) -> None:
    app.intake.store(PLATFORM, "Ev1", "UOLD", "application/json", WORDS)
    clock.advance(days=91)
    app.intake.store(PLATFORM, "Ev2", "UNEW", "application/json", "recent words")
    app.jobs.purge(90)
    assert rows(app, "SELECT event_id, body FROM inbox ORDER BY event_id") == [
        ("Ev1", None),
        ("Ev2", "recent words"),
    ]


def test_sent_digests_go_with_the_period(app: App, clock: FakeClock) -> None:
    finish(app, "UOLD", ["3", WORDS, "stop"])
    app.jobs.post_digest([PLATFORM], 7)
    app.delivery.drain()
    assert rows(app, "SELECT count(*) FROM outbox WHERE interview_id IS NULL") == [(1,)]
    clock.advance(days=91)
    app.jobs.purge(90)
    assert rows(app, "SELECT count(*) FROM outbox") == [(0,)]
