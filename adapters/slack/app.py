"""The Slack edge, as thin as bolt-python's own adapters: bolt verifies the signature (401
for a forged or stale one) and acks at once; each listener turns the payload into one
neutral event and hands it to one core use case."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.blocks import CHOICE_ACTION, answered_blocks, plain_command, render, unescape
from adapters.slack.chat import PLATFORM
from core.events import ChoicePicked, Command, UserMessage
from core.hr import HrDesk
from core.service import InterviewService

log = logging.getLogger(__name__)


def build_bolt_app(
    *,
    client: WebClient,
    signing_secret: str,
    service: InterviewService,
    desk: HrDesk,
    wake: Callable[[], None],
) -> App:
    """`wake` tells the outbox sender there is something to send."""
    app = App(client=client, signing_secret=signing_secret, process_before_response=False)

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Only what a person typed in a DM: no edits, deletions, joins or bot posts.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user = event.get("user")
        if not user:
            return
        service.handle_message(
            UserMessage(
                PLATFORM,
                user,
                unescape(event.get("text") or ""),
                event_id=body.get("event_id"),
                raw=body,
            )
        )
        wake()

    @app.action(re.compile(f"^{CHOICE_ACTION}_"))
    def on_choice(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        try:
            picked = json.loads(action["value"])
            interview_id, question_id, value = str(picked["i"]), str(picked["q"]), str(picked["v"])
        except (KeyError, TypeError, ValueError):
            log.warning("ignoring a button with a value ExitBot did not make")
            return
        user = body["user"]["id"]
        accepted = service.handle_choice(
            ChoicePicked(
                PLATFORM,
                user,
                interview_id,
                question_id,
                value,
                event_id=f"action:{user}:{action.get('action_ts')}",
                raw=body,
            )
        )
        wake()
        container, message = body.get("container") or {}, body.get("message") or {}
        if accepted and container.get("channel_id") and container.get("message_ts"):
            label = (action.get("text") or {}).get("text") or value
            try:
                client.chat_update(
                    channel=container["channel_id"],
                    ts=container["message_ts"],
                    text=message.get("text") or label,
                    blocks=answered_blocks(message.get("blocks") or [], label),
                )
            except SlackApiError as exc:
                log.warning("could not mark the question answered: %s", exc.response.get("error"))

    @app.command("/exitbot")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        reply = desk.handle(
            Command(
                PLATFORM, command["user_id"], plain_command(command.get("text") or ""), raw=command
            )
        )
        wake()
        text, blocks = render(reply)
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    return app
