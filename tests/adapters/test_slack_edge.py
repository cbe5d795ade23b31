"""Which Slack door `exitbot serve` opens: /slack/events only over HTTP and only with a
signing secret; in Socket Mode there is no route to forge requests against."""

from __future__ import annotations

import json
import threading

import pytest
from fastapi.testclient import TestClient
from slack_sdk.signature import SignatureVerifier

from adapters.slack.app import at_once, direct_message
from adapters.slack.inbound import COMMAND, EVENT, SlackRequest
from adapters.storage.database import make_engine
from bot.container import App
from bot.settings import Settings, SettingsError
from bot.slack import slack_route
from bot.web import create_web_app
from core.intake import IntakeReport
from core.ports import NotNow
from tests.standins.slack import event_body, sign


def settings(**values: str) -> Settings:
    return Settings(SLACK_BOT_TOKEN="xoxb-test", **values)  # type: ignore[arg-type]


def test_socket_mode_mounts_no_slack_route_even_without_a_secret(
    app: App, migrated_sqlite: str
) -> None:
    """Regression: with SLACK_APP_TOKEN set, /slack/events stayed mounted with an empty
    signing secret, and a request signed with an empty key ran `report` as HR."""
    route = slack_route(settings(SLACK_APP_TOKEN="xapp-test"), app.intake)
    assert route is None
    engine = make_engine(migrated_sqlite)
    body = event_body({"type": "message", "text": "report"}, "EvForged")
    response = TestClient(create_web_app(engine, {"/slack/events": route} if route else {})).post(
        "/slack/events", content=body, headers=sign(body, secret="")
    )
    assert response.status_code == 404
    engine.dispose()


def test_slack_posts_pass_the_front_and_all_else_reaches_fastapi(
    app: App, migrated_sqlite: str
) -> None:
    """Slack's POSTs go straight to their endpoint (not through FastAPI's stack); another
    method on that path, the probes and unknown paths are still FastAPI's to answer."""
    route = slack_route(settings(SLACK_SIGNING_SECRET="s3cret"), app.intake)
    assert route is not None
    engine = make_engine(migrated_sqlite)
    client = TestClient(create_web_app(engine, {"/slack/events": route}))
    body = event_body({"type": "app_mention", "user": "UJANE", "text": "hi"}, "EvFront")
    json_type = {"Content-Type": "application/json"}
    forged = client.post(
        "/slack/events", content=body, headers=sign(body, secret="other") | json_type
    )
    assert forged.status_code == 401
    assert app.intake.handle_due() == IntakeReport()  # nothing stored
    signed = sign(body, secret="s3cret") | json_type
    assert client.post("/slack/events", content=body, headers=signed).is_success
    # Stored by the endpoint, then claimed (this app registers no Slack handler).
    assert app.intake.handle_due().retrying == 1
    assert client.get("/slack/events").status_code == 405
    assert client.get("/livez").json() == {"status": "ok"}
    assert client.post("/nowhere").status_code == 404
    engine.dispose()


@pytest.mark.parametrize("secret", ["", "   "])
def test_over_http_a_signing_secret_is_required(app: App, secret: str) -> None:
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        slack_route(settings(SLACK_SIGNING_SECRET=secret), app.intake)


def test_the_slack_sdk_in_use_refuses_an_empty_secret() -> None:
    """The floor in pyproject (slack-sdk 3.43) is the first release that does."""
    with pytest.raises(ValueError, match="must not be empty"):
        SignatureVerifier("")


def message_event(**event: object) -> dict[str, object]:
    return {"type": "event_callback", "event_id": "Ev1", "event": {"type": "message", **event}}


def test_a_direct_message_becomes_the_persons_words_unescaped() -> None:
    body = message_event(channel_type="im", user="UJANE", text="pay &lt; market &amp; no growth")
    message = direct_message(body)
    assert message is not None
    assert (message.user_id, message.text, message.event_id) == (
        "UJANE",
        "pay < market & no growth",
        "Ev1",
    )
    assert message.raw is body


@pytest.mark.parametrize(
    "event",
    [
        {"channel_type": "channel", "user": "UJANE", "text": "1"},  # not a DM
        {"channel_type": "im", "user": "UJANE", "text": "1", "subtype": "message_changed"},
        {"channel_type": "im", "user": "UBOT", "text": "1", "bot_id": "BBOT"},
        {"channel_type": "im", "text": "1"},  # nobody's
        {"channel_type": "im", "user": 42, "text": "1"},
    ],
)
def test_only_what_a_person_typed_in_a_dm_is_taken(event: dict[str, object]) -> None:
    assert direct_message(message_event(**event)) is None


def test_an_answer_is_handled_as_it_arrives_only_in_a_free_hand(app: App) -> None:
    """The inbox's handlers and the answers handled as they arrive share EXITBOT_HANDLERS
    hands: under load an answer waits its turn in the inbox instead of overtaking it."""
    hands = threading.BoundedSemaphore(1)
    now = at_once(app.conversation, hands)
    body = message_event(channel_type="im", user="UJANE", text="hello")
    answer = now(SlackRequest(EVENT, "Ev1", "UJANE", json.dumps(body), body))
    assert answer is not None
    with hands, pytest.raises(NotNow):  # a handler is at work
        answer()
    assert answer() is True  # handled (a stranger, told who ExitBot is)
    assert answer() is False  # Slack's retry of it
    bot_post = message_event(channel_type="im", user="UBOT", text="1", bot_id="BBOT")
    assert now(SlackRequest(EVENT, "Ev2", "UBOT", json.dumps(bot_post), bot_post)) is None
    command = {"command": "/exitbot", "text": "list", "user_id": "UHR", "trigger_id": "t1"}
    assert now(SlackRequest(COMMAND, "command:t1", "UHR", "", command)) is None
