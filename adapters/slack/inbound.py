"""What Slack sends to `/slack/events`, checked before anything else reads it: size, a
fresh signature, then the shape. A request that passes is named (its event id and sender)
so that it can be stored before Slack gets its answer; anything else gets a 4xx and never
reaches bolt, whose parser would turn junk into a 500."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.signature import SignatureVerifier

from core.intake import TROUBLE

# Slack's largest payloads (a button click carries the whole message) stay far below this.
MAX_BODY = 1024 * 1024
STALE_SECONDS = 5 * 60

EVENT, COMMAND, ACTION = "event", "command", "action"


class Refused(Exception):
    """A request ExitBot will not take: `status` for the answer, the message says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class SlackRequest:
    """A verified request. `event_id` None means answer it at once (a URL check)."""

    kind: str
    event_id: str | None
    sender: str | None
    body: str
    payload: Mapping[str, Any]


def verify(
    body: bytes, headers: Mapping[str, str], verifier: SignatureVerifier, now: float | None = None
) -> str:
    """The body as text when Slack signed it within the last five minutes; else Refused."""
    if len(body) > MAX_BODY:
        raise Refused(413, "request too large")
    stamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not stamp.isdigit() or not signature:
        raise Refused(401, "unsigned request")
    if abs((now if now is not None else time.time()) - int(stamp)) > STALE_SECONDS:
        raise Refused(401, "stale request")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(401, "invalid signature") from None
    if not verifier.is_valid(text, stamp, signature):
        raise Refused(401, "invalid signature")
    return text


def classify(text: str, content_type: str) -> SlackRequest:
    """Name a verified HTTP request: what it is, its id (for retries) and who sent it."""
    if content_type.startswith("application/json"):
        return _event(_json_object(text), text)
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
        if "payload" in form:
            return _interaction(_json_object(form["payload"]), text)
        if form.get("ssl_check"):
            return SlackRequest("ssl_check", None, None, text, form)
        return _command(form, text)
    raise Refused(400, "not a Slack request")


def classify_socket(kind: str, payload: Mapping[str, Any]) -> SlackRequest:
    """Name a request that came over Socket Mode (already authenticated by the socket).
    Its body is the payload as JSON, which bolt reads back in socket mode."""
    text = json.dumps(payload)
    if kind == "events_api":
        return _event(dict(payload), text)
    if kind == "slash_commands":
        return _command(dict(payload), text)
    if kind == "interactive":
        return _interaction(dict(payload), text)
    return SlackRequest(kind, None, None, text, payload)


@dataclass(frozen=True)
class Unstored:
    """What to do when a request cannot be stored: let Slack retry it (events), answer the
    command with `reply`, or tell the clicker through `hook` (Slack retries neither)."""

    retry: bool = False
    reply: str | None = None
    hook: str | None = None


def when_unstored(incoming: SlackRequest) -> Unstored:
    if incoming.kind == COMMAND:
        return Unstored(reply=TROUBLE)
    if incoming.kind == ACTION:
        hook = incoming.payload.get("response_url")
        return Unstored(hook=hook if isinstance(hook, str) and hook else None)
    return Unstored(retry=True)


def _event(payload: dict[str, Any], text: str) -> SlackRequest:
    if payload.get("type") != "event_callback":
        return SlackRequest("url_verification", None, None, text, payload)
    event = payload.get("event")
    event_id = payload.get("event_id")
    if not isinstance(event, dict) or not isinstance(event_id, str) or not event_id:
        raise Refused(400, "an event without event_id")
    return SlackRequest(EVENT, event_id, _text(event.get("user")), text, payload)


def _command(form: dict[str, Any], text: str) -> SlackRequest:
    if "command" not in form:
        raise Refused(400, "not a Slack request")
    trigger, user = _text(form.get("trigger_id")), _text(form.get("user_id"))
    if trigger is None or user is None:
        raise Refused(400, "a command without trigger_id or user_id")
    return SlackRequest(COMMAND, f"command:{trigger}", user, text, form)


def action_id(user: str, action: Mapping[str, Any]) -> str:
    """One button click, the same id on every retry of it."""
    return f"action:{user}:{action.get('action_ts')}"


def _interaction(payload: dict[str, Any], text: str) -> SlackRequest:
    user = payload.get("user")
    actions = payload.get("actions")
    if payload.get("type") != "block_actions" or not isinstance(user, dict):
        return SlackRequest("interaction", None, None, text, payload)
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise Refused(400, "block_actions without actions")
    sender = _text(user.get("id"))
    if sender is None:
        raise Refused(400, "block_actions without a user")
    return SlackRequest(ACTION, action_id(sender, actions[0]), sender, text, payload)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise Refused(400, "malformed JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, "not a JSON object")
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
