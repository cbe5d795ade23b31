"""A model deciding on a follow-up holds nothing: the answer is handled, the model asked with
no unit of work open (the suite's guard checks every call), then the decision applied. Other
employees go on meanwhile; a decision the interview moved past is dropped, never asked for
twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.container import App
from core.advice import AdviceWanted, Decided
from core.events import UserMessage
from core.interview import InterviewState, Person
from core.messages import QuestionMessage, TextMessage
from core.ports import Usage
from core.question_kinds import TextQuestion
from core.wording import CLOSED
from tests.conftest import PLATFORM, AppFactory, FakeChat
from tests.standins.openai import OpenAIStandIn, model_says

JANE = Person(platform=PLATFORM, user_id="UJANE", display_name="Jane Doe")
LEO = Person(platform=PLATFORM, user_id="ULEO", display_name="Leo Park")
PROBE = "What made the promotion decision feel unfair?"


def say(app: App, user: str, text: str, event_id: str) -> None:
    app.conversation.handle_message(UserMessage(PLATFORM, user, text, event_id=event_id))


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def with_model(make_app: AppFactory, llm: OpenAIStandIn) -> App:
    app = make_app(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=llm.url, EXITBOT_LLM_TIMEOUT=20)
    for person in (JANE, LEO):
        app.hr.start_now(person, by="UHR")
        say(app, person.user_id, "1", f"Ev-{person.user_id}-1")  # to the open question
    return app


def thinking(llm: OpenAIStandIn, app: App, text: str) -> tuple[threading.Event, threading.Thread]:
    """Jane answers `text` while the model takes its time to decide on a follow-up."""
    hold = threading.Event()
    llm.answers = [model_says({"ask": True, "question": PROBE}, hold=hold)]
    asked = len(llm.requests)
    jane = threading.Thread(target=say, args=(app, "UJANE", text, "Ev-jane-2"))
    jane.start()
    eventually(lambda: len(llm.requests) > asked)
    return hold, jane


def test_other_employees_go_on_while_the_model_decides(
    make_app: AppFactory, llm: OpenAIStandIn, chat: FakeChat
) -> None:
    app = with_model(make_app, llm)
    hold, jane = thinking(llm, app, "Passed over for promotion twice.")
    try:
        started = time.monotonic()
        say(app, "ULEO", "My manager never had time for me.", "Ev-leo-2")
        app.delivery.drain()
        assert time.monotonic() - started < 2, "Leo waited for the model deciding on Jane"
        assert isinstance(chat.to_user("ULEO")[-1], QuestionMessage)
        assert jane.is_alive(), "Jane's answer is still with the model"
    finally:
        hold.set()
        jane.join(timeout=30)
    app.delivery.drain()
    last = chat.to_user("UJANE")[-1]
    assert isinstance(last, TextMessage) and last.text == PROBE
    interview = app.conversation.current(PLATFORM, "UJANE")
    assert interview is not None and interview.pending_followup == PROBE
    assert interview.answers["trigger"].value == "Passed over for promotion twice."
    assert interview.llm_calls >= 1


def test_a_decision_the_interview_moved_past_is_dropped_not_asked_again(
    make_app: AppFactory, llm: OpenAIStandIn, chat: FakeChat
) -> None:
    app = with_model(make_app, llm)
    hold, jane = thinking(llm, app, "Passed over for promotion twice.")
    asked = len(llm.requests)
    app.hr.cancel(JANE, by="UHR")  # HR cancel while the model is still thinking
    hold.set()
    jane.join(timeout=30)
    app.delivery.drain()
    assert len(llm.requests) == asked, "the model was asked again"
    assert chat.to_user("UJANE")[-1] == TextMessage(text=CLOSED)
    interview = app.conversation.current(PLATFORM, "UJANE")
    assert interview is not None and interview.state is InterviewState.CANCELLED
    assert "trigger" not in interview.answers


def test_a_decision_applies_only_to_the_answer_it_was_taken_for() -> None:
    trigger = TextQuestion(
        kind="text", id="trigger", text="What made you start looking?", probe=True
    )
    advice = TextQuestion(kind="text", id="advice", text="Any advice for us?", probe=True)
    spent = Usage(calls=1, tokens=120)
    decided = Decided(AdviceWanted(trigger, "Passed over.", []), PROBE, spent)
    usage = Usage()
    assert decided.follow_up(advice, "Passed over.", [], usage=usage) is None
    assert decided.follow_up(trigger, "Something else.", [], usage=usage) is None
    assert usage == Usage()
    assert decided.follow_up(trigger, "Passed over.", [], usage=usage) == PROBE
    assert usage == Usage(calls=1, tokens=120)
