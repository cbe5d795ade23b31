"""Building the Slack platform from the settings: the Web API client, ChatPort and
directory; bolt's listeners for stored requests; and either POST /slack/events or a Socket
Mode connection."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.error import URLError

from adapters.pacing.buckets import MemoryBuckets, RedisBuckets
from adapters.slack import PLATFORM
from adapters.storage.references import SqlReferenceStore
from bot.cli import StartupError
from bot.container import App
from bot.extras import require
from bot.outage import FailureLog
from bot.platform import Platform, Route
from bot.settings import Settings, SettingsError
from core.intake import Intake

if TYPE_CHECKING:
    from adapters.slack.inbound import SlackRequest

# Slack's SDKs are imported only where Slack is configured (the `slack` extra).

log = logging.getLogger(__name__)


def slack_edges(settings: Settings) -> Platform | None:
    """Sending and looking people up, without listening (the shell needs no more)."""
    if not settings.slack_bot_token:
        return None
    require("slack", "SLACK_BOT_TOKEN")
    from adapters.slack.chat import SLASH_COMMAND, SlackChat, make_client
    from adapters.slack.directory import SlackDirectory

    token = settings.slack_bot_token.get_secret_value()
    # One set of buckets for every call this process (and, with Redis, every replica) makes.
    buckets = RedisBuckets(settings.redis_url) if settings.redis_url else MemoryBuckets()
    rate = settings.slack_rate
    # The outbox's messages are rescheduled on a 429, never waited for in a sender thread;
    # a lookup for an HR command in the making may wait a moment.
    sending = make_client(token, settings.slack_api_url, False, buckets, rate)
    return Platform(
        PLATFORM,
        chat=SlackChat(sending, settings.hr_channel),
        directory=SlackDirectory(make_client(token, settings.slack_api_url, True, buckets, rate)),
        invocation=f"{SLASH_COMMAND} ",
    )


def build_slack(settings: Settings, app: App) -> Platform | None:
    """None when SLACK_BOT_TOKEN is not set."""
    platform = slack_edges(settings)
    if platform is None:
        log.info("SLACK_BOT_TOKEN is not set: serving without Slack")
        return None
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from adapters.slack.app import at_once, build_bolt_app, replay
    from adapters.slack.chat import SlackChat
    from adapters.slack.socket import StoringSocketModeHandler

    chat = platform.chat
    assert isinstance(chat, SlackChat)
    chat.channels = SqlReferenceStore(app.engine, app.clock, PLATFORM)
    answer_now = at_once(app.conversation, app.hands)
    route = slack_route(settings, app.intake, answer_now)
    if route is not None:
        platform.routes["/slack/events"] = route
    try:
        bolt = build_bolt_app(
            client=chat.client,
            conversation=app.conversation,
            desk=app.desk,
            dm_channel=chat.dm_channel,
        )
    except (BoltError, SlackApiError) as exc:
        raise StartupError(f"Slack refused SLACK_BOT_TOKEN: {exc}") from None
    except (URLError, OSError) as exc:  # no answer at all: down, or a wrong SLACK_API_URL
        reason = getattr(exc, "reason", exc)
        raise StartupError(f"cannot reach Slack at {settings.slack_api_url}: {reason}") from None
    platform.replay = replay(bolt, app.conversation)
    if settings.slack_app_token:
        # Stored, then acknowledged, like POST /slack/events (which is not mounted).
        socket_mode = StoringSocketModeHandler(
            bolt,
            settings.slack_app_token.get_secret_value(),
            app.intake,
            FailureLog("storing Slack requests"),
            answer_now,
        )

        def connect() -> None:
            try:
                socket_mode.connect()  # type: ignore[no-untyped-call]
            except (SlackApiError, OSError) as exc:
                raise StartupError(f"Slack refused SLACK_APP_TOKEN: {exc}") from None
            log.info("Slack: Socket Mode connected")

        platform.connect = connect
        platform.disconnect = socket_mode.close
        platform.connected = socket_mode.client.is_connected
    return platform


def slack_route(
    settings: Settings,
    intake: Intake,
    at_once: Callable[[SlackRequest], Callable[[], bool] | None] | None = None,
) -> Route | None:
    """POST /slack/events, or None when Slack comes over Socket Mode (or not at all): a
    route that is not needed is not mounted, and one that is mounted checks signatures."""
    if not settings.slack_bot_token or settings.slack_app_token:
        return None
    secret = settings.slack_signing_secret
    if secret is None or not secret.get_secret_value().strip():
        raise SettingsError(
            "SLACK_SIGNING_SECRET: needed with SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN for "
            "Socket Mode)"
        )
    from adapters.slack.route import slack_endpoint

    failures = FailureLog("storing Slack requests")
    return slack_endpoint(
        secret.get_secret_value(), intake, failures, at_once or (lambda incoming: None)
    )
