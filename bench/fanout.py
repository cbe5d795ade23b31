"""A layoff on one day, end to end: N interviews due at once on PostgreSQL, real `exitbot
serve` replicas (one, or two sharing their rate-limit buckets in Redis), and a loopback
Slack that allows R chat.postMessage calls a second to the workspace and its published tier
floors, answering 429 with Retry-After beyond them. Meanwhile K employees already in their
interviews keep answering, each as soon as the next question arrives. Prints a table; not a
test (run from the repository root).

    python -m bench.fanout [--leavers 2000] [--rate 100] [--replicas 1 2] [--answering 8]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.answer_path import POSTGRES, pct
from bench.databases import fresh_postgres
from bot.container import build_app
from bot.migrate import upgrade
from bot.settings import Settings
from core.interview import Person
from tests.e2e.script import ANSWERS
from tests.e2e.test_slack import Server
from tests.standins.slack import SlackStandIn, dm, person, wait_for

REDIS = "redis://127.0.0.1:6379/0"


@dataclass(kw_only=True)
class PacedServer(Server):
    rate: float
    redis: bool

    def settings(self) -> dict[str, str]:
        paced = {"EXITBOT_SLACK_RATE": str(self.rate)}
        if self.redis:
            paced["EXITBOT_REDIS_URL"] = REDIS
        return super().settings() | paced


@dataclass
class Result:
    seconds: float = 0.0  # until every leaver had their first question
    posts: int = 0
    lost: int = 0
    duplicated: int = 0
    throttled: int = 0
    replies: list[float] = field(default_factory=list)


def first_questions(slack: SlackStandIn, leavers: set[str]) -> set[str]:
    return {
        str(p["channel"])[1:]
        for p in slack.posts()
        if str(p["channel"])[1:] in leavers and "exitbot_q_" in str(p.get("blocks", ""))
    }


def run(leavers: int, rate: float, replicas: int, answering: int) -> Result:
    answerers = [f"UA{n:02d}" for n in range(answering)]
    slack = SlackStandIn(users={u: person(u, f"Answering {u}") for u in answerers}, post_rate=rate)
    slack.start()
    result = Result()
    with fresh_postgres(POSTGRES) as url, tempfile.TemporaryDirectory() as folder:
        upgrade(url)
        app = build_app(Settings(DATABASE_URL=url), {})  # type: ignore[call-arg]
        later = datetime.now(UTC) + timedelta(days=1)
        ids = [f"UL{n:05d}" for n in range(leavers)]
        for user in ids:  # due tomorrow; moved to now once the answering are under way
            app.hr.schedule(Person("slack", user, f"Leaver {user}"), later, by="UHR")
        servers = [
            PacedServer(
                slack=slack,
                database_url=url,
                log=Path(folder) / f"serve{n}.log",
                rate=rate,
                redis=replicas > 1,
            )
            for n in range(replicas)
        ]
        try:
            for server in servers:
                server.start()
            for user in answerers:
                servers[0].command(f"start <@{user}|x>")
            for user in answerers:
                wait_for(lambda u=user: slack.waiting_for(u) is not None, timeout=60)
            stop = threading.Event()
            lock = threading.Lock()

            def employee(user: str, server: Server) -> None:
                while not stop.is_set() and (question := slack.waiting_for(user)) is not None:
                    before = slack.post_count(f"D{user}")
                    started = time.perf_counter()
                    server.event(dm(user, ANSWERS[question]))
                    if not slack.wait_for_post(f"D{user}", before, timeout=120):
                        return
                    with lock:
                        result.replies.append(time.perf_counter() - started)
                    time.sleep(1.0)  # a person reads and types; Slack allows ~1 post/s/channel

            with app.engine.begin() as connection:  # the layoff's day has come
                connection.exec_driver_sql(
                    "UPDATE interviews SET due_at = now() - interval '1 minute' "
                    "WHERE state = 'SCHEDULED'"
                )
            began = time.perf_counter()
            threads = [
                threading.Thread(target=employee, args=(u, servers[n % replicas]))
                for n, u in enumerate(answerers)
            ]
            for thread in threads:
                thread.start()
            wanted = set(ids)
            while len(first_questions(slack, wanted)) < leavers:
                if time.perf_counter() - began > 3600:
                    break
                time.sleep(1)
            result.seconds = time.perf_counter() - began
            stop.set()
            for thread in threads:
                thread.join(timeout=130)
            time.sleep(3)  # anything still on its way
            result.lost = leavers - len(first_questions(slack, wanted))
            intros = Counter(
                str(p["channel"])
                for p in slack.posts()
                if str(p.get("text", "")).startswith("Hi Leaver")
            )
            result.duplicated = sum(n - 1 for n in intros.values() if n > 1)
            result.posts = len(slack.posts())
            result.throttled = len(slack.throttled)
        finally:
            for server in servers:
                server.stop()
            app.close()
            slack.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leavers", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="the workspace's posts/s")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--answering", type=int, default=8)
    args = parser.parse_args()
    print(
        f"{'replicas':>8} {'leavers':>8} {'R/s':>6} {'all asked s':>11} {'posts':>7} "
        f"{'rate/R':>7} {'lost':>5} {'dup':>5} {'429s':>5} {'replies':>8} "
        f"{'reply p50 ms':>12} {'reply p99 ms':>12}",
        flush=True,
    )
    for replicas in args.replicas:
        r = run(args.leavers, args.rate, replicas, args.answering)
        invitations = 4 * (args.leavers - r.lost)
        print(
            f"{replicas:>8} {args.leavers:>8} {args.rate:>6g} {r.seconds:>11.1f} {r.posts:>7} "
            f"{invitations / r.seconds / args.rate:>7.2f} {r.lost:>5} {r.duplicated:>5} "
            f"{r.throttled:>5} {len(r.replies):>8} {pct(r.replies, 0.5):>12.1f} "
            f"{pct(r.replies, 0.99):>12.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
