"""The Bot Framework adapter ExitBot runs Teams turns through (the Microsoft 365 Agents SDK's
FastAPI CloudAdapter), and the credentials it sends and checks tokens with."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from microsoft_agents.activity import Activity, TurnContextProtocol
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ClaimsIdentity,
    TurnContext,
)
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    AuthenticationConstants,
    Connections,
)
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.fastapi import CloudAdapter

log = logging.getLogger(__name__)


class TeamsAdapter(CloudAdapter):
    """A turn that fails is raised up to POST /api/messages, which answers 503: the Bot
    Framework sends it again, and what was already handled is not handled twice (the inbox
    records it). The SDK's default would post the exception's text into the user's chat."""

    def __init__(self, connections: Connections, app_id: str, dev: bool) -> None:
        super().__init__(connection_manager=connections)
        self.on_turn_error = None
        self.app_id = app_id
        self.dev = dev

    async def continue_with(
        self, continuation: Activity, callback: Callable[[TurnContext], Awaitable[None]]
    ) -> None:
        """A proactive turn: with the bot's own token, or none in dev mode (a loopback
        connector)."""
        if self.dev:
            await self.continue_conversation_with_claims(
                ClaimsIdentity(), continuation, callback, AuthenticationConstants.AGENTS_SDK_SCOPE
            )
        else:
            await self.continue_conversation(self.app_id, continuation, callback)


class NoTokens(Connections):
    """Dev mode's connections: every call to the connector goes without a token."""

    def __init__(self) -> None:
        self.provider = AnonymousTokenProvider()
        self.configuration = AgentAuthConfiguration(anonymous_allowed=True)

    def get_connection(self, connection_name: str | None) -> AccessTokenProviderBase:
        return self.provider

    def get_default_connection(self) -> AccessTokenProviderBase:
        return self.provider

    def get_token_provider(
        self, claims_identity: ClaimsIdentity, service_url: str
    ) -> AccessTokenProviderBase:
        return self.provider

    def get_token_provider_from_activity(
        self, claims_identity: ClaimsIdentity, activity: Activity
    ) -> AccessTokenProviderBase:
        return self.provider

    def get_default_connection_configuration(self) -> AgentAuthConfiguration:
        return self.configuration


def connector(context: TurnContextProtocol[Activity]) -> ConnectorClientBase:
    """The Bot Framework connector the SDK opened for this turn (replies, roster, updates)."""
    services = context.services if isinstance(context, TurnContext) else None
    client = services.get(ConnectorClientBase) if services else None  # type: ignore[type-abstract]
    if client is None:
        raise LookupError("no Bot Framework connector in this turn")
    return client


async def authenticate(
    authorization: str | None, configuration: AgentAuthConfiguration
) -> ClaimsIdentity | None:
    """Who is calling, by the Bot Framework's signed token; None when that cannot be proven.
    Every failure is a refusal: the SDK's validator raises more than its own errors (a token
    without `kid` is a KeyError, an unreachable key endpoint a connection error)."""
    validator = JwtTokenValidator(configuration)
    if not authorization:
        return validator.get_anonymous_claims() if configuration.ANONYMOUS_ALLOWED else None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return await validator.validate_token(token.strip())
    except Exception as exc:  # a forged, expired, unsigned or foreign token alike
        log.info("a Teams request was refused: %s", type(exc).__name__)
        return None
