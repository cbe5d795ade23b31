"""Socket Mode: a request is stored, then acknowledged over the socket, then handled by the
inbox; a retry does nothing new; when it cannot be stored an event is left unacknowledged
(Slack sends it again) and a command is answered "having trouble". The Socket Mode
connection is faked (it is the edge); bolt, the database and the Web API stand-in are real."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from adapters.llm.offline import OfflineAnalyst
from adapters.slack.app import build_bolt_app, replay
from adapters.slack.chat import SlackChat
from adapters.slack.socket import StoringSocketModeHandler
from bot.container import App, build_app
from bot.outage import FailureLog
from bot.settings import Settings
from bot.slack import slack_edges
from core.events import UserMessage
from core.intake import TROUBLE, Intake
from core.interview import Person
from tests.conftest import FakeClock
from tests.standins.slack import SlackStandIn, dm, event_body, trigger_id


class FakeSocket:
    """The Socket Mode connection: what was acknowledged, and with what."""

    def __init__(self) -> None:
        self.acks: list[SocketModeResponse] = []

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.acks.append(response)


@pytest.fixture
def slack_app(
    slack: SlackStandIn, database_url: str
) -> Iterator[tuple[App, StoringSocketModeHandler]]:
    settings = Settings(  # type: ignore[call-arg]
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_APP_TOKEN="xapp-test",
        SLACK_API_URL=slack.api_url,
        EXITBOT_HR_USERS="UHR",
    )
    slack = slack_edges(settings)
    assert slack is not None and isinstance(slack.chat, SlackChat)
    app = build_app(settings)
    bolt = build_bolt_app(
        client=slack.chat.client,
        conversation=app.conversation,
        desk=app.desk,
        dm_channel=slack.chat.dm_channel,
    )
    slack.replay = replay(bolt, app.conversation)
    app.register(slack)
    handler = StoringSocketModeHandler(
        bolt, "xapp-test", app.intake, FailureLog("storing Slack requests")
    )
    yield app, handler
    app.close()


def command(text: str, hook: str) -> dict[str, Any]:
    return {
        "command": "/exitbot",
        "text": text,
        "user_id": "UHR",
        "channel_id": "CHRROOM",
        "team_id": "T1",
        "response_url": hook,
        "trigger_id": trigger_id(),
    }


def request(
    kind: str, payload: dict[str, Any], envelope: str, retry: int | None = None
) -> SocketModeRequest:
    return SocketModeRequest(type=kind, envelope_id=envelope, payload=payload, retry_attempt=retry)


def test_a_request_is_stored_acknowledged_then_handled_once(
    slack_app: tuple[App, StoringSocketModeHandler], slack: SlackStandIn
) -> None:
    app, handler = slack_app
    socket = FakeSocket()
    handler.handle(
        socket,
        request("slash_commands", command("start <@UJANE|jane>", f"{slack.base}/hooks/1"), "e1"),
    )  # type: ignore[arg-type]
    assert [a.envelope_id for a in socket.acks] == ["e1"] and slack.hooks == []  # acked first
    assert app.intake.handle_due().handled == 1
    assert "Started Jane Doe" in slack.hooks[0]["text"]
    app.delivery.drain()
    asked = len(slack.posts("DUJANE"))
    event = json.loads(event_body(dm("UJANE", "1"), "EvSocket1"))
    handler.handle(socket, request("events_api", event, "e2"))  # type: ignore[arg-type]
    handler.handle(socket, request("events_api", event, "e3", retry=1))  # type: ignore[arg-type]
    assert [a.envelope_id for a in socket.acks] == ["e1", "e2", "e3"]
    assert app.intake.handle_due().handled == 1
    assert app.intake.handle_due().handled == 0  # the retry was not stored again
    app.delivery.drain()
    assert len(slack.posts("DUJANE")) == asked + 1
    assert slack.waiting_for("UJANE") == "trigger"


def test_what_cannot_be_stored_is_not_acknowledged_or_is_answered(
    slack_app: tuple[App, StoringSocketModeHandler], slack: SlackStandIn, clock: FakeClock
) -> None:
    _app, handler = slack_app

    def database_down() -> Any:
        raise ConnectionRefusedError("database down")

    handler.intake = Intake(uow=database_down, clock=clock)
    socket = FakeSocket()
    event = json.loads(event_body(dm("UJANE", "1"), "EvSocket2"))
    handler.handle(socket, request("events_api", event, "e1"))  # type: ignore[arg-type]
    assert socket.acks == []  # Slack will send it again
    handler.handle(
        socket, request("slash_commands", command("list", f"{slack.base}/hooks/2"), "e2")
    )  # type: ignore[arg-type]
    [ack] = socket.acks
    assert ack.envelope_id == "e2" and ack.payload == {"text": TROUBLE}


class SlowAnalyst(OfflineAnalyst):
    def themes(self, interviews: Any, usage: Any = None) -> list[str]:
        time.sleep(1.5)  # a model reading the period's interviews
        return super().themes(interviews, usage)


def test_hr_hear_it_is_on_its_way_when_an_answer_takes_more_than_a_second(
    slack_app: tuple[App, StoringSocketModeHandler], slack: SlackStandIn
) -> None:
    app, handler = slack_app
    app.hr.start_now(Person("slack", "UJANE", "Jane Doe"), by="UHR")
    app.conversation.handle_message(UserMessage("slack", "UJANE", "stop"))  # one ended
    socket = FakeSocket()
    handler.handle(
        socket, request("slash_commands", command("help", f"{slack.base}/hooks/1"), "e1")
    )  # type: ignore[arg-type]
    app.intake.handle_due()
    assert len(slack.hooks) == 1  # quick: no word first
    app.views.analyst = SlowAnalyst()
    handler.handle(
        socket, request("slash_commands", command("digest", f"{slack.base}/hooks/2"), "e2")
    )  # type: ignore[arg-type]
    app.intake.handle_due()
    assert slack.hooks[1]["text"] == "Working on it…"
    assert "Exit interviews" in slack.hooks[2]["text"] and len(slack.hooks) == 3
