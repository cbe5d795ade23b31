"""The digest counted by the database (a few GROUP BYs over coded columns) gives the same
numbers as counting the interviews in memory did, with answers encrypted or not, after a
retention purge, and from columns a migration filled in for interviews older than them."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import text

from adapters.storage.crypto import Cipher, new_key
from bot.container import App
from bot.migrate import downgrade, upgrade
from core.events import UserMessage
from core.interview import InterviewState, Person
from core.reporting import build_digest, tally
from tests.conftest import PLATFORM, AppFactory, FakeClock

KEY = new_key()
DEPARTMENTS = ["Support", "Engineering", "Sales", None]
WEEK = timedelta(days=7)


def interview_many(app: App, clock: FakeClock, people: int, seed: int = 7) -> None:
    """People answering every kind of question in many ways; some skip, some stop."""
    pick = random.Random(seed)
    bank = app.views.bank
    for n in range(people):
        user = f"U{n:03d}"
        department = DEPARTMENTS[n % len(DEPARTMENTS)]
        app.hr.start_now(Person(PLATFORM, user, f"Person {n}", department=department), by="UHR")
        stop_after = pick.choice([3, 6, 99, 99, 99])
        for asked in range(40):
            interview = app.views.current(PLATFORM, user)
            if interview is None or interview.state is not InterviewState.IN_PROGRESS:
                break
            if interview.pending_question is None:  # a follow-up: said in their own words
                app.conversation.handle_message(UserMessage(PLATFORM, user, "Mostly the pay."))
                continue
            question = bank.get(interview.pending_question)
            if asked == stop_after:
                text = "stop"
            elif pick.random() < 0.15:
                text = "skip"
            elif (scale := question.scale()) is not None:
                text = str(pick.randint(scale.min, scale.max))
            elif choices := question.choices():
                text = pick.choice(choices).value
            else:
                text = pick.choice(
                    ["The pay was far below market.", "My manager never listened.", "No growth."]
                )
            app.conversation.handle_message(UserMessage(PLATFORM, user, text))
        clock.advance(minutes=7)


def same_digest(app: App, clock: FakeClock) -> None:
    now = clock.now()
    with app.views.read() as uow:
        counted = uow.interviews.digest_counts(now - WEEK, now)
        ended = uow.interviews.ended_between(now - WEEK, now)
        open_now = uow.interviews.count_open()
    bank = app.views.bank
    assert counted == tally(ended, bank)
    by_sql = build_digest(counted, open_now, bank, now - WEEK, now, 3)
    in_memory = build_digest(tally(ended, bank), open_now, bank, now - WEEK, now, 3)
    assert by_sql == in_memory
    assert sum(by_sql.by_state.values()) == len(ended) > 0
    assert by_sql.ratings and by_sql.recommend_answers and by_sql.reasons


def test_the_databases_digest_numbers_are_those_of_the_interviews(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = make_app(EXITBOT_ENCRYPTION_KEY=KEY)
    interview_many(app, clock, 24)
    clock.advance(hours=1)
    same_digest(app, clock)
    clock.advance(days=2)
    assert app.jobs.purge(retention_days=1) > 0  # the words go, the numbers stay
    same_digest(app, clock)


def test_a_migration_codes_the_interviews_that_ended_before_it(
    make_app: AppFactory, clock: FakeClock, database_url: str
) -> None:
    app = make_app(EXITBOT_ENCRYPTION_KEY=KEY)
    interview_many(app, clock, 12, seed=11)
    clock.advance(hours=1)
    now = clock.now()
    with app.views.read() as uow:
        before = uow.interviews.digest_counts(now - WEEK, now)
    with app.engine.connect() as connection:
        answered = connection.execute(text("SELECT count(*) FROM answers")).scalar()
    app.close()
    downgrade(database_url, "e7b2a9c4d1f0")  # before the coded columns
    # They are added and filled in from the stored (encrypted) analysis and answers.
    upgrade(database_url, cipher=Cipher([KEY]))
    again = make_app(EXITBOT_ENCRYPTION_KEY=KEY)
    with again.views.read() as uow:
        assert uow.interviews.digest_counts(now - WEEK, now) == before
    with again.engine.connect() as connection:
        coded = connection.execute(
            text("SELECT count(*) FROM interviews WHERE primary_reason IS NOT NULL")
        ).scalar()
        answers = connection.execute(text("SELECT count(*) FROM answers")).scalar()
    assert coded and coded > 0
    # On SQLite, rebuilding the interviews table used to delete every answer (a cascade).
    assert answers == answered


def test_an_export_read_a_page_at_a_time_is_the_whole_export(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = make_app()
    interview_many(app, clock, 10, seed=3)
    clock.advance(hours=1)
    whole = app.views.export("UHR", 7)
    paged = replace(app.views, export_page=3).export("UHR", 7)
    assert paged.content == whole.content
    assert len(paged.content.splitlines()) == 1 + 10
    assert paged.title.endswith("(10)")
