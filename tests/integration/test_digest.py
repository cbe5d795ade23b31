"""The digest: department breakdowns only for groups of at least the minimum size, themes,
and one post per period however many processes try."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.container import App
from core.events import UserMessage
from core.interview import Person
from core.messages import DigestMessage
from tests.conftest import PLATFORM, AppFactory, FakeChat, FakeClock

SKIP_ALL = ["skip"] * 12
DAY = timedelta(days=1)


def leave(app: App, user: str, department: str, reason: str, trigger: str) -> None:
    app.hr.start_now(Person(PLATFORM, user, user, department=department), by="UHR")
    for text in [reason, trigger, "4", *SKIP_ALL]:
        app.conversation.handle_message(UserMessage(PLATFORM, user, text))


def test_departments_below_the_minimum_are_not_broken_out(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = make_app(EXITBOT_MIN_GROUP="3")
    for n in range(3):
        leave(
            app, f"US{n}", "Support", "1", "No promotion path at all, and my manager never noticed."
        )
    for n in range(2):
        leave(app, f"UE{n}", "Engineering", "2", "The salary was far below market.")
    clock.advance(hours=1)
    digest = app.views.digest(7)
    assert [(g.name, g.ended, g.completed, g.top_reason) for g in digest.departments] == [
        ("Support", 3, 3, "career_growth")
    ]
    assert digest.in_small_groups == 2  # Engineering's two are counted, not shown
    assert digest.themes == [
        "Career growth: raised by 3 of 5",  # ties in taxonomy order
        "Manager: raised by 3 of 5",
        "Pay and benefits: raised by 2 of 5",
    ]


def test_a_period_is_posted_once_whatever_the_replicas(
    make_app: AppFactory, chat: FakeChat, clock: FakeClock
) -> None:
    first, second = make_app(), make_app()  # two processes' worth: separate engines and pools
    leave(first, "U1", "Support", "1", "No growth.")
    clock.advance(hours=1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        posted = list(pool.map(lambda app: app.jobs.post_digest([PLATFORM], 7), [first, second]))
    assert sorted(posted) == [0, 1]
    assert second.jobs.post_digest([PLATFORM], 7) == 0  # and again later that day: no
    first.delivery.drain()
    second.delivery.drain()
    [digest] = [m for m in chat.to_hr() if isinstance(m, DigestMessage)]
    assert digest.digest.by_state == {"COMPLETED": 1}
    clock.advance(days=7)
    assert first.jobs.post_digest([PLATFORM], 7) == 1  # next week's period


def test_an_answer_is_handled_while_a_digest_is_reading(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """On SQLite a read used to take the write lock for as long as it read: a digest over
    years of interviews held up every answer past the busy timeout, and acknowledged answers
    were dropped. A reader now waits for no writer and no writer for it, in this process or
    another."""
    hr, bot = make_app(), make_app()  # two processes' worth: separate engines and locks
    leave(bot, "U1", "Support", "1", "No growth.")
    bot.hr.start_now(Person(PLATFORM, "UJANE", "Jane"), by="UHR")
    clock.advance(hours=1)
    for app in (hr, bot):
        with app.views.read() as digest_reading:
            assert len(digest_reading.interviews.ended_between(clock.now() - DAY, clock.now())) == 1
            answering = threading.Thread(
                target=bot.conversation.handle_message,
                args=(UserMessage(PLATFORM, "UJANE", "1" if app is hr else "2"),),
            )
            answering.start()
            answering.join(timeout=10)
            assert not answering.is_alive(), "the answer waited for the digest's read"
    interview = bot.views.current(PLATFORM, "UJANE")
    assert interview is not None and len(interview.answers) == 2
    assert hr.views.digest(7).by_state == {"COMPLETED": 1}
