"""`exitbot serve`: migrate, then serve HTTP (Slack) and run the background worker."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import Request, Response
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from adapters.slack.app import build_bolt_app, replay
from adapters.slack.chat import PLATFORM as SLACK
from adapters.slack.route import slack_endpoint
from adapters.slack.socket import StoringSocketModeHandler
from adapters.teams.bot import PLATFORM as TEAMS
from bot.cli import StartupError
from bot.container import build_app, platform_edges
from bot.migrate import upgrade
from bot.outage import FailureLog
from bot.settings import Settings, SettingsError
from bot.teams import build_teams
from bot.web import create_web_app
from bot.worker import Worker
from core.intake import Intake

log = logging.getLogger("exitbot")


def slack_http_route(
    settings: Settings, intake: Intake, stored: Callable[[], None]
) -> Callable[[Request], Awaitable[Response]] | None:
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
    return slack_endpoint(
        secret.get_secret_value(), intake, stored, FailureLog("storing Slack requests")
    )


def run_serve(settings: Settings, scheduler: bool = True) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    upgrade(settings.database_url)
    edges = platform_edges(settings)
    ports = edges.ports
    app = build_app(settings, ports, directories=edges.directories)
    worker = Worker(
        app.delivery,
        app.jobs,
        app.intake,
        settings.sweep_seconds,
        scheduler=scheduler,
        digest_cron=settings.digest_cron,
        digest_days=settings.digest_days,
        retention_days=settings.retention_days,
    )
    slack_route = slack_http_route(settings, app.intake, worker.stored)
    bolt: App | None = None
    if edges.slack is not None:
        try:
            bolt = build_bolt_app(
                client=edges.slack.client,
                conversation=app.conversation,
                desk=app.desk,
                wake=worker.wake,
                dm_channel=edges.slack.dm_channel,
            )
        except (BoltError, SlackApiError) as exc:
            raise StartupError(f"Slack refused SLACK_BOT_TOKEN: {exc}") from None
        app.intake.handlers[SLACK] = replay(bolt)
    else:
        log.info("SLACK_BOT_TOKEN is not set: serving without Slack")
    teams = build_teams(settings, app, worker.wake)
    if teams is not None:
        # Delivery reads this same mapping: Teams joins it once the app it needs exists.
        ports[TEAMS] = teams.chat
    if not settings.hr_users:
        log.warning("EXITBOT_HR_USERS is empty: nobody can run HR commands")
    if not settings.encryption_keys:
        log.warning(
            "EXITBOT_ENCRYPTION_KEY is not set: answers are stored in clear "
            "(`exitbot keygen` makes a key)"
        )
    worker.start()
    socket_mode = None
    try:
        if bolt is not None and settings.slack_app_token:
            # Stored, then acknowledged, like POST /slack/events (which is not mounted).
            socket_mode = StoringSocketModeHandler(
                bolt,
                settings.slack_app_token.get_secret_value(),
                app.intake,
                worker.stored,
                FailureLog("storing Slack requests"),
            )
            try:
                socket_mode.connect()  # type: ignore[no-untyped-call]
            except (SlackApiError, OSError) as exc:
                raise StartupError(f"Slack refused SLACK_APP_TOKEN: {exc}") from None
            log.info("Slack: Socket Mode connected")
        uvicorn.run(
            create_web_app(app.engine, slack_route, teams),
            host=settings.host,
            port=settings.port,
            log_level="info",
        )
    finally:
        if socket_mode is not None:
            socket_mode.close()  # type: ignore[no-untyped-call]
        worker.stop()
        app.close()
    return 0
