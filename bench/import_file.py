"""`exitbot import` of an HR file of N leavers, end to end: the real command against a
loopback Slack holding N people that enforces Slack's published tier limits (users.list:
20 calls a minute), on SQLite and PostgreSQL. Prints a table; not a test (run from the
repository root).

    python -m bench.import_file [--rows 10000] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.answer_path import POSTGRES
from bench.databases import fresh_postgres, fresh_sqlite
from tests.e2e.cli import exitbot
from tests.standins.slack import SlackStandIn, person


def run(url: str, rows: int) -> tuple[float, int, int, str]:
    users = {f"UI{n:06d}": person(f"UI{n:06d}", f"Leaver {n}") for n in range(rows)}
    for n, user in enumerate(users.values()):
        user["profile"]["email"] = f"leaver{n}@acme.test"
    slack = SlackStandIn(users=users)
    slack.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            lines = ["email,exit_date,department"]
            lines += [
                f"leaver{n}@acme.test,2030-03-{1 + n % 28:02d},Dept {n % 40}" for n in range(rows)
            ]
            (Path(folder) / "leavers.csv").write_text("\n".join(lines) + "\n")
            started = time.perf_counter()
            result = exitbot(
                "import",
                "leavers.csv",
                cwd=Path(folder),
                timeout=1800,
                DATABASE_URL=url,
                SLACK_BOT_TOKEN="xoxb-test",
                SLACK_API_URL=slack.api_url,
            )
            took = time.perf_counter() - started
        engine = create_engine(url)
        with engine.connect() as connection:
            scheduled = int(
                connection.execute(text("SELECT count(*) FROM interviews")).scalar() or 0
            )
        engine.dispose()
        calls = len(slack.calls) + len(slack.refused) + len(slack.throttled)
        return took, scheduled, calls, result.stdout.strip().splitlines()[0]
    finally:
        slack.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    databases = [("SQLite", fresh_sqlite)]
    if not args.sqlite_only:
        databases.append(("PostgreSQL", lambda: fresh_postgres(POSTGRES)))
    print(f"{'database':<11} {'rows':>7} {'seconds':>8} {'scheduled':>9} {'Slack calls':>11}")
    for name, database in databases:
        with database() as url:
            took, scheduled, calls, said = run(url, args.rows)
        print(f"{name:<11} {args.rows:>7} {took:>8.1f} {scheduled:>9} {calls:>11}   {said}")


if __name__ == "__main__":
    main()
