"""An answer handled the moment it arrives (issue 12): its change and its record as handled
commit in one unit of work, with no request stored and no handler woken. It is stored for a
handler instead whenever it must wait its turn: the same person's earlier request is still
waiting, a model must be asked about it, or handling it failed."""

from __future__ import annotations

import json
import threading
from functools import partial

from sqlalchemy import text

from bot.container import App
from core.events import UserMessage
from core.interview import Person
from core.messages import QuestionMessage
from core.ports import InboxItem
from tests.conftest import PLATFORM, AppFactory, CountedUnits, FakeChat
from tests.standins.openai import OpenAIStandIn, model_says
from tests.standins.slack import wait_for

JANE = Person(platform=PLATFORM, user_id="UJANE", display_name="Jane Doe")
TRIGGER = "I was passed over for promotion twice because the criteria were never written down."


def receive(app: App, words: str, event_id: str, failing: bool = False) -> bool:
    """What the Slack route does with a person's direct message."""
    message = UserMessage(PLATFORM, JANE.user_id, words, event_id=event_id)

    def broken() -> bool:
        raise RuntimeError("a bug in handling")

    now = broken if failing else partial(app.conversation.answer_now, message)
    body = json.dumps({"text": words})
    return app.intake.receive(PLATFORM, event_id, JANE.user_id, "application/json", body, now)


def replays(app: App) -> None:
    """The handler a stored request goes to (the platform's replay)."""

    def handle(item: InboxItem) -> None:
        words = json.loads(item.body)["text"]
        app.conversation.handle_message(
            UserMessage(PLATFORM, JANE.user_id, words, event_id=item.event_id)
        )

    app.intake.handlers[PLATFORM] = handle


def inbox(app: App) -> list[tuple[str, bool]]:
    """Each request the inbox holds: its id, and whether it was handled."""
    with app.engine.connect() as connection:
        rows = connection.execute(text("SELECT event_id, processed_at FROM inbox ORDER BY id"))
        return [(row.event_id, row.processed_at is not None) for row in rows]


def started(app: App) -> App:
    app.hr.start_now(JANE, by="UHR")
    app.delivery.drain()
    return app


def with_handler(app: App) -> list[InboxItem]:
    """Jane's interview started, and the requests stored for a handler, as it gets them."""
    started(app)
    replays(app)
    handed: list[InboxItem] = []
    app.intake.take = handed.append
    return handed


def test_an_answer_is_handled_as_it_arrives_in_one_unit_of_work(app: App, chat: FakeChat) -> None:
    started(app)
    handed: list[InboxItem] = []
    woken: list[None] = []
    app.intake.take, app.intake.wake = handed.append, lambda: woken.append(None)
    units = CountedUnits(app.transactions.uow)
    app.transactions.uow = app.intake.uow = app.intake.one_statement = units
    asked = len(chat.to_user(JANE.user_id))
    assert receive(app, "1", "Ev1")
    assert units.count == 1, "the answer and its record as handled are one unit of work"
    assert not handed and not woken, "nothing was stored for a handler"
    assert inbox(app) == [("Ev1", True)]
    app.delivery.drain()
    replies = chat.to_user(JANE.user_id)[asked:]
    assert len(replies) == 1 and isinstance(replies[0], QuestionMessage)
    interview = app.conversation.current(PLATFORM, JANE.user_id)
    assert interview is not None and "primary_reason" in interview.answers

    duplicates: list[str] = []
    app.transactions.on_duplicate = duplicates.append
    assert not receive(app, "1", "Ev1"), "Slack's retry of it"
    app.delivery.drain()
    assert duplicates == [PLATFORM]
    assert len(chat.to_user(JANE.user_id)) == asked + 1, "no second reply"
    assert inbox(app) == [("Ev1", True)]


def test_an_answer_waits_behind_the_same_persons_request_still_waiting(
    app: App, chat: FakeChat
) -> None:
    handed = with_handler(app)
    # The first answer was stored (a moment when it could not be handled) and is in hand.
    assert app.intake.store(PLATFORM, "Ev1", JANE.user_id, "application/json", '{"text": "1"}')
    assert receive(app, TRIGGER, "Ev2")
    assert inbox(app) == [("Ev1", False), ("Ev2", False)], "the second did not overtake"
    assert len(handed) == 1
    assert app.intake.handle(handed[0]).handled == 1
    assert app.intake.handle_due().handled == 1
    interview = app.conversation.current(PLATFORM, JANE.user_id)
    assert interview is not None
    assert "primary_reason" in interview.answers
    assert interview.answers["trigger"].value == TRIGGER


def test_an_answer_a_model_is_asked_about_is_left_to_a_handler(
    make_app: AppFactory, llm: OpenAIStandIn, chat: FakeChat
) -> None:
    app = make_app(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=llm.url)
    handed = with_handler(app)
    assert receive(app, "1", "Ev1")  # a choice: no model is asked about it
    assert inbox(app) == [("Ev1", True)]
    llm.answers = [model_says({"ask": False})]
    asked = len(llm.requests)
    assert receive(app, TRIGGER, "Ev2")  # an open question: the model decides on a follow-up
    assert len(llm.requests) == asked, "the model was not asked before Slack's answer"
    assert inbox(app) == [("Ev1", True), ("Ev2", False)]
    assert [item.event_id for item in handed] == ["Ev2"]
    assert app.intake.handle(handed[0]).handled == 1
    assert len(llm.requests) == asked + 1
    interview = app.conversation.current(PLATFORM, JANE.user_id)
    assert interview is not None and interview.answers["trigger"].value == TRIGGER


def test_a_handler_waiting_for_a_model_leaves_its_hand_to_the_answers_arriving(
    make_app: AppFactory, llm: OpenAIStandIn, chat: FakeChat
) -> None:
    """The hands (EXITBOT_HANDLERS) are turns at the database. A handler held on its hand
    while a model kept it waiting, so with the model hanging every hand waited on it, and
    everyone's answers went to the inbox behind them instead of being handled as they came."""
    app = make_app(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=llm.url, EXITBOT_HANDLERS="1")
    handed = with_handler(app)
    assert receive(app, "1", "Ev1")  # a choice, handled as it arrived
    model = threading.Event()
    llm.answers = [model_says({"ask": False}, hold=model)]
    asked = len(llm.requests)
    assert receive(app, TRIGGER, "Ev2")  # left to a handler: a model decides on a follow-up

    def handler() -> None:  # as the worker's handlers run
        with app.hands:
            app.intake.handle(handed[0])

    handling = threading.Thread(target=handler)
    handling.start()
    try:
        wait_for(lambda: len(llm.requests) > asked, what="the model asked")
        assert app.hands.acquire(blocking=False), "the hand is free while the model decides"
        app.hands.release()
    finally:
        model.set()
        handling.join(timeout=10)
    assert inbox(app) == [("Ev1", True), ("Ev2", True)]
    assert app.hands.acquire(blocking=False)  # the handler took its hand back, and gave it
    app.hands.release()


def test_an_answer_whose_handling_fails_as_it_arrives_is_stored_and_handled_later(
    app: App, chat: FakeChat
) -> None:
    handed = with_handler(app)
    assert receive(app, "1", "Ev1", failing=True)
    assert inbox(app) == [("Ev1", False)]
    assert app.intake.handle(handed[0]).handled == 1
    assert inbox(app) == [("Ev1", True)]
    interview = app.conversation.current(PLATFORM, JANE.user_id)
    assert interview is not None and "primary_reason" in interview.answers
