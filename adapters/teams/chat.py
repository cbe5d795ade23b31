"""ChatPort over Teams: proactive messages through conversation references stored in the
database. Never installed, or blocked (403): RecipientUnreachable. Throttled (429): sent
again after Retry-After, never counted as a failed attempt. 412, 502, 504: DeliveryError,
which the outbox retries with backoff and jitter."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from microsoft_agents.activity import ConversationReference
from microsoft_agents.hosting.core import TurnContext

from adapters.storage.references import SqlReferenceStore
from adapters.teams.adapter import TeamsAdapter, connector
from adapters.teams.bot import conversation_key, person_key
from adapters.teams.cards import render_all
from adapters.teams.directory import PLATFORM
from adapters.teams.install import Installer
from core.messages import Address, OutboundMessage
from core.ports import DeliveryError, RecipientUnreachable, Throttled, Undeliverable

log = logging.getLogger(__name__)
RETRYABLE = {412, 429, 502, 503, 504}


class TeamsChat:
    platform = PLATFORM

    def __init__(
        self,
        adapter: TeamsAdapter,
        references: SqlReferenceStore,
        hr_channel: str | None,
        installer: Installer | None = None,
    ) -> None:
        self.adapter = adapter
        self.references = references
        self.hr_channel = hr_channel
        self.installer = installer

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        reference = self._reference(to)
        sent: list[str | None] = []

        async def deliver(context: TurnContext) -> None:
            # A new message in the conversation, not a reply: context.send_activity would
            # thread it under the continuation's made-up activity id. A long report is
            # several messages, in order.
            client = connector(context)
            for outgoing in render_all(message):
                outgoing.conversation = reference.conversation
                outgoing.from_property = reference.agent
                outgoing.recipient = reference.user
                outgoing.channel_id = reference.channel_id
                outgoing.service_url = reference.service_url
                response = await client.conversations.send_to_conversation(
                    reference.conversation.id, outgoing
                )
                sent.append(response.id if response else None)

        try:
            continuation = reference.get_continuation_activity()
            asyncio.run(self.adapter.continue_with(continuation, deliver))
        except Exception as exc:  # the connector is the edge of the world
            raise self._failure(exc, to) from exc
        return sent[0] if sent else None

    def _reference(self, to: Address) -> ConversationReference:
        if to.kind == "user":
            stored = self.references.get(person_key(to.id))
            if stored is None:
                if self.installer is None:
                    raise RecipientUnreachable("ExitBot is not installed for this person in Teams")
                stored = self.installer.reach(to.id)
                self.references.save(person_key(to.id), stored)
            return ConversationReference.model_validate(stored)
        if not self.hr_channel:
            raise DeliveryError(
                "EXITBOT_TEAMS_HR_CHANNEL is not set: HR summaries have nowhere to go"
            )
        stored = self.references.get(conversation_key(self.hr_channel))
        if stored is not None:
            return ConversationReference.model_validate(stored)
        known = self.references.latest()
        service_url = known.get("serviceUrl") if known else None
        if not service_url:
            raise DeliveryError("no Teams service URL known yet: add ExitBot to the HR team")
        channel: dict[str, Any] = {
            "conversation": {"id": self.hr_channel, "isGroup": True},
            "serviceUrl": service_url,
            "channelId": "msteams",
        }
        return ConversationReference.model_validate(channel)

    def _failure(self, exc: Exception, to: Address) -> DeliveryError:
        # The connector raises aiohttp's ClientResponseError: the status and headers ride on it.
        status = getattr(exc, "status", None)
        if status in (403, 404) and to.kind == "user":
            return RecipientUnreachable(f"Teams: {status} (the bot was blocked or removed)")
        if status == 413:  # the same message would be too large every time
            log.error("Teams refused a message as too large (413); it is not sent again")
            return Undeliverable("Teams: 413, larger than Teams takes")
        if status in RETRYABLE:
            headers = getattr(exc, "headers", None) or {}
            retry_after = headers.get("Retry-After")
            if status == 429:  # not a failure of this message: never counted as an attempt
                return Throttled("Teams: 429", retry_after=float(retry_after or 5))
            return DeliveryError(
                f"Teams: {status}", retry_after=float(retry_after) if retry_after else None
            )
        log.warning("Teams send failed: %s", exc)
        return DeliveryError(f"Teams: {type(exc).__name__}: {exc}")
