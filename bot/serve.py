"""`exitbot serve`: migrate, plug in the configured chat platforms, then serve HTTP and run
the background worker."""

from __future__ import annotations

import logging

import uvicorn

from bot.container import build_app
from bot.migrate import upgrade
from bot.platform import Platform, PlatformBuilder, Route
from bot.settings import Settings
from bot.slack import build_slack
from bot.teams import build_teams
from bot.web import create_web_app
from bot.worker import Worker

log = logging.getLogger("exitbot")

# Every chat platform ExitBot speaks; each builder returns None when it is not configured.
PLATFORMS: tuple[PlatformBuilder, ...] = (build_slack, build_teams)


def run_serve(settings: Settings, scheduler: bool = True) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    upgrade(settings.database_url)
    app = build_app(settings)
    worker = Worker(
        app.delivery,
        app.jobs,
        app.intake,
        app.outbox_ready,
        settings.sweep_seconds,
        scheduler=scheduler,
        digest_cron=settings.digest_cron,
        digest_days=settings.digest_days,
        retention_days=settings.retention_days,
        senders=settings.senders,
        handlers=settings.handlers,
    )
    platforms = [p for build in PLATFORMS if (p := build(settings, app))]
    routes: dict[str, Route] = {}
    for platform in platforms:
        app.register(platform)
        routes.update(platform.routes)
    if not settings.hr_users:
        log.warning("EXITBOT_HR_USERS is empty: nobody can run HR commands")
    if not settings.encryption_keys:
        log.warning(
            "EXITBOT_ENCRYPTION_KEY is not set: answers are stored in clear "
            "(`exitbot keygen` makes a key)"
        )
    worker.start()
    # Work claimed as it is committed goes straight to the worker's threads.
    app.send_now.take = worker.take
    app.intake.take, app.intake.wake = worker.take_request, worker.stored
    connected: list[Platform] = []
    try:
        for platform in platforms:
            if platform.connect is not None:
                platform.connect()
                connected.append(platform)
        uvicorn.run(
            create_web_app(app.engine, routes),
            host=settings.host,
            port=settings.port,
            log_level="info",
        )
    finally:
        for platform in connected:
            if platform.disconnect is not None:
                platform.disconnect()
        app.send_now.take = app.intake.take = None
        worker.stop()
        app.close()
    return 0
