"""`exitbot serve`: migrate, plug in the configured chat platforms, then serve HTTP and run
the background worker."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import shutil
import signal
import socket
import tempfile
from functools import partial
from typing import TYPE_CHECKING

import uvicorn
from fastapi import APIRouter

from adapters.api.routes import ApiLimits, build_router
from adapters.pacing.buckets import RedisBuckets
from bot import logs
from bot.container import App, build_app
from bot.migrate import upgrade_with, wait_until_current
from bot.platform import Platform, PlatformBuilder, Route
from bot.probes import Probes
from bot.settings import Settings, SettingsError
from bot.slack import build_slack
from bot.teams import build_teams
from bot.worker import Worker
from core.ports import InboxItem

if TYPE_CHECKING:
    from bot.metrics import Metrics

# How long an idle HTTP connection is kept (uvicorn's default is 5 s).
KEEP_ALIVE_SECONDS = 75
log = logging.getLogger("exitbot")
# prometheus-client's switch to multiprocess mode (bot/metrics.py).
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
PR_SET_PDEATHSIG = 1  # prctl(2)

# Every chat platform ExitBot speaks; each builder returns None when it is not configured.
PLATFORMS: tuple[PlatformBuilder, ...] = (build_slack, build_teams)


def run_serve(
    settings: Settings, scheduler: bool = True, migrate: bool = True, platform: bool = True
) -> int:
    """`migrate` False leaves the schema to `exitbot migrate` (a job run beside the
    replicas), and waits until it has run. `platform` False serves without any chat
    platform (the HR API alone); otherwise one must be set up."""
    if platform and not settings.platforms:
        raise SettingsError(
            "no chat platform is set up: set SLACK_BOT_TOKEN (Slack) or MICROSOFT_APP_ID "
            "(Teams), or run `exitbot serve --no-platform` for the HR API alone"
        )
    logs.configure(settings.log_level, settings.log_format, settings.replica)
    # The port first: one that is taken stops serve before it migrates or sends anything.
    listener = listen(settings)
    if migrate:
        upgrade_with(settings)
    else:
        wait_until_current(settings.database_url)
    if settings.processes > 1 and settings.database_url.startswith("sqlite"):
        log.warning(
            "EXITBOT_PROCESSES=%d is for PostgreSQL: SQLite writes one at a time, and processes "
            "queueing for its lock answer slower than one; running one",
            settings.processes,
        )
    elif settings.processes > 1:
        return serve_many(settings, scheduler, listener)
    return serve_one(settings, scheduler, listener)


def listen(settings: Settings) -> socket.socket:
    try:
        return socket.create_server((settings.host, settings.port), backlog=2048)
    except OSError as exc:
        raise SettingsError(
            f"EXITBOT_PORT: cannot listen on {settings.host}:{settings.port}: "
            f"{os.strerror(exc.errno) if exc.errno else exc}"
        ) from None


def serve_many(settings: Settings, scheduler: bool, listener: socket.socket) -> int:
    """One replica per process on one listening socket: Python runs one thread at a time
    per process, so a second core needs a second process. The replicas share only the
    database, as replicas on separate machines do."""
    # Each process writes its counts here and /metrics adds them up (prometheus-client's
    # multiprocess mode, chosen when it is first imported: so before any process starts).
    counts = tempfile.mkdtemp(prefix="exitbot-metrics-")
    os.environ[MULTIPROCESS] = counts
    try:
        return _fork_replicas(settings, scheduler, listener)
    finally:
        shutil.rmtree(counts, ignore_errors=True)


def _fork_replicas(settings: Settings, scheduler: bool, listener: socket.socket) -> int:
    children: list[int] = []
    for _ in range(settings.processes):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                die_with_parent()
                # Each replica names itself in the logs (EXITBOT_REPLICA is the machine's).
                replica = f"{settings.replica}-{os.getpid()}" if settings.replica else None
                logs.configure(settings.log_level, settings.log_format, replica)
                code = serve_one(settings, scheduler, listener)
            finally:
                os._exit(code)
        children.append(pid)
    listener.close()

    def stop(signum: int, frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pid, status = os.wait()  # the first to stop stops them all
    stop(signal.SIGTERM, None)
    worst = os.waitstatus_to_exitcode(status)
    for child in children:
        if child != pid:
            _, status = os.waitpid(child, 0)
            worst = worst or os.waitstatus_to_exitcode(status)
    return 1 if worst else 0


def die_with_parent() -> None:
    """Ask Linux to stop this process when its parent goes, however the parent went (a
    SIGKILL included), so no replica outlives `exitbot serve`. Elsewhere: nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent went before we asked
        os._exit(1)


def api_router(app: App, platforms: list[Platform]) -> APIRouter:
    """The HR API, finding people on the platforms that are set up."""
    names = [p.name for p in platforms]
    # A departure that names no platform is on the only one there is (Slack if none is).
    default = names[0] if len(names) == 1 else None if names else "slack"
    limits = ApiLimits(per_minute=app.settings.api_rate, default_platform=default)
    # With Redis, every replica counts a key's requests against the same budget.
    redis_url = app.settings.redis_url
    return build_router(app.api, limits, RedisBuckets(redis_url) if redis_url else None)


def handled(metrics: Metrics, item: InboxItem) -> None:
    """A stored request was handled: counted, and said at DEBUG with its ids."""
    waited = metrics.handled(item)
    log.debug("handled a stored request %.0f ms after it arrived", waited * 1000)


def serve_one(settings: Settings, scheduler: bool, listener: socket.socket) -> int:
    # Imported here, not above: prometheus-client reads MULTIPROCESS once, when imported.
    from bot.metrics import Metrics
    from bot.web import create_web_app

    metrics = Metrics()
    app = build_app(settings, observe_model=metrics.llm_call)
    metrics.watch(app.engine, app.breaker_state)
    app.intake.on_duplicate = app.transactions.on_duplicate = metrics.duplicate
    app.intake.on_handled = partial(handled, metrics)
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
        hands=app.hands,
    )
    platforms = [p for build in PLATFORMS if (p := build(settings, app))]
    routes: dict[str, Route] = {}
    for platform in platforms:
        platform.chat = metrics.counted(platform.chat)
        app.register(platform)
        routes.update(platform.routes)
    probes = Probes(
        app.engine,
        worker.stopped,
        {p.name: p.connected for p in platforms if p.connected is not None},
    )
    if not settings.hr_users:
        log.warning("EXITBOT_HR_USERS is empty: nobody can run HR commands")
    if not settings.encryption_keys:
        log.warning(
            "EXITBOT_ENCRYPTION_KEY is not set: answers are stored in clear "
            "(`exitbot keygen` makes a key)"
        )
    worker.start()
    # HR's summary of an ending is made on the worker's endings threads.
    ended = app.transactions.on_ended
    ended[:] = [worker.in_background(handler) for handler in ended]
    # Work claimed as it is committed goes straight to the worker's threads.
    app.send_now.take = worker.take
    app.intake.take, app.intake.wake = worker.take_request, worker.stored
    connected: list[Platform] = []
    try:
        for platform in platforms:
            if platform.connect is not None:
                platform.connect()
                connected.append(platform)
        web = create_web_app(
            app.engine,
            routes,
            api_router(app, platforms),
            settings.api_max_body,
            probes=probes,
            metrics=metrics,
        )
        config = uvicorn.Config(
            web,
            host=settings.host,
            port=settings.port,
            # uvicorn writes through our handler, in our format (bot/logs.py).
            log_config=None,
            log_level=settings.log_level.lower(),
            access_log=settings.access_log,
            # An idle connection stays open longer than clients and proxies keep theirs (60 s
            # at AWS's load balancers), so that they close it first: one the server closes as
            # Slack sends down it resets the request, and the event comes only on a retry.
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        # What start-up built (modules, the bank, the analyst's tables) lives as long as the
        # process: frozen, the collector no longer walks it, and a full collection is a
        # pause of milliseconds in someone's answer instead of some 80.
        gc.collect()
        gc.freeze()
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        for platform in connected:
            if platform.disconnect is not None:
                platform.disconnect()
        app.send_now.take = app.intake.take = None
        worker.stop()
        app.close()
    return 0
