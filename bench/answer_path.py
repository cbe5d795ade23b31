"""The answer path end to end: a Slack-signed event posted to a real `exitbot serve` ->
stored, acknowledged, handled -> the next question arriving at a loopback Slack Web API.
C employees answer at once, each as soon as their next question arrives. On SQLite and
PostgreSQL; optionally with a model stand-in that answers only after `--model-delay`
seconds (past the analyst's timeout), to show that a hanging model costs only the answer it
was asked about. Prints a table; not a test (run from the repository root).

    python -m bench.answer_path [--interviews 24] [--concurrent 8 100] [--model-delay 10]
        [--sqlite-only | --postgres-only] [--callgrind] [--ceiling]

With --ceiling each run is followed by the same run against bench/ceiling_app.py (a minimal
slack-bolt bot that stores an answer and posts the next question, issue 12's ceiling), in
the same minutes: what this machine can do at all in that hour, beside what ExitBot does.

With --callgrind the bot runs under valgrind's callgrind, counting the instructions it
executes while answering (its start and the interviews' set-up not counted): a figure that
stays put on a shared, noisy machine, where CPU time moves by a third from run to run. For
comparing two versions, not for speed (everything runs some 50 times slower).
"""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.ceiling_app import question
from bench.databases import fresh_postgres, fresh_sqlite
from bot.container import load_bank
from bot.settings import Settings
from tests.e2e.script import ANSWERS
from tests.e2e.test_slack import Server
from tests.standins.openai import OpenAIStandIn, model_says
from tests.standins.slack import SlackStandIn, dm, person, wait_for

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(kw_only=True)
class BenchServer(Server):
    model_url: str | None = None
    handlers: int | None = None
    processes: int | None = None
    # Where callgrind writes its counts (None: not under callgrind).
    callgrind: Path | None = None

    def argv(self) -> list[str]:
        if self.callgrind is None:
            return super().argv()
        # Counting starts when the answering does (`callgrind_control -i on`).
        return [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={self.callgrind}",
            *super().argv(),
        ]

    def counting(self, on: bool) -> None:
        assert self.process is not None
        flag = ["-i", "on"] if on else ["-d"]
        subprocess.run(
            ["callgrind_control", *flag, str(self.process.pid)], check=True, capture_output=True
        )

    def instructions(self) -> int:
        """Instructions counted since counting began (the last dump's total)."""
        dumps = sorted(
            self.callgrind.parent.glob(self.callgrind.name + "*"),  # type: ignore[union-attr]
            key=lambda path: path.stat().st_mtime,
        )
        for line in dumps[-1].read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
        raise RuntimeError("no totals in callgrind's dump")

    def settings(self) -> dict[str, str]:
        # What is measured is the bot's own path: no pacing under a workspace's post limit
        # (bench/fanout measures that), as the stand-in here enforces none.
        settings = super().settings() | {"EXITBOT_SLACK_RATE": "1000"}
        if self.handlers:
            settings["EXITBOT_HANDLERS"] = str(self.handlers)
        if self.processes:
            settings["EXITBOT_PROCESSES"] = str(self.processes)
        if self.model_url:
            settings |= {"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": self.model_url}
        return settings


@dataclass(kw_only=True)
class CeilingServer(Server):
    """bench/ceiling_app.py with the settings `exitbot serve` would get."""

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "bench.ceiling_app"]

    def begin(self, users: list[str]) -> None:
        """The first question, posted as if the bot had (the ceiling has no commands)."""
        client = WebClient(token="xoxb-test", base_url=self.slack.api_url)
        for user in users:
            client.chat_postMessage(channel=f"D{user}", text="first", blocks=question(user, 0))


@dataclass
class Run:
    """Seconds from each event posted to the next question; per kind of answer."""

    probed: list[float] = field(default_factory=list)  # answers a model may be asked about
    others: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)  # event posted -> HTTP 200
    errors: int = 0
    wall: float = 0.0
    cpu: float = 0.0  # seconds of CPU the bot's processes used while answering
    # ...and this process (the employees and the stand-ins of Slack and of the model)
    harness_cpu: float = 0.0
    database_cpu: float | None = None  # ...and PostgreSQL's server processes for it
    instructions: int | None = None  # executed while answering (under callgrind)
    failures: list[str] = field(default_factory=list)  # what each error was


def process_cpu() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds (user + system), from /proc."""
    found: dict[int, tuple[int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name is in brackets and may hold spaces: fields follow the last ')'.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return found


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and every live descendant."""
    processes = process_cpu()
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (parent, _) in processes.items() if parent in tree} - tree
        grew = bool(more)
        tree |= more
    return sum(processes[pid][1] for pid in tree if pid in processes)


class DatabaseCpu:
    """CPU seconds of the PostgreSQL server processes serving one database (the server
    runs on this machine): what each answer costs the database, beside the bot's own."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, poolclass=NullPool)
        self.start: dict[int, float] = {}

    def backends(self) -> dict[int, float]:
        with self.engine.connect() as connection:
            pids = connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            processes = process_cpu()
            return {pid: processes[pid][1] for pid in pids if pid in processes}

    def begin(self) -> None:
        self.start = self.backends()

    def used(self) -> float:
        """Since `begin`, by the backends alive now (one that ended meanwhile is missed)."""
        try:
            return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.backends().items())
        finally:
            self.engine.dispose()


def probe_questions() -> set[str]:
    bank = load_bank(Settings(DATABASE_URL="sqlite://"))  # type: ignore[call-arg]
    return {q.id for q in bank.questions if q.probe}


def measure(
    url: str,
    interviews: int,
    concurrent: int,
    model_delay: float | None,
    handlers: int | None,
    processes: int | None = None,
    callgrind: bool = False,
    ceiling: bool = False,
) -> Run:
    users = [f"UB{n:04d}" for n in range(interviews)]
    slack = SlackStandIn(users={u: person(u, f"Bench {u}") for u in users})
    slack.start()
    model = None
    if model_delay is not None:
        model = OpenAIStandIn()
        model.answers = [model_says({"ask": False}, delay=model_delay) for _ in range(10_000)]
        model.start()
    probed = probe_questions()
    run = Run()
    with tempfile.TemporaryDirectory() as folder:
        server: Server
        if ceiling:
            server = CeilingServer(slack=slack, database_url=url, log=Path(folder) / "serve.log")
        else:
            server = BenchServer(
                slack=slack,
                database_url=url,
                log=Path(folder) / "serve.log",
                model_url=model.url if model else None,
                handlers=handlers,
                processes=processes,
                callgrind=Path(folder) / "callgrind.out" if callgrind else None,
                start_seconds=600 if callgrind else 30,
            )
        server.start()
        try:
            if isinstance(server, CeilingServer):
                server.begin(users)
            else:
                for user in users:
                    server.command(f"start <@{user}|bench>")
            for user in users:
                wait_for(lambda u=user: slack.waiting_for(u) is not None, timeout=120)
            todo: queue.Queue[str] = queue.Queue()
            for user in users:
                todo.put(user)
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
                        problem = ""
                        try:
                            status = server.event(dm(user, ANSWERS[question])).status_code
                        except Exception as exc:
                            status, problem = 0, repr(exc)
                        acked = time.perf_counter()
                        if status != 200 or not slack.wait_for_post(f"D{user}", before):
                            with lock:
                                run.errors += 1
                                run.failures.append(
                                    f"{user} answering {question}: "
                                    + (
                                        f"HTTP {status} {problem}"
                                        if status != 200
                                        else "no next message in 30 s"
                                    )
                                )
                            break
                        took = time.perf_counter() - started
                        with lock:
                            run.acks.append(acked - started)
                            (run.probed if question in probed else run.others).append(took)

            threads = [threading.Thread(target=employee) for _ in range(concurrent)]
            assert server.process is not None
            database = DatabaseCpu(url) if url.startswith("postgresql") else None
            if database:
                database.begin()
            cpu_before = tree_cpu(server.process.pid)
            harness_before = time.process_time()
            if callgrind:
                assert isinstance(server, BenchServer)
                server.counting(on=True)
            # For a profiler to attach to the bot for the answering alone.
            print(f"answering: bot pid {server.process.pid}", file=sys.stderr, flush=True)
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            run.wall = time.perf_counter() - began
            run.cpu = tree_cpu(server.process.pid) - cpu_before
            run.harness_cpu = time.process_time() - harness_before
            if database:
                run.database_cpu = database.used()
            if callgrind:
                assert isinstance(server, BenchServer)
                server.counting(on=False)
                run.instructions = server.instructions()
            return run
        finally:
            if run.failures:
                kept = Path(tempfile.gettempdir()) / f"answer_path-{server.port}.log"
                kept.write_bytes(server.log.read_bytes())
                run.failures.append(f"the bot's log: {kept}")
            server.stop()
            slack.stop()
            if model is not None:
                model.stop()


def pct(timings: list[float], p: float) -> float:
    ordered = sorted(timings)
    return ordered[max(0, int(len(ordered) * p) - 1)] * 1000 if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=24)
    parser.add_argument("--concurrent", type=int, nargs="+", default=[8, 100])
    parser.add_argument(
        "--model-delay", type=float, help="also run with a model answering after this long"
    )
    parser.add_argument("--handlers", type=int, help="EXITBOT_HANDLERS (default: the bot's)")
    parser.add_argument("--processes", type=int, help="EXITBOT_PROCESSES (default: 1)")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument(
        "--callgrind", action="store_true", help="count the bot's instructions per answer"
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="after each run, the same against a minimal bolt bot (bench/ceiling_app.py)",
    )
    args = parser.parse_args()
    databases = []
    if not args.postgres_only:
        databases.append(("SQLite", lambda: fresh_sqlite()))
    if not args.sqlite_only:
        databases.append(("PostgreSQL", lambda: fresh_postgres(args.postgres)))
    models: list[float | None] = [None]
    if args.model_delay is not None:
        models.append(args.model_delay)
    header = (
        f"{'database':<11}{'C':>4} {'model':>7} {'answers':>8} {'answers/s':>10} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'ack p50':>8} "
        f"{'ack p99':>8} {'cpu ms':>7} {'harness':>8} {'db ms':>7} {'errors':>7}"
    )
    print(header, flush=True)
    for name, database in databases:
        for concurrent in args.concurrent:
            runs: list[tuple[float | None, bool]] = [(delay, False) for delay in models]
            if args.ceiling:
                runs.append((None, True))
            for delay, ceiling in runs:
                with database() as url:
                    run = measure(
                        url,
                        max(args.interviews, concurrent),
                        concurrent,
                        delay,
                        args.handlers,
                        args.processes,
                        args.callgrind and not ceiling,
                        ceiling,
                    )
                report(name, concurrent, delay, run, "ceiling" if ceiling else "")


def report(name: str, concurrent: int, delay: float | None, run: Run, what: str) -> None:
    """The run's rows of the table: all answers, and with a model the probed and the rest."""
    model = "none" if delay is None else f"{delay:g} s"
    rows = [(what, run.probed + run.others)]
    if delay is not None:
        rows += [("  probed", run.probed), ("  others", run.others)]
    answered = len(run.probed) + len(run.others)
    for number, (label, timings) in enumerate(rows):
        rate = len(timings) / run.wall if run.wall else 0.0
        whole = answered and number == 0
        shown_cpu = f"{run.cpu * 1000 / answered:.1f}" if whole else ""
        harness = f"{run.harness_cpu * 1000 / answered:.1f}" if whole else ""
        db = (
            f"{run.database_cpu * 1000 / answered:.1f}"
            if whole and run.database_cpu is not None
            else ""
        )
        print(
            f"{name:<11}{concurrent:>4} {model:>7} {len(timings):>8} {rate:>10.0f} "
            f"{pct(timings, 0.5):>8.1f} {pct(timings, 0.95):>8.1f} "
            f"{pct(timings, 0.99):>8.1f} {pct(timings, 1.0):>8.1f} "
            f"{pct(run.acks, 0.5):>8.1f} {pct(run.acks, 0.99):>8.1f} "
            f"{shown_cpu:>7} {harness:>8} {db:>7} {run.errors:>7}  {label}",
            flush=True,
        )
    for failure in run.failures:
        print(f"  error: {failure}")
    if run.instructions is not None and answered:
        print(f"  {run.instructions / answered / 1e6:.2f} M instructions per answer")


if __name__ == "__main__":
    main()
