"""The databases a benchmark runs on: a fresh SQLite file and a fresh PostgreSQL database
(dropped afterwards)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def fresh_sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"exitbot_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def print_table(
    rows: list[tuple[str, list[float]]], seconds: dict[str, float] | None = None
) -> None:
    """Latencies per row: count, p50, p95, p99, max (ms), and the rate (per wall second
    when given, else per second of summed latency)."""
    columns = ("answers", "p50 ms", "p95 ms", "p99 ms", "max ms", "answers/s")
    print(f"{'database':<22} " + " ".join(f"{c:>9}" for c in columns))
    for label, timings in rows:
        ordered = sorted(timings)

        def pct(p: float, ordered: list[float] = ordered) -> float:
            return ordered[max(0, int(len(ordered) * p) - 1)] * 1000

        wall = (seconds or {}).get(label) or sum(timings)
        print(
            f"{label:<22} {len(timings):>9} {pct(0.5):>9.1f} {pct(0.95):>9.1f} "
            f"{pct(0.99):>9.1f} {ordered[-1] * 1000:>9.1f} {len(timings) / wall:>9.0f}"
        )
