"""The Teams bot with the Agents SDK's TestAdapter: HR commands answered in the turn,
refusals, stored conversation references, card submits and typed answers reaching the
core."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientResponseError, RequestInfo
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    Entity,
    ResourceResponse,
)
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import AuthTypes
from microsoft_agents.testing import TestAdapter
from yarl import URL

from adapters.storage.references import SqlReferenceStore
from adapters.teams.adapter import NoTokens, TeamsAdapter
from adapters.teams.bot import TeamsBot
from adapters.teams.cards import escape
from adapters.teams.chat import TeamsChat
from adapters.teams.directory import TeamsDirectory
from bot.container import App
from bot.settings import SettingsError, load_settings
from bot.teams import credentials_for
from core.hr import COMMANDS, NO_PRIVATE_CHAT, REFUSAL, SENT_PRIVATELY
from core.interview import Person
from core.messages import Address, TextMessage
from core.ports import DeliveryError, RecipientUnreachable, Throttled, Undeliverable
from tests.conftest import AppFactory, FakeChat, FakeClock
from tests.standins.teams import TeamsStandIn

BOT = ChannelAccount(id="28:exitbot", name="ExitBot")


def message(
    user: str, conversation: str, text: str = "", kind: str = "personal", **fields: Any
) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        id=f"act-{user}-{len(text)}",
        channel_id="msteams",
        text=text,
        service_url="https://smba.example/",
        recipient=BOT,
        from_property=ChannelAccount(
            id=f"29:{user}", name=user.title(), aad_object_id=f"aad-{user}"
        ),
        conversation=ConversationAccount(id=conversation, conversation_type=kind),
        **fields,
    )


@pytest.fixture
def app(make_app: AppFactory) -> App:
    return make_app(EXITBOT_HR_USERS="aad-hr")


@pytest.fixture
def references(app: App, clock: FakeClock) -> SqlReferenceStore:
    return SqlReferenceStore(app.engine, clock, "teams")


@pytest.fixture
def bot(app: App, references: SqlReferenceStore, chat: FakeChat) -> TeamsBot:
    return TeamsBot(
        app.conversation, app.desk, references, private=chat, directory=TeamsDirectory(None, "UTC")
    )


class Turns(TestAdapter):
    """The SDK's TestAdapter, keeping the card updates a turn asks for."""

    def __init__(self, activity: Activity) -> None:
        super().__init__(conversation=activity.get_conversation_reference())
        self.updated_activities: list[Activity] = []

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        self.updated_activities.append(activity)
        return ResourceResponse(id=activity.id)


async def turn(bot: TeamsBot, activity: Activity) -> Turns:
    """One turn, in the conversation the activity names (TestAdapter stamps its
    conversation on what it receives)."""
    adapter = Turns(activity)
    await adapter.process_activity(adapter.claims_identity, activity, bot.on_turn)
    return adapter


def replies(adapter: Turns) -> list[str]:
    return [str(a.text) for a in adapter.activity_queue]


async def test_hr_help_is_answered_in_the_turn(bot: TeamsBot) -> None:
    [help_text] = replies(await turn(bot, message("hr", "a:hr", "help")))
    # Teams people type the words themselves: no Slack slash command, no Slack markup.
    assert help_text == escape(COMMANDS.help_text())
    assert "• schedule @person YYYY-MM-DD" in help_text and "/exitbot" not in help_text
    assert "*" not in help_text and "`" not in help_text


def in_channel(user: str, text: str) -> Activity:
    mention = {
        "type": "mention",
        "text": "<at>ExitBot</at>",
        "mentioned": {"id": BOT.id, "name": "ExitBot"},
    }
    return message(
        user,
        "19:hr@thread.tacv2",
        f"<at>ExitBot</at> {text}",
        kind="channel",
        entities=[Entity.model_validate(mention)],
    )


async def test_someone_else_gets_the_refusal_privately_not_in_a_channel(
    bot: TeamsBot, chat: FakeChat
) -> None:
    assert replies(await turn(bot, in_channel("jane", "list"))) == [escape(SENT_PRIVATELY)]
    assert [m.text for m in chat.to_user("aad-jane")] == [REFUSAL]  # type: ignore[union-attr]


async def test_hr_output_asked_for_in_a_channel_goes_only_to_the_asker(
    bot: TeamsBot, app: App, chat: FakeChat
) -> None:
    app.hr.start_now(Person(platform="teams", user_id="aad-jane", display_name="Jane Doe"))
    channel = replies(await turn(bot, in_channel("hr", "list")))
    assert channel == [escape(SENT_PRIVATELY)]
    [private] = chat.to_user("aad-hr")
    assert "Jane Doe" in private.text  # type: ignore[union-attr]
    chat.failures.append(DeliveryError("no personal chat"))
    assert replies(await turn(bot, in_channel("hr", "list"))) == [escape(NO_PRIVATE_CHAT)]
    assert len(chat.to_user("aad-hr")) == 1


async def test_every_activity_refreshes_the_stored_reference(
    bot: TeamsBot, references: SqlReferenceStore
) -> None:
    install = message("jane", "a:jane")
    install.type = ActivityTypes.conversation_update
    install.members_added = [BOT]
    await turn(bot, install)
    stored = references.get("user:aad-jane")
    assert stored is not None and stored["conversation"]["id"] == "a:jane"
    assert stored["serviceUrl"] == "https://smba.example/"
    latest = references.latest()
    assert latest is not None and latest["serviceUrl"] == "https://smba.example/"


async def test_a_card_submit_answers_and_marks_the_card(bot: TeamsBot, app: App) -> None:
    interview = app.hr.start_now(Person("teams", "aad-jane", "Jane Doe"), by="aad-hr")
    submit = message(
        "jane",
        "a:jane",
        value={
            "exitbot": "choice",
            "i": interview.id,
            "q": "primary_reason",
            "v": "manager",
            "l": "My manager",
        },
        reply_to_id="card-1",
    )
    adapter = await turn(bot, submit)
    current = app.conversation.current("teams", "aad-jane")
    assert current is not None and current.answers["primary_reason"].value == "manager"
    [updated] = adapter.updated_activities
    assert updated.id == "card-1" and "✓ My manager" in str(updated.attachments[0].content)


async def test_a_typed_answer_reaches_the_interview(bot: TeamsBot, app: App) -> None:
    app.hr.start_now(Person("teams", "aad-jane", "Jane Doe"), by="aad-hr")
    await turn(bot, message("jane", "a:jane", "3"))
    current = app.conversation.current("teams", "aad-jane")
    assert current is not None and current.answers["primary_reason"].value == "manager"


async def test_an_hr_user_in_their_own_interview_is_answering_not_commanding(
    bot: TeamsBot, app: App
) -> None:
    app.hr.start_now(Person("teams", "aad-hr", "Harriet Rowe"), by="aad-boss")
    adapter = await turn(bot, message("hr", "a:hr", "list"))
    assert replies(adapter) == []  # no command reply: "list" went to her interview
    mine = app.conversation.current("teams", "aad-hr")
    assert mine is not None and mine.answers == {}  # and "list" fits no reason: re-asked


def ConnectorError(status: int, headers: dict[str, str]) -> ClientResponseError:
    """What the Agents SDK's connector client raises: aiohttp's error, status and headers."""
    request = RequestInfo(URL("https://smba.example/v3/conversations/a:1/activities"), "POST", {})  # type: ignore[arg-type]
    return ClientResponseError(request, (), status=status, headers=headers)  # type: ignore[arg-type]


def test_a_teams_429_is_throttling_not_a_failed_attempt(references: SqlReferenceStore) -> None:
    chat = TeamsChat(adapter=None, references=references, hr_channel=None)  # type: ignore[arg-type]
    to = Address(platform="teams", id="29:jane")
    throttled = chat._failure(ConnectorError(429, {"Retry-After": "7"}), to)
    assert isinstance(throttled, Throttled) and throttled.retry_after == 7
    busy = chat._failure(ConnectorError(503, {}), to)
    assert not isinstance(busy, Throttled) and not isinstance(busy, RecipientUnreachable)
    assert isinstance(chat._failure(ConnectorError(403, {}), to), RecipientUnreachable)
    too_large = chat._failure(ConnectorError(413, {}), to)  # never retried, nobody unreachable
    assert isinstance(too_large, Undeliverable) and not isinstance(too_large, RecipientUnreachable)


APP = "00000000-0000-0000-0000-0000000000a1"


def test_the_bot_credentials_follow_its_azure_registration_type() -> None:
    """MICROSOFT_APP_TYPE was documented but never read: a tenant id set for a multi-tenant
    bot made it ask its own tenant for tokens."""
    base = {"MICROSOFT_APP_ID": APP, "MICROSOFT_APP_PASSWORD": "secret"}
    multi = credentials_for(load_settings(**base, MICROSOFT_APP_TENANT_ID="t1"))
    assert (multi.CLIENT_ID, multi.CLIENT_SECRET, multi.TENANT_ID) == (
        APP,
        "secret",
        "botframework.com",
    )
    single = credentials_for(
        load_settings(**base, MICROSOFT_APP_TYPE="SingleTenant", MICROSOFT_APP_TENANT_ID="t1")
    )
    assert ("t1", AuthTypes.client_secret) == (single.TENANT_ID, single.AUTH_TYPE)
    managed = credentials_for(
        load_settings(
            MICROSOFT_APP_ID=APP,
            MICROSOFT_APP_TYPE="UserAssignedMSI",
            MICROSOFT_APP_TENANT_ID="t1",
        )
    )
    assert (
        AuthTypes.user_managed_identity,
        APP,
        None,
    ) == (managed.AUTH_TYPE, managed.CLIENT_ID, managed.CLIENT_SECRET)
    MsalConnectionManager({"SERVICE_CONNECTION": managed})  # the SDK takes it as it is
    with pytest.raises(SettingsError, match="MICROSOFT_APP_TENANT_ID: needed"):
        credentials_for(load_settings(**base, MICROSOFT_APP_TYPE="SingleTenant"))
    with pytest.raises(SettingsError, match="MICROSOFT_APP_PASSWORD: needed"):
        credentials_for(load_settings(MICROSOFT_APP_ID=APP))
    # Not the registration's GUID (a name, a typo): refused at start, as teams-package does.
    with pytest.raises(SettingsError, match=r"^MICROSOFT_APP_ID: .* \(a GUID\) is needed"):
        credentials_for(load_settings(MICROSOFT_APP_ID="app", MICROSOFT_APP_PASSWORD="secret"))
    with pytest.raises(SettingsError, match=r"^MICROSOFT_APP_TYPE: "):
        load_settings(**base, MICROSOFT_APP_TYPE="Anything")


def test_a_reference_stored_by_botbuilder_still_reaches_the_person(
    references: SqlReferenceStore, teams: TeamsStandIn
) -> None:
    """Conversation references saved before the move to the Agents SDK (botbuilder's
    serialize(), its key names) are read as they are: no data migration."""
    references.save(
        "user:aad-jane",
        {
            "activityId": "f:123",
            "user": {"id": "29:jane", "name": "Jane Doe", "aadObjectId": "aad-jane"},
            "bot": {"id": "28:exitbot", "name": "ExitBot"},
            "conversation": {"conversationType": "personal", "id": "a:jane", "tenantId": "t-1"},
            "channelId": "msteams",
            "locale": "en-US",
            "serviceUrl": teams.url,
        },
    )
    teams.open_conversation("a:jane", "29:jane")
    chat = TeamsChat(TeamsAdapter(NoTokens(), app_id="", dev=True), references, hr_channel=None)
    chat.send(Address(platform="teams", id="aad-jane"), TextMessage(text="Hello again"))
    [sent] = teams.to("a:jane", "send")
    assert sent["text"] == "Hello again"
    assert sent["from"]["id"] == "28:exitbot" and sent["recipient"]["id"] == "29:jane"
