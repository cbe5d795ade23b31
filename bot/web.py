"""The HTTP side of `exitbot serve`: Slack's events, commands and interactivity on one
endpoint, and a health check."""

from __future__ import annotations

from botbuilder.schema import Activity
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from bot.teams import Teams


def create_web_app(engine: Engine, slack: App | None, teams: Teams | None = None) -> FastAPI:
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

        @web.post("/slack/events")
        async def slack_events(request: Request) -> Response:
            body = await request.body()
            # bolt is synchronous: verify, ack and hand over in a worker thread, so the event
            # loop stays free; listeners run after the ack (process_before_response=False).
            answer = await run_in_threadpool(slack.dispatch, to_bolt_request(request, body))
            return to_starlette_response(answer)

    if teams is not None:

        @web.post("/api/messages")
        async def teams_messages(request: Request) -> Response:
            try:
                body = await request.json()
                activity = Activity().deserialize(body)
            except ValueError:
                return JSONResponse({"error": "not a Bot Framework activity"}, status_code=400)
            auth = request.headers.get("Authorization", "")
            framework = teams.adapter.bot_framework_authentication
            try:
                authenticated = await framework.authenticate_request(activity, auth)
            except Exception:  # any failure to prove who is calling is a refusal
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            invoke = await teams.adapter.process_activity(
                authenticated, activity, teams.bot.on_turn
            )
            if invoke is not None:
                return JSONResponse(invoke.body, status_code=invoke.status)
            return Response(status_code=200)

    return web
