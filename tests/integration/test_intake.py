"""The inbox on a real database: a stored request is handled once, a failing one is tried
again with backoff and given up after max_attempts, and a retry of a handled one does
nothing."""

from __future__ import annotations

from sqlalchemy import text

from bot.container import App
from core.events import UserMessage
from core.ports import InboxItem
from tests.conftest import CountedUnits, FakeChat, FakeClock


def test_a_request_whose_handling_fails_is_tried_again_and_handled_once(
    app: App, clock: FakeClock, chat: FakeChat
) -> None:
    failures = [RuntimeError("database went away")]

    def handle(item: InboxItem) -> None:
        if failures:
            raise failures.pop()
        app.conversation.handle_message(
            UserMessage("test", "U1", item.body, event_id=item.event_id)
        )

    app.intake.handlers["test"] = handle
    assert app.intake.store("test", "Ev1", "U1", "text/plain", "hello")
    assert not app.intake.store("test", "Ev1", "U1", "text/plain", "hello")  # a retry
    first = app.intake.handle_due()
    assert first.retrying == 1 and isinstance(first.error, RuntimeError)
    assert app.intake.handle_due().handled == 0  # backing off
    clock.advance(seconds=3)
    assert app.intake.handle_due().handled == 1
    app.delivery.drain()
    assert len(chat.to_user("U1")) == 1  # the stranger's reply, once
    clock.advance(seconds=60)
    assert app.intake.handle_due().handled == 0
    with app.engine.connect() as connection:
        row = connection.execute(text("SELECT attempts, body, processed_at FROM inbox")).one()
    assert row.attempts == 1 and row.body is None and row.processed_at is not None


def test_a_request_that_never_succeeds_is_given_up(app: App, clock: FakeClock) -> None:
    def broken(item: InboxItem) -> None:
        raise ValueError("a bug")

    app.intake.handlers["test"] = broken
    app.intake.store("test", "Ev1", "U1", "text/plain", "hello")
    reports = []
    for _ in range(app.intake.max_attempts):
        reports.append(app.intake.handle_due())
        clock.advance(seconds=1000)
    assert [r.retrying for r in reports] == [1] * (app.intake.max_attempts - 1) + [0]
    assert reports[-1].failed == 1
    assert app.intake.handle_due().failed == 0


def test_handled_requests_are_forgotten_after_a_week(app: App, clock: FakeClock) -> None:
    app.intake.handlers["test"] = lambda item: None
    app.intake.store("test", "EvOld", "U1", "text/plain", "old")
    app.intake.handle_due()
    clock.advance(days=8)
    app.intake.store("test", "EvNew", "U1", "text/plain", "new")
    app.intake.handle_due()
    app.intake.store("test", "EvPending", "U2", "text/plain", "waiting")
    assert app.intake.prune() == 1
    with app.engine.connect() as connection:
        left = connection.execute(text("SELECT event_id FROM inbox ORDER BY id")).scalars().all()
    assert left == ["EvNew", "EvPending"]


def test_a_request_that_changed_something_is_marked_done_with_its_change_alone(
    app: App, chat: FakeChat
) -> None:
    """One transaction to claim it, one for the change and its mark: no third to mark it."""
    units = CountedUnits(app.intake.uow)
    app.intake.uow = units
    app.intake.handlers["test"] = lambda item: app.conversation.handle_message(
        UserMessage("test", "U1", item.body, event_id=item.event_id)
    )
    app.intake.handlers["idle"] = lambda item: None  # changes nothing: marked by the inbox
    app.intake.store("test", "Ev1", "U1", "text/plain", "hello")
    app.intake.store("idle", "Ev2", "U2", "text/plain", "a bot's own message")
    units.count = 0
    assert app.intake.handle_due().handled == 1
    assert units.count == 1  # the claim; the change and its mark were the conversation's own
    assert app.intake.handle_due().handled == 1
    assert units.count == 3  # the claim and the mark
    with app.engine.connect() as connection:
        done = connection.execute(text("SELECT processed_at FROM inbox")).scalars().all()
    assert len(done) == 2 and all(done)
    app.delivery.drain()
    assert len(chat.to_user("U1")) == 1


def test_a_request_is_claimed_as_it_is_stored_unless_its_sender_has_one_in_hand(
    app: App, chat: FakeChat
) -> None:
    """Handled at once, without a claim round trip; but one person's requests in order."""
    handed: list[InboxItem] = []
    woken: list[None] = []
    app.intake.take, app.intake.wake = handed.append, lambda: woken.append(None)
    app.intake.handlers["test"] = lambda item: app.conversation.handle_message(
        UserMessage("test", "U1", item.body, event_id=item.event_id)
    )
    assert app.intake.store("test", "Ev1", "U1", "text/plain", "first")
    assert [i.event_id for i in handed] == ["Ev1"] and not woken
    assert app.intake.store("test", "Ev2", "U1", "text/plain", "second")  # Ev1 still in hand
    assert len(handed) == 1 and len(woken) == 1
    early = app.intake.handle_due()
    assert early.handled == 0 and early.blocked == 1  # neither Ev1 again nor Ev2 before it
    assert app.intake.handle(handed[0]).handled == 1
    assert app.intake.handle_due().handled == 1
    assert not app.intake.store("test", "Ev1", "U1", "text/plain", "first")  # a late retry
    assert app.intake.store("test", "Ev3", "U2", "text/plain", "someone else")
    assert [i.event_id for i in handed] == ["Ev1", "Ev3"]
