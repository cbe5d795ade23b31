"""The Slack edge, as thin as bolt-python's own adapters. A request reaches bolt only after
ExitBot verified and stored it (adapters/slack/inbound.py, then the inbox): bolt here runs
the stored request's listener, which turns the payload into one neutral event for one core
use case. A direct message, the request every answer is, is turned into its event here
without bolt's dispatch (`replay`). Listeners run before bolt's answer
(process_before_response) so that a failure is seen, and the stored request is tried
again."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import PLATFORM
from adapters.slack.blocks import (
    CHOICE_ACTION,
    answered_blocks,
    plain_command,
    render_parts,
    unescape,
)
from adapters.slack.chat import SLASH_COMMAND
from adapters.slack.inbound import EVENT, SlackRequest, action_id
from adapters.slack.pacing import Paced
from core.conversation import Conversation
from core.events import ChoicePicked, Command, UserMessage
from core.hr import HrDesk
from core.intake import Handler
from core.messages import FileMessage, OutboundMessage, TextMessage
from core.ports import InboxItem, NotNow

log = logging.getLogger(__name__)
FAILURE = "exitbot_failure"
# The content type a Socket Mode payload is stored with (its body is the payload as JSON).
SOCKET_MODE = "socket_mode/"

# An HR answer that takes longer than this (a digest over years, an export) is preceded by
# a word that it is on its way.
PATIENCE_SECONDS = 1.0
WORKING = "Working on it…"
# How often a slash command's response_url may be used (within 30 minutes: Slack's docs).
RESPONSES = 5
TOO_LONG = (
    "That is more than Slack shows in one answer: the rest is in `exitbot export` on the "
    "server, and in the HR API's report."
)


def build_bolt_app(
    *,
    client: WebClient,
    conversation: Conversation,
    desk: HrDesk,
    dm_channel: Callable[[str], str],
) -> App:
    """`dm_channel` names the bot's direct-message channel with a person. Signatures are
    checked before requests are stored (HTTP), or not needed (Socket Mode): never mount
    this app on a route directly."""
    app = App(
        client=client,
        process_before_response=True,
        request_verification_enabled=False,
    )

    @app.error
    def keep_failure(error: Exception, request: BoltRequest) -> None:
        # The inbox retries the request and logs the failure once; bolt need not.
        request.context[FAILURE] = error

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
        answered = conversation.handle_choice(
            ChoicePicked(
                PLATFORM,
                user,
                interview_id,
                question_id,
                value,
                event_id=action_id(user, action),
                raw=body,
            )
        )
        container, message = body.get("container") or {}, body.get("message") or {}
        channel = container.get("channel_id")
        # Only the clicker's own question, in their own DM with ExitBot, is marked answered.
        if not answered or not channel or not container.get("message_ts"):
            return
        try:
            if channel != dm_channel(user):
                return
            language = picked.get("g") if isinstance(picked.get("g"), str) else None
            label = conversation.answer_label(question_id, value, language) or value
            client.chat_update(
                channel=channel,
                ts=container["message_ts"],
                text=message.get("text") or label,
                blocks=answered_blocks(message.get("blocks") or [], label),
            )
        except SlackApiError as exc:
            log.warning("could not mark the question answered: %s", exc.response.get("error"))
        except Paced:  # Slack is pausing chat.update: the answer stands, unmarked
            log.warning("could not mark the question answered: Slack asked to wait")

    @app.command(SLASH_COMMAND)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        said: list[str] = []

        def working() -> None:
            respond(text=WORKING, response_type="ephemeral", replace_original=False)
            said.append(WORKING)

        # A slash command's answer is ephemeral: only the person who typed it sees it.
        with meanwhile(PATIENCE_SECONDS, working):
            answer = desk.answer(
                Command(
                    PLATFORM,
                    command["user_id"],
                    plain_command(command.get("text") or ""),
                    raw=command,
                )
            )
        private = answer.private
        if isinstance(private, FileMessage):
            private = send_file(client, dm_channel(command["user_id"]), private)
        # A long report goes in several messages, in order; a response_url takes five.
        parts = render_parts(private)
        room = RESPONSES - len(said)
        if len(parts) > room:
            parts = [*parts[: room - 1], (TOO_LONG, [])]
        for text, blocks in parts:
            respond(
                text=text,
                blocks=blocks or None,
                response_type="ephemeral",
                replace_original=False,
            )

    return app


def send_file(client: WebClient, channel: str, file: FileMessage) -> OutboundMessage:
    """A file (an export) uploaded to the person's direct messages with ExitBot; what to
    tell them where it is. When Slack refuses the upload they get it shown instead."""
    try:
        client.files_upload_v2(
            channel=channel,
            content=file.content,
            filename=file.filename,
            title=file.title,
        )
    except (SlackApiError, OSError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
        log.warning("could not upload %s (needs files:write): %s", file.filename, error)
        return file
    return TextMessage(text=f"{file.title}: sent to you as {file.filename} in our direct messages.")


@contextmanager
def meanwhile(after: float, say: Callable[[], None]) -> Iterator[None]:
    """`say` once if the block takes longer than `after` seconds; never after the block
    (leaving waits for a `say` under way, so that what follows comes after it)."""
    lock = threading.Lock()
    done = False

    def fire() -> None:
        with lock:
            if not done:
                try:
                    say()
                except SlackApiError as exc:
                    log.warning("could not say it is working on it: %s", exc.response.get("error"))

    timer = threading.Timer(after, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            done = True


def replay(app: App, conversation: Conversation) -> Handler:
    """Runs a stored Slack request: a message event straight to the conversation (every
    answer is one, and it needs nothing of bolt's dispatch), anything else through bolt's
    listeners. Raises what a listener raised, so that the inbox tries it again."""

    def handle(item: InboxItem) -> None:
        socket_mode = item.content_type.startswith(SOCKET_MODE)
        json_body = socket_mode or item.content_type.startswith("application/json")
        body: Any = json.loads(item.body) if json_body else None
        if isinstance(body, dict) and _is_message(body):
            message = direct_message(body)
            if message is not None:
                conversation.handle_message(message)
            return
        if socket_mode:
            request = BoltRequest(body=body, mode="socket_mode")
        else:
            request = BoltRequest(body=item.body, headers={"content-type": item.content_type})
        response = app.dispatch(request)
        failure = request.context.get(FAILURE)
        if isinstance(failure, Exception):
            raise failure
        if response.status >= 500:
            raise RuntimeError(f"bolt answered {response.status}")

    return handle


def at_once(
    conversation: Conversation, hands: threading.Semaphore
) -> Callable[[SlackRequest], Callable[[], bool] | None]:
    """What handles a request as it arrives: a person's direct message (an answer) goes to
    the conversation at once when one of the `hands` the inbox's handlers share is free;
    anything else, and an answer that finds them all busy, is stored and replayed by those
    handlers, in turn."""

    def answer(message: UserMessage) -> bool:
        if not hands.acquire(blocking=False):
            raise NotNow("every hand is busy: the answer waits its turn in the inbox")
        try:
            return conversation.answer_now(message)
        finally:
            hands.release()

    def now(incoming: SlackRequest) -> Callable[[], bool] | None:
        body = incoming.payload
        if incoming.kind != EVENT or not isinstance(body, dict) or not _is_message(body):
            return None
        message = direct_message(body)
        return None if message is None else partial(answer, message)

    return now


def _is_message(body: dict[str, Any]) -> bool:
    event = body.get("event")
    return (
        body.get("type") == "event_callback"
        and isinstance(event, dict)
        and event.get("type") == "message"
    )


def direct_message(body: dict[str, Any]) -> UserMessage | None:
    """What a person typed to ExitBot in a DM, from a message event; None for anything else
    (edits, deletions, joins, bot posts, channels)."""
    event = body["event"]
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    user = event.get("user")
    if not isinstance(user, str) or not user:
        return None
    text = event.get("text")
    return UserMessage(
        PLATFORM,
        user,
        unescape(text if isinstance(text, str) else ""),
        event_id=body.get("event_id"),
        raw=body,
    )
