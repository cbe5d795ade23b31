"""Building the Teams platform from the settings: Bot Framework authentication (JWT on by
default; EXITBOT_TEAMS_DEV=1 is the only way to accept unauthenticated requests), the
adapter, the bot, the ChatPort and POST /api/messages."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from adapters.storage.references import SqlReferenceStore
from bot.container import App
from bot.outage import FailureLog
from bot.platform import Platform
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from botframework.connector.auth import PasswordServiceClientCredentialFactory

log = logging.getLogger(__name__)


def build_teams(settings: Settings, app: App) -> Platform | None:
    """None when Teams is not configured (no MICROSOFT_APP_ID and not EXITBOT_TEAMS_DEV).
    Teams' turns are handled as they come, not stored."""
    if not settings.microsoft_app_id and not settings.teams_dev:
        return None
    # The Bot Framework stack (~25 MB of memory) is imported only where Teams is configured.
    from botframework.connector.auth import (
        BotFrameworkAuthenticationFactory,
    )

    from adapters.teams.adapter import TeamsAdapter
    from adapters.teams.bot import PLATFORM, TeamsBot
    from adapters.teams.chat import TeamsChat
    from adapters.teams.route import teams_endpoint

    if settings.teams_dev:
        log.warning(
            "EXITBOT_TEAMS_DEV=1: Teams requests are NOT authenticated (never in production)"
        )
    credentials = credentials_for(settings)
    app_id = credentials.app_id or ""
    adapter = TeamsAdapter(BotFrameworkAuthenticationFactory.create(credential_factory=credentials))
    references = SqlReferenceStore(app.engine, app.clock, PLATFORM)
    chat = TeamsChat(adapter, app_id, references, settings.teams_hr_channel)
    bot = TeamsBot(app.conversation, app.desk, references, chat)
    # Teams' turns are handled as they come (the inbox ledger drops a retried one), and the
    # roster of the conversation a command came from is its directory.
    endpoint = teams_endpoint(adapter, bot.on_turn, FailureLog("handling Teams activities"))
    return Platform(PLATFORM, chat=chat, routes={"/api/messages": endpoint})


def credentials_for(settings: Settings) -> PasswordServiceClientCredentialFactory:
    """The bot's credentials as its Azure registration is set up (MICROSOFT_APP_TYPE): a
    single-tenant bot gets its tokens from its tenant, a multi-tenant one from the Bot
    Framework's, whatever tenant id is also set."""
    from botframework.connector.auth import PasswordServiceClientCredentialFactory

    if settings.teams_dev:
        return PasswordServiceClientCredentialFactory()
    kind = settings.microsoft_app_type
    if kind == "UserAssignedMSI":
        raise SettingsError(
            "MICROSOFT_APP_TYPE: UserAssignedMSI (a managed identity) is not supported yet; "
            "use SingleTenant or MultiTenant with MICROSOFT_APP_PASSWORD"
        )
    tenant = settings.microsoft_app_tenant_id
    if kind == "SingleTenant" and not tenant:
        raise SettingsError("MICROSOFT_APP_TENANT_ID: needed for MICROSOFT_APP_TYPE=SingleTenant")
    password = settings.microsoft_app_password
    return PasswordServiceClientCredentialFactory(
        settings.microsoft_app_id or "",
        password.get_secret_value() if password else None,
        tenant if kind == "SingleTenant" else None,
    )
