"""Send right after commit: a commit's messages are claimed in its own transaction and handed
to the senders at once (no claim round trip), but only where nothing earlier to the same
person is still unsent; the rest wait for the sweep, so each person reads everything in
order, through failures and retries."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.container import App
from bot.worker import Worker
from core.events import UserMessage
from core.interview import Person
from core.messages import QuestionMessage
from core.ports import DeliveryError, OutboxItem, UnitOfWork
from tests.conftest import PLATFORM, FakeChat, FakeClock
from tests.standins.slack import wait_for

JANE = Person(platform=PLATFORM, user_id="UJANE", display_name="Jane Doe")


def handed_over(app: App) -> list[list[OutboxItem]]:
    batches: list[list[OutboxItem]] = []
    app.send_now.take = batches.append
    return batches


def unsent_rows(app: App) -> int:
    with app.engine.connect() as connection:
        return int(
            connection.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
            or 0
        )


def test_a_commits_messages_are_handed_over_claimed_in_order(app: App, chat: FakeChat) -> None:
    batches = handed_over(app)
    app.hr.start_now(JANE, by="UHR")
    [batch] = batches
    assert len(batch) == 4 and isinstance(batch[-1].message, QuestionMessage)
    assert not app.outbox_ready.is_set()  # nothing left for the sweep
    assert app.delivery.drain().sent == 0  # claimed: the sweep does not send them twice
    assert app.delivery.send(batch).sent == 4
    assert [m for _, m in chat.sent] == [item.message for item in batch]
    assert app.delivery.drain().sent == 0


def test_a_reply_behind_an_unsent_message_waits_for_it(app: App, chat: FakeChat) -> None:
    batches = handed_over(app)
    app.hr.start_now(JANE, by="UHR")
    app.outbox_ready.clear()
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1", event_id="Ev1"))
    assert len(batches) == 1, "the reply was claimed while the question was still unsent"
    assert app.outbox_ready.is_set()
    early = app.delivery.drain()
    assert early.sent == 0 and early.blocked == 1
    app.delivery.send(batches[0])
    assert app.delivery.drain().sent == 1
    questions = [m.question_id for _, m in chat.sent if isinstance(m, QuestionMessage)]
    assert questions == ["primary_reason", "trigger"]


def test_an_answer_before_its_question_is_marked_sent_is_replied_to_at_once(
    app: App, chat: FakeChat
) -> None:
    """A quick answer may be handled after its question is posted but before the sender
    has marked it sent. Its reply is not left to the sweep (a claim and a round trip more,
    and a wait for the sweep), and still comes after the question."""
    batches = handed_over(app)
    app.hr.start_now(JANE, by="UHR")
    mark = app.delivery.one_statement
    assert mark is not None  # where messages are marked sent

    def answer_then_mark() -> UnitOfWork:
        if not chat.to_user("UJANE")[4:]:  # only the question's batch is posted
            app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1", event_id="Ev1"))
        return mark()

    app.delivery.one_statement = answer_then_mark
    app.outbox_ready.clear()
    app.delivery.send(batches[0])
    assert len(batches) == 2, "the reply waited for the question's sent mark"
    assert not app.outbox_ready.is_set()
    app.delivery.send(batches[1])
    questions = [m.question_id for _, m in chat.sent if isinstance(m, QuestionMessage)]
    assert questions == ["primary_reason", "trigger"]
    assert app.delivery.drain().sent == 0


def test_after_a_failure_the_persons_later_messages_follow_the_failed_one(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    batches = handed_over(app)
    app.hr.start_now(JANE, by="UHR")
    [batch] = batches
    chat.failures.append(DeliveryError("rate limited", retry_after=30))
    report = app.delivery.send(batch)
    assert (report.sent, report.retrying, report.released) == (0, 1, 3)
    assert chat.sent == []
    assert app.delivery.drain().sent == 0  # the first waits for its retry, the rest for it
    clock.advance(seconds=31)
    assert app.delivery.drain().sent == 4
    assert [m for _, m in chat.sent] == [item.message for item in batch]


def test_messages_posted_as_the_database_went_away_are_marked_when_it_is_back_not_reposted(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    """Regression: when the database went away between a post and its sent mark, the rows
    stayed leased and unsent, the person's later replies waited behind them, and once the
    lease ran out the sweep posted them a second time."""
    batches = handed_over(app)
    app.hr.start_now(JANE, by="UHR")
    mark = app.delivery.one_statement
    assert mark is not None
    down = True

    def outage() -> UnitOfWork:
        if down:
            raise OperationalError("UPDATE outbox", {}, ConnectionError("server closed"))
        assert mark is not None
        return mark()

    app.delivery.one_statement = outage
    with pytest.raises(OperationalError):
        app.delivery.send(batches[0])
    assert len(chat.sent) == 4  # posted, unmarked
    # Jane answers meanwhile (her answer reached a database that was back for it).
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1", event_id="Ev1"))
    assert len(batches) == 2, "the reply waited behind messages already posted"
    clock.advance(minutes=5)  # past the lease of the unmarked ones
    with pytest.raises(OperationalError):
        app.delivery.drain()  # the sweep, still without the database
    down = False
    app.delivery.send(batches[1])
    assert app.delivery.drain().sent == 0
    questions = [m.question_id for _, m in chat.sent if isinstance(m, QuestionMessage)]
    assert questions == ["primary_reason", "trigger"], "each question posted once, in order"
    assert unsent_rows(app) == 0


def test_a_sender_leaves_its_sent_marks_to_the_marker_and_goes_on(app: App, chat: FakeChat) -> None:
    """Marking each post sent in the sender's thread held its next post behind the write
    (on SQLite, behind every other writer's turn). With a marker the sender only posts;
    the marks wait for the marker, several in one statement, and the person's reply to a
    question posted and not yet marked is not held up by it."""
    batches = handed_over(app)
    told: list[bool] = []
    app.delivery.marker = lambda: told.append(True)
    mark = app.delivery.one_statement
    assert mark is not None
    statements: list[bool] = []

    def counted() -> UnitOfWork:
        statements.append(True)
        assert mark is not None
        return mark()

    app.delivery.one_statement = counted
    app.hr.start_now(JANE, by="UHR")
    assert app.delivery.send(batches[0]).sent == 4
    assert told and not statements and unsent_rows(app) == 4
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1", event_id="Ev1"))
    assert len(batches) == 2, "the reply waited for the question's sent mark"
    app.delivery.send(batches[1])
    app.delivery.mark_posted()
    assert len(statements) == 1, "the five posts' marks share one statement"
    assert unsent_rows(app) == 0
    assert app.delivery.drain().sent == 0
    questions = [m.question_id for _, m in chat.sent if isinstance(m, QuestionMessage)]
    assert questions == ["primary_reason", "trigger"]


def test_the_workers_marker_marks_what_its_senders_posted(app: App, chat: FakeChat) -> None:
    worker = Worker(
        app.delivery, app.jobs, app.intake, app.outbox_ready, 3600, scheduler=False, senders=2
    )
    app.send_now.take = worker.take
    assert app.delivery.marker is None, "a worker not started leaves each send its own marks"
    worker.start()
    try:
        app.hr.start_now(JANE, by="UHR")
        wait_for(lambda: len(chat.sent) == 4 and unsent_rows(app) == 0, what="marked sent")
        app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1", event_id="Ev1"))
        wait_for(lambda: len(chat.sent) == 5 and unsent_rows(app) == 0, what="the reply")
    finally:
        worker.stop()
    assert app.delivery.marker is None  # a send after the worker stopped marks its own
    assert not app.delivery.posted and not app.delivery.unmarked
