"""The Teams edge: every activity refreshes the stored conversation reference (so proactive
messages work after a restart, from any replica); a personal-chat message is an answer, a
card submit a choice; HR commands come typed in a personal chat or with an @mention in a
channel. Each becomes one neutral event for one core use case."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    TurnContextProtocol,
)
from microsoft_agents.hosting.core import ActivityHandler, TurnContext

from adapters.storage.references import TEAMS_PERSON, SqlReferenceStore
from adapters.teams.adapter import connector
from adapters.teams.cards import CHOICE, answered_card, render, render_all
from adapters.teams.directory import PLATFORM, TeamsDirectory
from core.conversation import Conversation
from core.events import ChoicePicked, Command, UserMessage
from core.hr import COMMANDS, NO_PRIVATE_CHAT, HrDesk
from core.interview import InterviewState, Person
from core.messages import Address, OutboundMessage, TextMessage
from core.ports import ChatPort, DeliveryError, UnknownPerson

log = logging.getLogger(__name__)

_AT = re.compile(r"<at>[^<]*</at>")


def person_key(user: str) -> str:
    return TEAMS_PERSON.format(user)


def conversation_key(conversation_id: str) -> str:
    # A reply in a channel thread carries ";messageid=..."; the channel itself does not.
    return f"conversation:{conversation_id.split(';')[0]}"


def user_of(activity: Activity) -> str:
    """Teams people are their Entra ID (AAD) object id, as EXITBOT_HR_USERS lists them."""
    sender = activity.from_property
    return str(sender.aad_object_id or sender.id)


class TurnRoster:
    """The members of the conversation a command came from, as Teams' roster holds them:
    only that conversation's members."""

    def __init__(
        self, context: TurnContextProtocol[Activity], loop: asyncio.AbstractEventLoop
    ) -> None:
        self.context = context
        self.loop = loop

    def __call__(self, who: str) -> Person:
        try:
            member = asyncio.run_coroutine_threadsafe(self._member(who), self.loop).result(10)
        except Exception as exc:  # the roster is the edge of the world
            raise UnknownPerson(f"Teams has no user {who} in this conversation.") from exc
        extra = member.properties or {}  # Teams adds e-mail and UPN to the roster's members
        return Person(
            platform=PLATFORM,
            user_id=str(member.aad_object_id or member.id),
            display_name=member.name or who,
            email=extra.get("email") or extra.get("userPrincipalName"),
        )

    async def _member(self, who: str) -> ChannelAccount:
        conversation = self.context.activity.conversation.id
        return await connector(self.context).conversations.get_conversation_member(
            conversation, who
        )


class TeamsBot(ActivityHandler):
    def __init__(
        self,
        conversation: Conversation,
        desk: HrDesk,
        references: SqlReferenceStore,
        private: ChatPort,
        directory: TeamsDirectory,
    ) -> None:
        """`private` reaches a person in their personal chat with ExitBot."""
        self.conversation = conversation
        self.desk = desk
        self.references = references
        self.private = private
        self.directory = directory

    async def on_turn(self, turn_context: TurnContextProtocol[Activity]) -> None:
        activity = turn_context.activity
        reference: dict[str, Any] = activity.get_conversation_reference().model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        personal = (activity.conversation.conversation_type or "personal") == "personal"
        key = (
            person_key(user_of(activity))
            if personal
            else conversation_key(activity.conversation.id)
        )
        await asyncio.to_thread(self.references.save, key, reference)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContextProtocol[Activity]) -> None:
        activity = turn_context.activity
        user = user_of(activity)
        value = activity.value if isinstance(activity.value, dict) else {}
        if value.get("exitbot") == CHOICE:
            await self._choice(turn_context, user, value)
            return
        personal = (activity.conversation.conversation_type or "personal") == "personal"
        text = _AT.sub(lambda m: "", TurnContext.remove_recipient_mention(activity) or "")
        if not personal or await asyncio.to_thread(self._is_hr_command, user, text):
            text = self._mentions_as_ids(activity, text)
            await self._command(turn_context, user, text, personal)
            return
        event = UserMessage(
            PLATFORM,
            user,
            (activity.text or "").strip(),
            event_id=activity.id,
            locale=activity.locale,
            raw=activity,
        )
        await asyncio.to_thread(self.conversation.handle_message, event)

    def _is_hr_command(self, user: str, text: str) -> bool:
        """An HR user typing a command word, who is not in the middle of their own interview."""
        words = text.split()
        if user not in self.desk.hr_users or not words or words[0] not in COMMANDS:
            return False
        mine = self.conversation.current(PLATFORM, user)
        return mine is None or mine.state is not InterviewState.IN_PROGRESS

    @staticmethod
    def _mentions_as_ids(activity: Activity, text: str) -> str:
        """`start <at>Jane</at>` arrives with the mention in an entity: make it `start @29:...`."""
        names = []
        bot = activity.recipient.id if activity.recipient else None
        for entity in activity.entities or []:
            if entity.type == "mention":
                mentioned = entity.model_dump(mode="json", by_alias=True).get("mentioned") or {}
                if mentioned.get("id") and mentioned.get("id") != bot:
                    names.append(str(mentioned["id"]))
        words = text.split()
        return " ".join([*words[:1], *(f"@{n}" for n in names), *words[1:]]) if names else text

    async def _command(
        self, turn_context: TurnContextProtocol[Activity], user: str, text: str, personal: bool
    ) -> None:
        roster = TurnRoster(turn_context, asyncio.get_running_loop())
        directories = {**self.desk.directories, PLATFORM: self.directory.within(roster)}
        desk = dataclasses.replace(self.desk, directories=directories)
        command = Command(PLATFORM, user, text.strip(), shared=not personal)
        answer = await asyncio.to_thread(desk.answer, command)
        if answer.shared is None:
            await turn_context.send_activities(render_all(answer.private))
            return
        # Typed in a channel: the answer goes to the asker's personal chat, never here.
        sent = await asyncio.to_thread(self._tell_privately, user, answer.private)
        note = answer.shared if sent else NO_PRIVATE_CHAT
        await turn_context.send_activity(render(TextMessage(text=note)))

    def _tell_privately(self, user: str, message: OutboundMessage) -> bool:
        try:
            self.private.send(Address(platform=PLATFORM, id=user), message)
        except DeliveryError as exc:
            log.warning("could not answer an HR command privately: %s", exc)
            return False
        return True

    async def _choice(
        self, turn_context: TurnContextProtocol[Activity], user: str, value: dict[str, Any]
    ) -> None:
        activity = turn_context.activity
        event = ChoicePicked(
            PLATFORM,
            user,
            str(value.get("i")),
            str(value.get("q")),
            str(value.get("v")),
            event_id=activity.id,
            raw=activity,
        )
        accepted = await asyncio.to_thread(self.conversation.handle_choice, event)
        personal = (activity.conversation.conversation_type or "personal") == "personal"
        # Only the clicker's own question card, in their own chat with ExitBot, is marked.
        if accepted and personal and activity.reply_to_id:
            given = value.get("labels")
            labels = given if isinstance(given, dict) else {}
            label = str(value.get("l") or labels.get(str(value.get("v"))) or value.get("v"))
            answered = Activity(
                type=ActivityTypes.message,
                id=activity.reply_to_id,
                attachments=[answered_card({}, label)],
            )
            try:
                await turn_context.update_activity(answered)
            except Exception as exc:  # marking the card is a nicety; the answer is kept
                log.warning("could not mark the card answered: %s", exc)
