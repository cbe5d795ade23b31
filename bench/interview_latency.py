"""How long one employee answer takes in process (dedupe, load, dialogue, offline analyst,
commit, outbox send) on SQLite and PostgreSQL. Prints a table; not a test.

    python -m bench.interview_latency [--interviews 30] [--postgres URL]
"""

from __future__ import annotations

import argparse
import time
import uuid

from bench.databases import fresh_postgres, fresh_sqlite, print_table
from bot.clock import SystemClock
from bot.container import build_app
from bot.migrate import upgrade
from bot.settings import Settings
from core.events import UserMessage
from core.interview import InterviewState, Person
from core.messages import Address, OutboundMessage, QuestionMessage

ANSWERS = {
    "primary_reason": "1",
    "trigger": "Passed over for promotion twice because the criteria were never written down.",
    "manager_rating": "2",
    "manager_detail": "She cancelled most of our 1:1s because she ran three teams at once.",
    "growth_rating": "2",
    "recognition_rating": "3",
    "workload": "about right",
    "tools_rating": "4",
    "team_culture": "Keep the kindness, change the slow decisions, because we waited months.",
    "retention": "A path to senior engineer, because that is what I asked for at every review.",
    "would_return": "yes",
    "recommend": "8",
    "advice": "Write down how promotions work.",
}


class NullChat:
    platform = "bench"

    def __init__(self) -> None:
        self.last: dict[str, OutboundMessage] = {}

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        self.last[to.id] = message
        return None


def measure(url: str, interviews: int) -> list[float]:
    upgrade(url)
    chat = NullChat()
    app = build_app(Settings(DATABASE_URL=url), {"bench": chat}, clock=SystemClock())  # type: ignore[call-arg]
    timings: list[float] = []
    try:
        for n in range(interviews):
            user = f"U{n}"
            app.hr.start_now(Person(platform="bench", user_id=user, display_name="Bench"))
            app.delivery.drain()
            while True:
                interview = app.conversation.current("bench", user)
                assert interview is not None
                if interview.state is not InterviewState.IN_PROGRESS:
                    break
                last = chat.last[user]
                reply = (
                    ANSWERS[last.question_id]
                    if isinstance(last, QuestionMessage)
                    else "More detail."
                )
                started = time.perf_counter()
                app.conversation.handle_message(
                    UserMessage("bench", user, reply, event_id=uuid.uuid4().hex)
                )
                app.delivery.drain()
                timings.append(time.perf_counter() - started)
    finally:
        app.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=30)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    with fresh_sqlite() as url:
        rows = [("SQLite (file, WAL)", measure(url, args.interviews))]
    with fresh_postgres(args.postgres) as url:
        rows.append(("PostgreSQL 127.0.0.1", measure(url, args.interviews)))
    print_table(rows)


if __name__ == "__main__":
    main()
