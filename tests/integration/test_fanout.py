"""A layoff on one day: due interviews open as fast as their invitations go out, never all
at once (40,000 messages queued ahead of everyone) and not a hundred a minute."""

from __future__ import annotations

from bot.container import App
from core.interview import InterviewState, Person
from core.jobs import Opening
from tests.conftest import PLATFORM, FakeChat, FakeClock

LEAVERS = 120


def test_interviews_open_as_the_bulk_lane_drains(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    for n in range(LEAVERS):
        app.hr.schedule(Person(PLATFORM, f"UL{n:03d}", f"Leaver {n}"), clock.now(), by="UHR")
    first = app.jobs.open_due(batch=20, backlog=30)
    second = app.jobs.open_due(batch=20, backlog=30)
    assert (first.opened, second.opened) == (20, 10)  # room for 30 people's invitations
    assert app.jobs.open_due(batch=20, backlog=30).full  # 30 waiting: nothing more for now
    opened = first.opened + second.opened
    rounds = 0
    while (opening := app.jobs.open_due(batch=20, backlog=30)).more or opening.opened:
        opened += opening.opened
        app.delivery.drain()  # the senders catch up
        rounds += 1
        assert rounds < 100
    assert opened == LEAVERS
    assert len({to.id for to, _ in chat.sent}) == LEAVERS
    states = {i.state for i in app.views.open_interviews()}
    assert states == {InterviewState.IN_PROGRESS}
    assert app.jobs.open_due() == Opening(opened=0, more=False, full=False)
