"""Two lanes: a reply to someone mid-interview goes before invitations, reminders, summaries
and digests, in the sweep and in each sender's queue; and never before an earlier message
to the same person, whichever lane that one is in."""

from __future__ import annotations

import threading

import pytest

from bot.container import App
from bot.worker import Worker
from core.events import UserMessage
from core.interview import Person
from core.messages import Address, Lane, OutboundMessage, QuestionMessage
from core.ports import OutboxItem
from tests.conftest import PLATFORM, FakeChat, FakeClock
from tests.standins.slack import wait_for

JANE = Person(platform=PLATFORM, user_id="UJANE", display_name="Jane Doe")
LEAVERS = 30


def leavers_due(app: App, clock: FakeClock) -> None:
    """Thirty interviews due now, opened by the sweep: 120 bulk messages to send."""
    for n in range(LEAVERS):
        app.hr.schedule(Person(PLATFORM, f"UL{n:02d}", f"Leaver {n}"), clock.now(), by="UHR")
    assert app.jobs.open_due().opened == LEAVERS


def first_to(chat: FakeChat, user_id: str) -> int:
    return next(n for n, (to, _) in enumerate(chat.sent) if to.id == user_id)


def test_a_reply_goes_before_a_fan_out_of_invitations(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    app.hr.start_now(JANE, by="UHR")
    app.delivery.drain()
    chat.sent.clear()
    leavers_due(app, clock)
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1"))
    app.delivery.send_due(limit=1)
    [(to, message)] = chat.sent
    assert to.id == "UJANE" and isinstance(message, QuestionMessage)
    app.delivery.drain()
    assert len(chat.sent) == 1 + 4 * LEAVERS  # nobody's invitation lost or sent twice


def test_a_reply_waits_for_an_earlier_bulk_message_to_the_same_person(
    app: App, chat: FakeChat, clock: FakeClock
) -> None:
    app.hr.start_now(JANE, by="UHR")
    app.delivery.drain()
    clock.advance(hours=49)
    leavers_due(app, clock)  # queued before Jane's reminder: far ahead of the sweep's window
    assert app.jobs.nudge_silent() == 1  # Jane's reminder: bulk, behind 120 others
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1"))
    chat.sent.clear()
    app.delivery.drain()
    to_jane = chat.to_user("UJANE")
    assert "gentle nudge" in str(to_jane[0])  # the reminder first, then the next question
    assert isinstance(to_jane[-1], QuestionMessage) and to_jane[-1].question_id == "trigger"
    # ...and the reply went right after it, not behind the rest of the invitations.
    jane_last = max(n for n, (to, _) in enumerate(chat.sent) if to.id == "UJANE")
    assert jane_last < max(n for n, (to, _) in enumerate(chat.sent) if to.id != "UJANE")


class GatedChat(FakeChat):
    """Holds every send while the test keeps the gate closed (it starts open)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.sending = threading.Event()

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        self.sending.set()
        self.gate.wait(timeout=10)
        return super().send(to, message)


@pytest.fixture
def chat() -> GatedChat:
    return GatedChat()


def one_sender_with_a_reply_and_invitations(
    app: App, chat: GatedChat, clock: FakeClock
) -> tuple[Worker, list[OutboxItem], list[list[OutboxItem]]]:
    """A worker with one sender (not started), Jane's reply and thirty invitations claimed
    for it, and the chat's gate closed."""
    claimed: list[list[OutboxItem]] = []
    app.send_now.take = claimed.append
    app.hr.start_now(JANE, by="UHR")
    leavers_due(app, clock)
    [jane_intro, *invitations] = claimed
    app.delivery.send(jane_intro)
    app.conversation.handle_message(UserMessage(PLATFORM, "UJANE", "1"))
    reply = claimed[-1]
    assert {i.lane for b in invitations for i in b} == {Lane.BULK} and reply[0].lane is Lane.REPLY
    chat.sent.clear()
    chat.gate.clear()
    chat.sending.clear()
    worker = Worker(
        app.delivery, app.jobs, app.intake, app.outbox_ready, 3600, scheduler=False, senders=1
    )
    return worker, reply, invitations


@pytest.mark.parametrize("waiting", [1, 6])
def test_a_senders_queue_takes_replies_before_bulk(
    app: App, chat: GatedChat, clock: FakeClock, waiting: int
) -> None:
    """A reply goes before the bulk messages queued with it, and waits for one person's
    invitation at most: a sender takes bulk one person at a time (it once took a batch of
    them, which at a platform's pace held a reply for seconds)."""
    worker, reply, invitations = one_sender_with_a_reply_and_invitations(app, chat, clock)
    for batch in invitations[:waiting]:  # waiting when the sender starts
        worker.take(batch)
    worker.start()
    try:
        assert chat.sending.wait(timeout=10)  # the sender is busy with the first invitation
        for batch in invitations[waiting:]:
            worker.take(batch)
        worker.take(reply)
        chat.gate.set()
        wait_for(lambda: len(chat.sent) == 4 * LEAVERS + 1, timeout=30, what="every message")
    finally:
        worker.stop()
    # The first invitation's four go together, then the reply, then the other invitations.
    assert first_to(chat, "UJANE") == 4


def test_bulk_lane_is_what_jobs_queue(app: App, chat: FakeChat, clock: FakeClock) -> None:
    claimed: list[list[OutboxItem]] = []
    app.send_now.take = claimed.append
    app.hr.start_now(JANE, by="UHR")  # HR is waiting to see it start
    app.delivery.send(claimed[0])
    clock.advance(hours=49)
    app.jobs.nudge_silent()  # the reminder
    leavers_due(app, clock)
    assert [i.lane for i in claimed[0]] == [Lane.REPLY] * 4
    assert {i.lane for b in claimed[1:] for i in b} == {Lane.BULK}
    assert sum(len(b) for b in claimed[1:]) > 4 * LEAVERS  # the reminder and the invitations
