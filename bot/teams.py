"""Building the Teams platform from the settings: the Microsoft 365 Agents SDK's adapter
with MSAL credentials mapped from MICROSOFT_APP_ID/PASSWORD/TENANT_ID/TYPE, its JWT check
(on by default; EXITBOT_TEAMS_DEV=1 is the only way to accept unauthenticated requests), the
bot, the ChatPort and POST /api/messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from adapters.storage.references import SqlReferenceStore
from bot.container import App
from bot.extras import require
from bot.outage import FailureLog
from bot.platform import Platform
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from microsoft_agents.hosting.core import AgentAuthConfiguration

    from adapters.teams.directory import TeamsDirectory
    from adapters.teams.graph import Graph

log = logging.getLogger(__name__)
# The tenant a multi-tenant bot takes its tokens from: the Bot Framework's own.
BOT_FRAMEWORK_TENANT = "botframework.com"
GRAPH = "https://graph.microsoft.com"


def build_teams(settings: Settings, app: App) -> Platform | None:
    """None when Teams is not configured (no MICROSOFT_APP_ID and not EXITBOT_TEAMS_DEV).
    Teams' turns are handled as they come, not stored."""
    if not settings.microsoft_app_id and not settings.teams_dev:
        return None
    require("teams", "MICROSOFT_APP_ID" if settings.microsoft_app_id else "EXITBOT_TEAMS_DEV")
    # The Agents SDK (~25 MB of memory) is imported only where Teams is configured.
    from microsoft_agents.authentication.msal import MsalConnectionManager

    from adapters.teams.adapter import NoTokens, TeamsAdapter
    from adapters.teams.bot import TeamsBot
    from adapters.teams.chat import TeamsChat
    from adapters.teams.directory import PLATFORM, TeamsDirectory
    from adapters.teams.install import Installer
    from adapters.teams.route import teams_endpoint

    auth = credentials_for(settings)
    if settings.teams_dev:
        log.warning(
            "EXITBOT_TEAMS_DEV=1: Teams requests are NOT authenticated (never in production)"
        )
        adapter = TeamsAdapter(NoTokens(), app_id="", dev=True)
    else:
        connections = MsalConnectionManager({"SERVICE_CONNECTION": auth})
        adapter = TeamsAdapter(connections, app_id=auth.CLIENT_ID or "", dev=False)
    references = SqlReferenceStore(app.engine, app.clock, PLATFORM)
    directory = TeamsDirectory(graph_for(settings), settings.default_timezone)
    app.closing.append(directory.close)
    installer = Installer(directory.graph, settings.teams_app_id, references)
    chat = TeamsChat(adapter, references, settings.teams_hr_channel, installer)
    bot = TeamsBot(app.conversation, app.desk, references, chat, directory)
    # Teams' turns are handled as they come (the inbox ledger drops a retried one).
    endpoint = teams_endpoint(adapter, bot, auth, FailureLog("handling Teams activities"))
    return Platform(PLATFORM, chat=chat, directory=directory, routes={"/api/messages": endpoint})


def teams_directory(settings: Settings) -> TeamsDirectory | None:
    """Looking Teams people up without serving (the shell): None when Teams is not set up."""
    if not settings.microsoft_app_id and not settings.teams_dev:
        return None
    require("teams", "MICROSOFT_APP_ID" if settings.microsoft_app_id else "EXITBOT_TEAMS_DEV")
    from adapters.teams.directory import TeamsDirectory

    return TeamsDirectory(graph_for(settings), settings.default_timezone)


def graph_for(settings: Settings) -> Graph | None:
    """Microsoft Graph with the bot's app-only token, or none in dev mode (a loopback
    stand-in). None where it cannot sign in: a multi-tenant bot must name the tenant whose
    people it looks up (MICROSOFT_APP_TENANT_ID)."""
    from adapters.teams.graph import AppToken, Graph

    if settings.teams_dev:
        return Graph(settings.graph_url, lambda: None)
    tenant = settings.microsoft_app_tenant_id
    if not tenant:
        log.warning(
            "MICROSOFT_APP_TENANT_ID is not set: Teams people can only be found by @mention "
            "in a channel, and leavers who never opened ExitBot cannot be reached"
        )
        return None
    return Graph(settings.graph_url, AppToken(_graph_sign_in(settings, tenant)))


def _graph_sign_in(settings: Settings, tenant: str) -> Callable[[], Callable[[], dict[str, Any]]]:
    """How the bot signs in to Graph: with its password, or as its managed identity."""

    def sign_in() -> Callable[[], dict[str, Any]]:
        import msal
        import requests

        app_id = settings.microsoft_app_id or ""
        if settings.microsoft_app_type == "UserAssignedMSI":
            identity = msal.ManagedIdentityClient(
                msal.UserAssignedManagedIdentity(client_id=app_id), http_client=requests.Session()
            )
            return lambda: identity.acquire_token_for_client(resource=GRAPH)
        password = settings.microsoft_app_password
        client = msal.ConfidentialClientApplication(
            app_id,
            authority=f"https://login.microsoftonline.com/{tenant}",
            client_credential=password.get_secret_value() if password else None,
        )
        return lambda: client.acquire_token_for_client(scopes=[f"{GRAPH}/.default"])

    return sign_in


GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def registered_app_id(settings: Settings) -> str:
    """The Azure bot's application id; a SettingsError when it is missing or not a GUID."""
    app_id = settings.microsoft_app_id
    if not app_id or not GUID.match(app_id):
        raise SettingsError("MICROSOFT_APP_ID: the Azure bot's application id (a GUID) is needed")
    return app_id


def credentials_for(settings: Settings) -> AgentAuthConfiguration:
    """The bot's credentials as its Azure registration is set up (MICROSOFT_APP_TYPE): a
    single-tenant bot gets its tokens from its tenant, a multi-tenant one from the Bot
    Framework's, whatever tenant id is also set; a user-assigned managed identity has no
    password. The same configuration checks the tokens Teams sends (their audience is the
    app id)."""
    from microsoft_agents.hosting.core import AgentAuthConfiguration
    from microsoft_agents.hosting.core.authorization import AuthTypes

    if settings.teams_dev:
        return AgentAuthConfiguration(anonymous_allowed=True)
    app_id = registered_app_id(settings)
    kind = settings.microsoft_app_type
    tenant = settings.microsoft_app_tenant_id
    if kind in ("SingleTenant", "UserAssignedMSI") and not tenant:
        raise SettingsError(f"MICROSOFT_APP_TENANT_ID: needed for MICROSOFT_APP_TYPE={kind}")
    password = settings.microsoft_app_password
    if kind == "UserAssignedMSI":
        return AgentAuthConfiguration(
            AuthTypes.user_managed_identity, client_id=app_id, tenant_id=tenant
        )
    if password is None:
        raise SettingsError(f"MICROSOFT_APP_PASSWORD: needed for MICROSOFT_APP_TYPE={kind}")
    return AgentAuthConfiguration(
        AuthTypes.client_secret,
        client_id=app_id,
        tenant_id=tenant if kind == "SingleTenant" else BOT_FRAMEWORK_TENANT,
        client_secret=password.get_secret_value(),
    )
