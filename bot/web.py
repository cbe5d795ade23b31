"""The HTTP side of `exitbot serve`: Slack's events, commands and interactivity on one
endpoint (mounted only when Slack comes over HTTP), Teams' activities, and a health check."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from botbuilder.schema import Activity
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.outage import FailureLog
from bot.teams import Teams

# A Teams activity, even with a card's data, is a few kilobytes.
MAX_ACTIVITY = 256 * 1024


def create_web_app(
    engine: Engine,
    slack: Callable[[Request], Awaitable[Response]] | None,
    teams: Teams | None = None,
) -> FastAPI:
    web = FastAPI(title="ExitBot", docs_url=None, redoc_url=None)

    @web.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    if slack is not None:
        web.add_api_route("/slack/events", slack, methods=["POST"])

    if teams is not None:
        teams_failures = FailureLog("handling Teams activities")

        @web.post("/api/messages")
        async def teams_messages(request: Request) -> Response:
            declared = request.headers.get("content-length") or "0"
            if declared.isdigit() and int(declared) > MAX_ACTIVITY:
                return JSONResponse({"error": "request too large"}, status_code=413)
            body = await request.body()
            try:
                payload = json.loads(body) if len(body) <= MAX_ACTIVITY else None
                if not isinstance(payload, dict):
                    raise ValueError("not a JSON object")
                activity = Activity().deserialize(payload)
            except Exception:  # anything that is not an activity, however broken
                return JSONResponse({"error": "not a Bot Framework activity"}, status_code=400)
            auth = request.headers.get("Authorization", "")
            framework = teams.adapter.bot_framework_authentication
            try:
                authenticated = await framework.authenticate_request(activity, auth)
            except Exception:  # any failure to prove who is calling is a refusal
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            try:
                invoke = await teams.adapter.process_activity(
                    authenticated, activity, teams.bot.on_turn
                )
            except Exception as exc:  # not handled, so not acknowledged: Teams retries
                teams_failures.failed(exc)
                return JSONResponse({"error": "try again later"}, status_code=503)
            teams_failures.ok()
            if invoke is not None:
                return JSONResponse(invoke.body, status_code=invoke.status)
            return Response(status_code=200)

    return web
