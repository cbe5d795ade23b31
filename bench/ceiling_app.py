"""The ceiling issue 12 measures the answer path against, run in the same hour on the same
machine: a minimal slack-bolt bot with bolt's default settings in one uvicorn worker, that
stores each answer durably (one commit on SQLite in WAL mode or on PostgreSQL) and replies
with the next question in one `chat.postMessage` (slack_sdk's default WebClient). It has
no interview logic, no inbox, no outbox and no retries: not ExitBot, only how fast Python,
bolt, the database and the HTTP stack can answer at all here. Started by
`python -m bench.answer_path --ceiling` with the settings `exitbot serve` reads.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from typing import Any

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, event
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.e2e.script import ANSWERS

QUESTIONS = list(ANSWERS)

ANSWERS_TABLE = Table(
    "ceiling_answers",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("user_id", String(32), nullable=False),
    Column("value", String(4000), nullable=False),
    Column("answered_at", DateTime, nullable=False),
)


def question(user: str, number: int) -> list[dict[str, Any]]:
    """The blocks of question `number`, as the Slack stand-in reads which one is asked."""
    return [
        {
            "type": "section",
            "block_id": f"exitbot_q_{QUESTIONS[number]}",
            "text": {"type": "mrkdwn", "text": f"Question {number + 1}, <@{user}>"},
        }
    ]


def build() -> Starlette:
    url = os.environ["DATABASE_URL"]
    engine = create_engine(url)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def wal(connection: Any, _record: Any) -> None:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=30000")

    ANSWERS_TABLE.metadata.create_all(engine)
    token = os.environ["SLACK_BOT_TOKEN"]
    bolt = App(
        token=token,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(token=token, base_url=os.environ["SLACK_API_URL"]),
    )
    # Which question each person is on: in memory (the ceiling keeps no state worth a read).
    asked: dict[str, int] = {}
    lock = threading.Lock()

    @bolt.event("message")
    def answer(event: dict[str, Any], client: WebClient) -> None:
        user = event["user"]
        with engine.begin() as db:
            db.execute(
                ANSWERS_TABLE.insert(),
                {"user_id": user, "value": event["text"], "answered_at": datetime.now(UTC)},
            )
        with lock:
            number = asked[user] = asked.get(user, 0) + 1
        if number < len(QUESTIONS):
            client.chat_postMessage(
                channel=event["channel"], text="next", blocks=question(user, number)
            )
        else:
            client.chat_postMessage(channel=event["channel"], text="Thank you")

    handler = SlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


if __name__ == "__main__":
    uvicorn.run(
        build(), host="127.0.0.1", port=int(os.environ["EXITBOT_PORT"]), log_level="warning"
    )
