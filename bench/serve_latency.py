"""How long an employee waits for the next question, end to end: a signed Slack event
posted to a real `exitbot serve` -> stored, acknowledged, handled -> the next question
arriving at a loopback Slack Web API. Several employees answer at once. Prints a table;
not a test (run from the repository root).

    python -m bench.serve_latency [--interviews 24] [--concurrent 8] [--postgres URL]
"""

from __future__ import annotations

import argparse
import queue
import tempfile
import threading
import time
from pathlib import Path

from bench.databases import fresh_postgres, fresh_sqlite, print_table
from tests.e2e.script import ANSWERS
from tests.e2e.test_slack import Server
from tests.standins.slack import SlackStandIn, dm, person, wait_for


def measure(url: str, interviews: int, concurrent: int) -> tuple[list[float], float]:
    users = [f"UB{n:04d}" for n in range(interviews)]
    slack = SlackStandIn(users={u: person(u, f"Bench {u}") for u in users})
    slack.start()
    with tempfile.TemporaryDirectory() as folder:
        server = Server(slack=slack, database_url=url, log=Path(folder) / "serve.log")
        server.start()
        try:
            for user in users:
                server.command(f"start <@{user}|bench>")
            for user in users:
                wait_for(lambda u=user: slack.waiting_for(u) is not None, timeout=60)
            todo: queue.Queue[str] = queue.Queue()
            for user in users:
                todo.put(user)
            timings: list[float] = []
            lock = threading.Lock()

            def employee() -> None:
                while True:
                    try:
                        user = todo.get_nowait()
                    except queue.Empty:
                        return
                    while (question := slack.waiting_for(user)) is not None:
                        before = slack.post_count(f"D{user}")
                        started = time.perf_counter()
                        status = server.event(dm(user, ANSWERS[question])).status_code
                        assert status == 200, status
                        if not slack.wait_for_post(f"D{user}", before):
                            raise TimeoutError(f"no reply to {user}")
                        with lock:
                            timings.append(time.perf_counter() - started)

            threads = [threading.Thread(target=employee) for _ in range(concurrent)]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return timings, time.perf_counter() - began
        finally:
            server.stop()
            slack.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=24)
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    rows, wall = [], {}
    for label, database in (
        ("SQLite (file, WAL)", fresh_sqlite()),
        ("PostgreSQL 127.0.0.1", fresh_postgres(args.postgres)),
    ):
        with database as url:
            timings, seconds = measure(url, args.interviews, args.concurrent)
        rows.append((label, timings))
        wall[label] = seconds
    print_table(rows, wall)


if __name__ == "__main__":
    main()
