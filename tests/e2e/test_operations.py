"""What an operator meets, through real `exitbot serve` processes: probes, metrics, logs,
replicas starting at once on a fresh database, and a schema left to `exitbot migrate`."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from tests.e2e.cli import EXITBOT, environment
from tests.e2e.script import ANSWERS
from tests.e2e.server import ServeProcess
from tests.e2e.test_replicas import TwoProcesses
from tests.e2e.test_slack import JANE, Server, start_jane, summaries
from tests.standins.openai import OpenAIStandIn, model_says
from tests.standins.slack import SlackStandIn, dm, wait_for
from tests.standins.tcp_proxy import TcpProxy

# What Jane types that is her own words (not a number or a button's label).
HER_WORDS = [answer for answer in ANSWERS.values() if len(answer.split()) > 3]


def scrape(server: ServeProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, parsed by prometheus-client's own parser."""
    response = httpx.get(f"{server.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@dataclass(kw_only=True)
class JsonLogServer(Server):
    """Slack's `exitbot serve` logging JSON at DEBUG, the most it ever says."""

    def settings(self) -> dict[str, str]:
        return {
            **super().settings(),
            "EXITBOT_LOG_FORMAT": "json",
            "EXITBOT_LOG_LEVEL": "debug",
            "EXITBOT_REPLICA": "replica-a",
            "EXITBOT_ACCESS_LOG": "1",
        }


@pytest.fixture
def json_server(slack: SlackStandIn, migrated_sqlite: str, tmp_path: Path) -> Iterator[Server]:
    server = JsonLogServer(slack=slack, database_url=migrated_sqlite, log=tmp_path / "serve.log")
    server.start()
    yield server
    server.stop()


def test_metrics_parse_and_move_as_an_interview_runs(json_server: Server) -> None:
    server = json_server
    before = scrape(server)
    assert value(before, "exitbot_database_up") == 1
    assert value(before, "exitbot_interviews", state="COMPLETED") == 0
    start_jane(server)
    server.answer_all()
    wait_for(lambda: summaries(server), what="the HR summary")
    # A platform's retry of an answer already handled: counted as a duplicate, handled once.
    retried = dm(JANE, "a retry")
    assert server.event(retried, "EvRetry1").status_code == 200
    assert server.event(retried, "EvRetry1").status_code == 200

    def moved() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        after = scrape(server)
        counted = value(after, "exitbot_inbound_duplicates_total", platform="slack")
        # The retried answer's reply is committed before Slack's 200, posted just after.
        return (
            after if counted and not value(after, "exitbot_outbox_messages", lane="reply") else None
        )

    after = wait_for(moved, what="the duplicate counted and the reply to it sent")
    assert value(after, "exitbot_inbound_duplicates_total", platform="slack") == 1
    assert value(after, "exitbot_interviews", state="COMPLETED") == 1
    assert value(after, "exitbot_interviews", state="IN_PROGRESS") == 0
    sent = value(after, "exitbot_messages_sent_total", platform="slack")
    assert sent >= len(ANSWERS) + 2  # the intro, a reply to each answer, HR's summary
    handled = value(after, "exitbot_answer_seconds_count", platform="slack")
    assert handled >= len(ANSWERS)
    assert value(after, "exitbot_answer_seconds_bucket", platform="slack", le="+Inf") == handled
    assert value(after, "exitbot_outbox_messages", lane="reply") == 0
    assert ("exitbot_outbox_oldest_seconds", (("lane", "bulk"),)) in after


def test_json_logs_parse_line_by_line_carry_ids_and_no_employee_words(
    json_server: Server,
) -> None:
    server = json_server
    start_jane(server)
    server.answer_all()
    wait_for(lambda: summaries(server), what="the HR summary")
    server.stop()
    lines = [line for line in server.log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, uvicorn's included
    assert all({"time", "level", "logger", "message", "replica"} <= set(r) for r in records)
    assert {r["replica"] for r in records} == {"replica-a"}
    assert any(r["logger"].startswith("uvicorn") for r in records)
    # Asked for, each request has its access line (off by default: see below).
    assert any("POST /slack/events" in r["message"] for r in records)
    handled = [r for r in records if r["message"].startswith("handled a stored request")]
    assert all(r["platform"] == "slack" and r["event_id"] for r in handled)
    # Her answers are Slack events (Ev...); HR's command has an id of its own.
    assert len([r for r in handled if r["event_id"].startswith("Ev")]) == len(ANSWERS)
    # Once her interview is known, the lines of her requests name it.
    assert {r.get("interview_id") for r in handled} - {None}
    log = server.log.read_text()
    for words in HER_WORDS:
        assert words not in log
        assert json.dumps(words)[1:-1] not in log


@pytest.mark.postgres
def test_readiness_follows_the_database(
    slack: SlackStandIn, migrated_postgres: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(make_url(migrated_postgres).port or 5432)
    proxy.start()
    through = make_url(migrated_postgres).set(port=proxy.port).render_as_string(False)
    server = Server(slack=slack, database_url=through, log=tmp_path / "serve.log")
    try:
        server.start()
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ready",
            "database": "ok",
            "migrations": "current",
            "workers": "ok",
        }
        proxy.cut()
        cut = httpx.get(f"{server.url}/readyz", timeout=30)
        assert cut.status_code == 503
        assert cut.json()["database"] == "unreachable"
        assert httpx.get(f"{server.url}/livez", timeout=10).status_code == 200
        assert value(scrape(server), "exitbot_database_up") == 0
        time.sleep(4)  # every loop (handlers, senders, sweeps) tries the database meanwhile
        proxy.restore()
        wait_for(
            lambda: httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200,
            what="ready again",
        )
        # An outage is a line when each loop starts failing, not a traceback a second.
        log = server.log.read_text()
        assert "Traceback" not in log
        assert len(re.findall(r" (WARNING|ERROR) ", log)) <= 8
    finally:
        server.stop()
        proxy.stop()


@pytest.mark.postgres
def test_three_replicas_started_at_once_on_a_fresh_database_all_come_up(
    slack: SlackStandIn, empty_postgres: str, tmp_path: Path
) -> None:
    servers = [
        Server(slack=slack, database_url=empty_postgres, log=tmp_path / f"serve-{n}.log")
        for n in range(3)
    ]
    try:
        for server in servers:
            server.spawn()  # all three migrate at once
        waits = [threading.Thread(target=server.wait_healthy) for server in servers]
        for wait in waits:
            wait.start()
        for wait in waits:
            wait.join()
        for server in servers:
            assert server.process is not None and server.process.poll() is None
            assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
            assert "Traceback" not in server.log.read_text()
    finally:
        for server in servers:
            server.stop()


def test_a_replica_started_with_no_migrate_waits_for_the_migrate_job(
    slack: SlackStandIn, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    server = Server(slack=slack, database_url=url, log=tmp_path / "serve.log")
    env = environment(DATABASE_URL=url, EXITBOT_PORT=str(server.port), **server.settings())
    with server.log.open("ab") as log:
        server.process = subprocess.Popen(
            [EXITBOT, "serve", "--no-migrate"], env=env, stdout=log, stderr=log
        )
    try:
        wait_for(lambda: "waiting for `exitbot migrate`" in server.log.read_text(), what="a wait")
        assert server.process.poll() is None  # waiting, not crashed
        assert _status(server, "/healthz") == 0  # and serving nothing yet
        migrate = subprocess.run(
            [EXITBOT, "migrate"], env=environment(DATABASE_URL=url), capture_output=True
        )
        assert migrate.returncode == 0, migrate.stderr
        server.wait_healthy()
        assert _status(server, "/readyz") == 200
    finally:
        server.stop()


def _status(server: ServeProcess, path: str) -> int:
    try:
        return httpx.get(f"{server.url}{path}", timeout=5).status_code
    except httpx.HTTPError:
        return 0


@pytest.mark.postgres
def test_two_processes_answer_a_scrape_with_both_their_counts(
    slack: SlackStandIn, migrated_postgres: str, tmp_path: Path
) -> None:
    server = TwoProcesses(slack=slack, database_url=migrated_postgres, log=tmp_path / "s.log")
    server.start()
    try:
        start_jane(server)
        server.answer_all()
        wait_for(lambda: summaries(server), what="the HR summary")
        # Each scrape reaches either process; each answers with what both sent.
        sent = {
            value(scrape(server), "exitbot_messages_sent_total", platform="slack") for _ in range(8)
        }
        assert len(sent) == 1
        assert sent.pop() >= len(ANSWERS) + 2
    finally:
        server.stop()


@dataclass(kw_only=True)
class ModelServer(Server):
    """Slack's `exitbot serve` with a model that takes longer than its timeout."""

    model_url: str

    def settings(self) -> dict[str, str]:
        return super().settings() | {
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": self.model_url,
            "EXITBOT_LLM_TIMEOUT": "1",
        }


def test_model_calls_timeouts_and_the_open_breaker_are_counted(
    slack: SlackStandIn, llm: OpenAIStandIn, migrated_sqlite: str, tmp_path: Path
) -> None:
    # Every answer comes after the 1 s timeout (the client's own retries included).
    llm.answers += [model_says({"ask": False}, delay=1.5) for _ in range(12)]
    server = ModelServer(
        slack=slack, database_url=migrated_sqlite, log=tmp_path / "serve.log", model_url=llm.url
    )
    server.start()
    try:
        before = scrape(server)
        assert value(before, "exitbot_llm_breaker_open") == 0
        start_jane(server)
        server.answer_all()
        wait_for(lambda: summaries(server), what="the HR summary (offline)")
        after = scrape(server)
        # Three timeouts open the breaker; from then on the model is not called at all.
        assert value(after, "exitbot_llm_seconds_count", outcome="timeout") == 3
        assert value(after, "exitbot_llm_seconds_count", outcome="refused") >= 1
        assert value(after, "exitbot_llm_seconds_count", outcome="ok") == 0
        assert value(after, "exitbot_llm_breaker_open") == 1
        assert server.log.read_text().count("circuit open") == 1
    finally:
        server.stop()
