"""A loopback stand-in for the Bot Framework connector Teams gives a bot (`serviceUrl`): it
records replies, proactive sends and card updates, answers roster look-ups, and fails a
conversation with a given status when told to. Activities are built as Teams sends them.

As strict as Teams: a conversation's roster holds only that conversation's members (a
personal chat: the one person; a channel: those who were added), looked up by their Teams
id (29:...) or Entra object id, never by e-mail; the bot can post only in conversations it
is in (403 BotNotInConversationRoster otherwise); with `token` set, a call without the
bot's token is refused (401); a message over Teams' size limit is refused (413
MessageSizeTooBig: 100 KB counted in UTF-16, as issue 14 measured it)."""

from __future__ import annotations

import itertools
import json
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.standins.http import JsonApi, Loopback

Json = dict[str, Any]
BOT = {"id": "28:exitbot", "name": "ExitBot"}
MAX_MESSAGE = 100 * 1024  # bytes of the activity, counted in UTF-16
TENANT = "tenant-1"


@dataclass
class TeamsStandIn(Loopback):
    # Teams user id (29:...) -> member as the roster API returns it
    members: dict[str, Json] = field(default_factory=dict)
    # conversation id -> the Teams ids (29:...) of its members
    conversations: dict[str, set[str]] = field(default_factory=dict)
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

        class Handler(JsonApi):
            def token(self) -> str | None:
                return standin.token

            def answer(self, verb: str, raw: bytes) -> tuple[int, Json]:
                parts = [
                    urllib.parse.unquote(p)
                    for p in urllib.parse.urlparse(self.path).path.split("/")
                ]
                return standin.handle(verb, parts, json.loads(raw) if raw else {})

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
                (m for m in self.members.values() if parts[5] == m.get("aadObjectId")), None
            )
            with self._lock:
                present = member is not None and member["id"] in self.conversations.get(
                    conversation, set()
                )
            if not present:
                return 404, {"error": {"code": "MemberNotFoundInConversation"}}
            return 200, member
        with self._lock:
            if conversation in self.failing:
                return self.failing[conversation], {
                    "error": {"code": "BotDisabledByAdmin", "message": "blocked"}
                }
            if len(json.dumps(body, ensure_ascii=False).encode("utf-16-le")) > MAX_MESSAGE:
                return 413, {"error": {"code": "MessageSizeTooBig"}}
            if conversation not in self.conversations:
                return 403, {
                    "error": {
                        "code": "BotNotInConversationRoster",
                        "message": "The bot is not part of the conversation roster.",
                    }
                }
            kind = {"POST": "reply" if len(parts) > 5 else "send", "PUT": "update"}[verb]
            given = parts[5] if verb == "PUT" else f"m{next(self._ids)}"
            self.sent.append((kind, conversation, {**body, "id": given}))
        return 200, {"id": given}

    def open_conversation(self, conversation: str, *members: str) -> None:
        """The bot is in this conversation, with these members (29:... ids)."""
        with self._lock:
            self.conversations.setdefault(conversation, set()).update(members)

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
    locale: str = "en-US",
    **fields: Any,
) -> Json:
    # Teams names the sender's client language on every activity (`locale`, BCP-47).
    return {
        "type": kind,
        "locale": locale,
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
