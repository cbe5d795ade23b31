"""A loopback stand-in for the Bot Framework connector Teams gives a bot (`serviceUrl`): it
records replies, proactive sends and card updates, answers roster look-ups, and fails a
conversation with a given status when told to. Activities are built as Teams sends them."""

from __future__ import annotations

import itertools
import json
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.standins.http import Loopback, Quiet, reply_json

Json = dict[str, Any]
BOT = {"id": "28:exitbot", "name": "ExitBot"}
TENANT = "tenant-1"


@dataclass
class TeamsStandIn(Loopback):
    # Teams user id (29:...) -> member as the roster API returns it
    members: dict[str, Json] = field(default_factory=dict)
    sent: list[tuple[str, str, Json]] = field(
        default_factory=list
    )  # (verb, conversation, activity)
    failing: dict[str, int] = field(default_factory=dict)  # conversation -> HTTP status
    # The bearer token a bot must present (the real connector refuses a call without one);
    # None: dev mode, where the bot sends none.
    token: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def start(self) -> None:
        standin = self

        class Handler(Quiet):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_PUT(self) -> None:
                self._answer("PUT")

            def _answer(self, verb: str) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if standin.token and self.headers.get("Authorization") != f"Bearer {standin.token}":
                    reply_json(self, 401, {"error": {"code": "Unauthorized"}})
                    return
                parts = [
                    urllib.parse.unquote(p)
                    for p in urllib.parse.urlparse(self.path).path.split("/")
                ]
                status, body = standin.handle(verb, parts, json.loads(raw) if raw else {})
                reply_json(self, status, body)

        self.serve(Handler)

    @property
    def url(self) -> str:
        return self.base + "/"

    def handle(self, verb: str, parts: list[str], body: Json) -> tuple[int, Json]:
        # /v3/conversations/{conversation}/activities[/{id}] or /members/{member}
        if len(parts) < 5 or parts[1:3] != ["v3", "conversations"]:
            return 404, {"error": {"code": "NotFound"}}
        conversation = parts[3]
        if parts[4] == "members" and verb == "GET":
            member = self.members.get(parts[5]) or next(
                (
                    m
                    for m in self.members.values()
                    if parts[5] in (m.get("email"), m.get("aadObjectId"))
                ),
                None,
            )
            return (200, member) if member else (404, {"error": {"code": "MemberNotFound"}})
        with self._lock:
            if conversation in self.failing:
                return self.failing[conversation], {
                    "error": {"code": "BotDisabledByAdmin", "message": "blocked"}
                }
            kind = {"POST": "reply" if len(parts) > 5 else "send", "PUT": "update"}[verb]
            given = parts[5] if verb == "PUT" else f"m{next(self._ids)}"
            self.sent.append((kind, conversation, {**body, "id": given}))
        return 200, {"id": given}

    def to(self, conversation: str, kind: str | None = None) -> list[Json]:
        with self._lock:
            return [a for k, c, a in self.sent if c == conversation and kind in (None, k)]

    def cards(self, conversation: str) -> list[Json]:
        return [att["content"] for a in self.to(conversation) for att in a.get("attachments") or []]

    def waiting_for(self, conversation: str) -> str | None:
        """The question id of the last message to that conversation, if it was a question."""
        sent = [a for k, c, a in self.sent if c == conversation and k != "update"]
        if not sent:
            return None
        for attachment in sent[-1].get("attachments") or []:
            for item in attachment["content"].get("body") or []:
                if str(item.get("id", "")).startswith("exitbot_q_"):
                    return str(item["id"]).removeprefix("exitbot_q_")
        return None


def member(user: str, name: str) -> Json:
    return {
        "id": f"29:{user}",
        "name": name,
        "aadObjectId": f"aad-{user}",
        "email": f"{user}@acme.test",
        "userPrincipalName": f"{user}@acme.test",
    }


def activity(
    service_url: str,
    conversation: str,
    user: str,
    name: str,
    *,
    kind: str = "message",
    conversation_type: str = "personal",
    **fields: Any,
) -> Json:
    return {
        "type": kind,
        "id": uuid.uuid4().hex,
        "timestamp": datetime.now(UTC).isoformat(),
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{user}", "name": name, "aadObjectId": f"aad-{user}"},
        "conversation": {
            "id": conversation,
            "conversationType": conversation_type,
            "tenantId": TENANT,
        },
        "recipient": BOT,
        "channelData": {"tenant": {"id": TENANT}},
        **fields,
    }


def mention(user: str, name: str) -> Json:
    return {
        "type": "mention",
        "text": f"<at>{name}</at>",
        "mentioned": {"id": f"29:{user}", "name": name},
    }


def bot_mention() -> Json:
    return {"type": "mention", "text": "<at>ExitBot</at>", "mentioned": BOT}
