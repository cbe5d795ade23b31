"""The HR API's export over a year of history, end to end: N finished interviews (made as
bench/digest makes them), a real `exitbot serve`, a key from `exitbot api-key create`, and
`GET /api/v1/export?days=365` streamed as CSV and as JSON lines. Shows the rows received,
the time, and the serving process's memory before and at its peak (VmHWM), to show that
an export is streamed rather than held. On SQLite and PostgreSQL. Prints a table; not a
test (run from the repository root).

    python -m bench.api_export [--interviews 100000] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from bench.answer_path import BenchServer
from bench.digest import databases, made
from bot.migrate import upgrade
from tests.e2e.test_api import ALL_SCOPES, make_key
from tests.standins.slack import SlackStandIn


def memory_mb(pid: int, field: str) -> float:
    """A line of /proc/PID/status (VmRSS now, VmHWM the peak so far), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, nargs="+", default=[100_000])
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    print(
        f"{'database':<11} {'interviews':>10} {'format':>6} {'rows':>7} {'seconds':>8} "
        f"{'rows/s':>7} {'RSS before MB':>13} {'peak MB':>8}",
        flush=True,
    )
    for size in args.interviews:
        for name, database in databases(args.sqlite_only):
            with database as url, tempfile.TemporaryDirectory() as folder:
                upgrade(url)
                made(url, size)
                key = make_key(url, Path(folder), "bench", ALL_SCOPES)
                slack = SlackStandIn(users={})
                slack.start()
                server = BenchServer(slack=slack, database_url=url, log=Path(folder) / "log")
                server.start()
                try:
                    assert server.process is not None
                    pid = server.process.pid
                    headers = {"Authorization": f"Bearer {key}"}
                    for form in ("csv", "jsonl"):
                        before = memory_mb(pid, "VmRSS")
                        started = time.perf_counter()
                        lines = 0
                        with httpx.stream(
                            "GET",
                            f"{server.url}/api/v1/export",
                            params={"days": 365, "format": form},
                            headers=headers,
                            timeout=600,
                        ) as response:
                            response.raise_for_status()
                            for _ in response.iter_lines():
                                lines += 1
                        took = time.perf_counter() - started
                        rows = lines - (form == "csv")  # the header
                        print(
                            f"{name:<11} {size:>10} {form:>6} {rows:>7} {took:>8.1f} "
                            f"{rows / took:>7.0f} {before:>13.0f} {memory_mb(pid, 'VmHWM'):>8.0f}",
                            flush=True,
                        )
                finally:
                    server.stop()
                    slack.stop()


if __name__ == "__main__":
    main()
