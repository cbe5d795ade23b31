"""The digest over years of history: N finished interviews (a few dozen made through
ExitBot's own code, then copied with new ids and end times spread over the last year), then
`/exitbot digest 365` timed in a fresh process, with that process's peak memory. On SQLite
and PostgreSQL. Prints a table; not a test (run from the repository root).

    python -m bench.digest [--interviews 10000 100000] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from adapters.storage.models import AnswerRow, InterviewRow, PersonRow, TransitionRow
from bench.answer_path import POSTGRES
from bench.databases import fresh_postgres, fresh_sqlite
from bot.container import build_app
from bot.migrate import upgrade
from bot.settings import Settings
from tests.conftest import FakeClock
from tests.integration.test_digest_sql import interview_many

TEMPLATES = 40
BATCH = 5000


def rows(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table.__table__))]


def made(url: str, interviews: int) -> None:
    """TEMPLATES interviews through ExitBot, copied until there are `interviews`."""
    clock = FakeClock()
    app = build_app(Settings(DATABASE_URL=url), {}, clock=clock)  # type: ignore[call-arg]
    interview_many(app, clock, TEMPLATES)
    engine = app.engine
    people = {p["id"]: p for p in rows(engine, PersonRow)}
    ended = [i for i in rows(engine, InterviewRow) if i["ended_at"] is not None]
    answers: dict[str, list[dict[str, Any]]] = {}
    for a in rows(engine, AnswerRow):
        answers.setdefault(a["interview_id"], []).append(a)
    transitions: dict[str, list[dict[str, Any]]] = {}
    for t in rows(engine, TransitionRow):
        transitions.setdefault(t["interview_id"], []).append(t)
    pick = random.Random(1)
    now = datetime.now(UTC)
    batch: dict[Any, list[dict[str, Any]]] = {
        PersonRow: [],
        InterviewRow: [],
        AnswerRow: [],
        TransitionRow: [],
    }

    def flush() -> None:
        with engine.begin() as connection:
            for table, values in batch.items():
                if values:
                    connection.execute(insert(table.__table__), values)
                values.clear()

    for n in range(interviews - len(ended)):
        template = ended[n % len(ended)]
        person_id, interview_id = uuid.uuid4().hex, uuid.uuid4().hex
        end = now - timedelta(minutes=pick.randint(60, 360 * 24 * 60))
        shift = end - template["ended_at"]
        person = people[template["person_id"]] | {"id": person_id, "user_id": f"UC{n:07d}"}
        batch[PersonRow].append(person)
        batch[InterviewRow].append(
            template
            | {
                "id": interview_id,
                "person_id": person_id,
                "ended_at": end,
                "created_at": template["created_at"] + shift,
            }
        )
        for a in answers.get(template["id"], []):
            batch[AnswerRow].append(
                {k: v for k, v in a.items() if k != "id"} | {"interview_id": interview_id}
            )
        for t in transitions.get(template["id"], []):
            batch[TransitionRow].append(
                {k: v for k, v in t.items() if k != "id"}
                | {"interview_id": interview_id, "at": t["at"] + shift}
            )
        if len(batch[InterviewRow]) >= BATCH:
            flush()
    flush()
    app.close()


def measure(url: str) -> None:
    """In a fresh process: the digest's time and this process's peak memory."""
    app = build_app(Settings(DATABASE_URL=url), {})  # type: ignore[call-arg]
    app.views.digest(1)  # warm: connections, imports
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    digest = app.views.digest(365)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": took,
                "peak_mb": peak / 1024,
                "grew_mb": (peak - before) / 1024,
                "ended": sum(digest.by_state.values()),
            }
        )
    )
    app.close()


def databases(sqlite_only: bool) -> Iterator[tuple[str, AbstractContextManager[str]]]:
    yield "SQLite", fresh_sqlite()
    if not sqlite_only:
        yield "PostgreSQL", fresh_postgres(POSTGRES)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    print(
        f"{'database':<11} {'interviews':>10} {'in digest':>9} {'digest s':>9} "
        f"{'peak MB':>8} {'grew MB':>8}",
        flush=True,
    )
    for size in args.interviews:
        for name, database in databases(args.sqlite_only):
            with database as url:
                upgrade(url)
                made(url, size)
                out = subprocess.run(
                    [sys.executable, "-m", "bench.digest", "--measure", url],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                result = json.loads(out.strip().splitlines()[-1])
                print(
                    f"{name:<11} {size:>10} {result['ended']:>9} {result['seconds']:>9.2f} "
                    f"{result['peak_mb']:>8.0f} {result['grew_mb']:>8.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
