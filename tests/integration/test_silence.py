"""When the employee goes quiet: one reminder, then ABANDONED (HR told); a `later` pause is
honoured and ends with a check-in. A controllable clock stands in for the days passing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot.container import App
from core.commands import PersonRef
from core.events import UserMessage
from core.interview import InterviewState, Person
from core.messages import SummaryMessage, TextMessage
from tests.conftest import PLATFORM, AppFactory, FakeChat, FakeClock

JANE = Person(PLATFORM, "UJANE", "Jane Doe", timezone="Asia/Tokyo")


def say(app: App, text: str) -> None:
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", text))


def texts(chat: FakeChat) -> list[str]:
    return [m.text for m in chat.to_user("UJANE") if isinstance(m, TextMessage)]


def state(app: App) -> InterviewState:
    interview = app.conversation.current(PLATFORM, "UJANE")
    assert interview is not None
    return interview.state


def test_one_reminder_then_abandoned_and_hr_told(
    make_app: AppFactory, chat: FakeChat, clock: FakeClock
) -> None:
    app = make_app(EXITBOT_WORKING_HOURS="always")  # counting hours, not minding the clock
    app.hr.start_now(JANE, by="UHR")
    say(app, "1")
    clock.advance(hours=47)
    assert app.jobs.nudge_silent() == 0
    clock.advance(hours=1)
    assert app.jobs.nudge_silent() == 1  # 48 h of silence: the reminder
    app.delivery.drain()
    assert texts(chat)[-1].startswith("Hi Jane, just a gentle nudge")
    clock.advance(hours=24)
    assert app.jobs.nudge_silent() == 0  # one reminder only
    clock.advance(hours=48)
    assert app.jobs.nudge_silent() == 1  # 72 h after the reminder: abandoned
    app.delivery.drain()
    assert state(app) is InterviewState.ABANDONED
    assert "I haven't heard back, so I've closed your exit interview" in texts(chat)[-1]
    [summary] = chat.to_hr()
    assert isinstance(summary, SummaryMessage)
    assert summary.summary.outcome == "ABANDONED" and summary.summary.answered == 1
    assert app.jobs.nudge_silent() == 0


def test_answering_after_the_reminder_restarts_the_clock(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = make_app(EXITBOT_WORKING_HOURS="always")
    app.hr.start_now(JANE, by="UHR")
    clock.advance(hours=48)
    assert app.jobs.nudge_silent() == 1
    clock.advance(hours=70)
    say(app, "2")  # back, just in time
    clock.advance(hours=71)
    assert app.jobs.nudge_silent() == 0 and state(app) is InterviewState.IN_PROGRESS
    clock.advance(hours=1)
    assert app.jobs.nudge_silent() == 1 and state(app) is InterviewState.ABANDONED


def test_later_is_honoured_then_checked_in_on(app: App, chat: FakeChat, clock: FakeClock) -> None:
    clock.current = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # Wednesday
    app.hr.start_now(JANE, by="UHR")
    say(app, "2")
    say(app, "later monday")  # 10:00 Monday in Tokyo = 01:00 UTC
    app.delivery.drain()
    assert "I'll check back on Monday at 10:00" in texts(chat)[-1]
    clock.current = datetime(2026, 3, 9, 0, 59, tzinfo=UTC)
    assert app.jobs.nudge_silent() == 0  # four days of silence, but they asked for it
    clock.current = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    assert app.jobs.nudge_silent() == 1
    app.delivery.drain()
    assert (
        texts(chat)[-1] == "Hi again, Jane! You asked me to check back now. Here's where we were:"
    )
    interview = app.conversation.current(PLATFORM, "UJANE")
    assert interview is not None and interview.paused_until is None
    assert chat.to_user("UJANE")[-1].question_id == "trigger"  # type: ignore[union-attr]
    clock.advance(hours=47)
    assert app.jobs.nudge_silent() == 0  # the silence clock started again at the check-in


def test_downtime_is_caught_up_in_order(app: App, chat: FakeChat, clock: FakeClock) -> None:
    for n, day in enumerate((2, 3, 4)):
        person = Person(PLATFORM, f"U{n}", f"Person {n}")
        app.hr.schedule(person, datetime(2026, 3, day, 10, 0, tzinfo=UTC), by="UHR")
    clock.current = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # ExitBot was down all week
    assert app.jobs.open_due().opened == 3
    app.delivery.drain()
    first_contact = list(dict.fromkeys(address.id for address, _ in chat.sent))
    assert first_contact == ["U0", "U1", "U2"]  # oldest due first
    assert all(len(chat.to_user(f"U{n}")) == 4 for n in range(3))
    assert app.jobs.open_due().opened == 0


def test_a_reminder_waits_for_working_hours_and_skips_public_holidays(
    make_app: AppFactory, chat: FakeChat, clock: FakeClock
) -> None:
    """The reminder was due exactly 48 h after the silence, at any hour and on weekends."""
    app = make_app(EXITBOT_HOLIDAY_COUNTRY="JP")
    clock.current = datetime(2026, 4, 27, 11, 0, tzinfo=UTC)  # Monday 20:00 in Tokyo
    app.hr.start_now(JANE, by="UHR")
    say(app, "1")
    clock.current = datetime(2026, 4, 29, 11, 0, tzinfo=UTC)  # 48 h: Wednesday 20:00 there
    assert app.jobs.nudge_silent() == 0  # evening: not now
    clock.current = datetime(2026, 4, 30, 0, 0, tzinfo=UTC)  # Thursday 09:00 there
    assert app.jobs.nudge_silent() == 1
    app.delivery.drain()
    assert texts(chat)[-1].startswith("Hi Jane, just a gentle nudge")
    # Its goodbye after 72 h more (Sunday 09:00) waits too: past the weekend and Golden
    # Week's holidays (Monday 4 May to Wednesday 6 May in Japan), to Thursday.
    for local_day in (3, 4, 5, 6):
        clock.current = datetime(2026, 5, local_day, 1, 0, tzinfo=UTC)  # 10:00 there
        assert app.jobs.nudge_silent() == 0, local_day
    clock.current = datetime(2026, 5, 7, 1, 0, tzinfo=UTC)
    assert app.jobs.nudge_silent() == 1 and state(app) is InterviewState.ABANDONED


class JaneOnly:
    def lookup(self, user_id: str | None = None, email: str | None = None) -> Person:
        return replace(JANE)


def test_an_invitation_on_a_public_holiday_goes_the_working_day_before(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = make_app(EXITBOT_HOLIDAY_COUNTRY="JP")
    ref = PersonRef(user_id="UJANE")
    app.desk.directories[PLATFORM] = JaneOnly()
    said = app.desk.schedule(PLATFORM, "UHR", ref, date(2026, 5, 5))  # Children's Day
    assert said == (
        "Scheduled Jane Doe's exit interview for Fri 01 May 2026 10:00 (Asia/Tokyo), the working "
        "day before their exit date (Tue 05 May, a public holiday)."
    )


def test_an_invitation_for_a_saturday_exit_goes_on_the_friday_before(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = make_app()
    app.desk.directories[PLATFORM] = JaneOnly()
    said = app.desk.schedule(PLATFORM, "UHR", PersonRef(user_id="UJANE"), date(2026, 5, 9))
    assert said == (
        "Scheduled Jane Doe's exit interview for Fri 08 May 2026 10:00 (Asia/Tokyo), the working "
        "day before their exit date (Sat 09 May, not a working day)."
    )


def test_a_company_working_every_day_invites_on_the_saturday_itself(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = make_app(EXITBOT_WORKING_HOURS="always")
    app.desk.directories[PLATFORM] = JaneOnly()
    said = app.desk.schedule(PLATFORM, "UHR", PersonRef(user_id="UJANE"), date(2026, 5, 9))
    assert said == "Scheduled Jane Doe's exit interview for Sat 09 May 2026 10:00 (Asia/Tokyo)."
