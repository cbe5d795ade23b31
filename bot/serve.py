"""`exitbot serve`: migrate, then serve HTTP (Slack) and run the background worker."""

from __future__ import annotations

import logging

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from adapters.slack.app import build_bolt_app
from adapters.teams.bot import PLATFORM as TEAMS
from bot.cli import StartupError
from bot.container import build_app, platform_edges
from bot.migrate import upgrade
from bot.settings import Settings, SettingsError
from bot.teams import build_teams
from bot.web import create_web_app
from bot.worker import Worker

log = logging.getLogger("exitbot")


def run_serve(settings: Settings, scheduler: bool = True) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    upgrade(settings.database_url)
    edges = platform_edges(settings)
    ports, client = edges.ports, edges.slack
    app = build_app(settings, ports, directories=edges.directories)
    worker = Worker(
        app.delivery,
        app.service,
        settings.sweep_seconds,
        scheduler=scheduler,
        digest_cron=settings.digest_cron,
        digest_days=settings.digest_days,
        retention_days=settings.retention_days,
    )
    slack: App | None = None
    if client is not None:
        secret = (
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else ""
        )
        if not secret and not settings.slack_app_token:
            raise SettingsError(
                "SLACK_SIGNING_SECRET: needed with SLACK_BOT_TOKEN "
                "(or set SLACK_APP_TOKEN for Socket Mode)"
            )
        try:
            slack = build_bolt_app(
                client=client,
                signing_secret=secret,
                service=app.service,
                desk=app.desk,
                wake=worker.wake,
            )
        except (BoltError, SlackApiError) as exc:
            raise StartupError(f"Slack refused SLACK_BOT_TOKEN: {exc}") from None
    else:
        log.info("SLACK_BOT_TOKEN is not set: serving without Slack")
    teams = build_teams(settings, app, worker.wake)
    if teams is not None:
        # Delivery reads this same mapping: Teams joins it once the app it needs exists.
        ports[TEAMS] = teams.chat
    if not settings.hr_users:
        log.warning("EXITBOT_HR_USERS is empty: nobody can run HR commands")
    worker.start()
    socket_mode = None
    try:
        if slack is not None and settings.slack_app_token:
            socket_mode = SocketModeHandler(slack, settings.slack_app_token.get_secret_value())
            socket_mode.connect()  # type: ignore[no-untyped-call]
            log.info("Slack: Socket Mode connected")
        uvicorn.run(
            create_web_app(app.engine, slack, teams),
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
