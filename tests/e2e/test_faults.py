"""Faults, through real `exitbot serve` processes on PostgreSQL: the database cut while
people answer, Slack failing and throttling, the process killed mid-burst. Each test counts
what the stand-ins received and what the database holds: nothing lost, nothing doubled.

How the real services behave, which these tests play:
- Slack retries an Events API request that got no 200 within 3 s, up to three times (at
  once, after 1 minute, after 5 minutes), with `X-Slack-Retry-Num`; it never retries a 200,
  a slash command or a button click.
- The Bot Framework treats a 5xx from the bot as a failed delivery and may send the activity
  again; a Teams user sees the message as not delivered meanwhile."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.intake import TROUBLE
from tests.e2e.script import ANSWERS
from tests.e2e.test_slack import HR, JANE, Server, serve_slack, start_jane, summaries
from tests.e2e.test_teams import TeamsServer
from tests.standins.slack import Failure, SlackStandIn, command_body, dm, wait_for
from tests.standins.tcp_proxy import TcpProxy
from tests.standins.teams import TeamsStandIn, activity

pytestmark = pytest.mark.postgres
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
_ids = itertools.count(1)


@pytest.fixture
def proxy(migrated_postgres: str) -> Iterator[TcpProxy]:
    port = make_url(migrated_postgres).port or 5432
    tcp = TcpProxy(port)
    tcp.start()
    yield tcp
    tcp.stop()


@pytest.fixture
def through_proxy(migrated_postgres: str, proxy: TcpProxy) -> str:
    """The test database, reached through the proxy the test can cut."""
    return make_url(migrated_postgres).set(port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture
def server(slack: SlackStandIn, through_proxy: str, tmp_path: Path) -> Iterator[Server]:
    yield from serve_slack(slack, through_proxy, tmp_path)


def rows(url: str, query: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(query)))
    finally:
        engine.dispose()


def questions_asked(slack: SlackStandIn, user: str = JANE) -> list[str]:
    return [
        str(b["block_id"]).removeprefix("exitbot_q_")
        for p in slack.posts(f"D{user}")
        for b in (p.get("blocks") or [])
        if str(b.get("block_id", "")).startswith("exitbot_q_")
    ]


def event_id() -> str:
    return f"EvFault{next(_ids):06d}"


def test_a_database_outage_loses_no_message_and_doubles_none(
    server: Server, proxy: TcpProxy, migrated_postgres: str
) -> None:
    start_jane(server)
    server.say(ANSWERS["primary_reason"])
    # One answer just before the cut: it is stored (200) and handled before or after it.
    in_flight = (event_id(), dm(JANE, ANSWERS["trigger"]))
    assert server.event(in_flight[1], event_id=in_flight[0]).status_code == 200
    proxy.cut()
    during = [
        (event_id(), dm(JANE, ANSWERS[q]))
        for q in ("manager_rating", "growth_rating", "recognition_rating")
    ]
    for eid, event in during:
        assert server.event(event, event_id=eid).status_code == 503  # Slack will send it again
    hook = f"{server.slack.base}/hooks/outage"
    refused = server.post(command_body(HR, "list", hook), "application/x-www-form-urlencoded")
    assert refused.status_code == 200 and refused.json()["text"] == TROUBLE
    time.sleep(8)  # the outage goes on
    proxy.restore()
    # Slack's retries: until one gets its 200.
    for eid, event in during:
        wait_for(
            lambda e=event, i=eid: server.event(e, event_id=i, **RETRY).status_code == 200,
            timeout=30,
            what="the database to come back",
        )
    wait_for(lambda: server.slack.waiting_for(JANE) == "workload", timeout=60, what="every answer")
    time.sleep(1.5)
    answered = rows(
        migrated_postgres, "SELECT question_id, value FROM answers ORDER BY question_id"
    )
    assert sorted(q for q, _ in answered) == sorted(list(ANSWERS)[:5])
    assert dict(answered)["trigger"] == ANSWERS["trigger"]
    assert questions_asked(server.slack) == list(ANSWERS)[:6]  # each asked once, in order
    left = rows(migrated_postgres, "SELECT count(*) FROM inbox WHERE processed_at IS NULL")
    assert left == [(0,)]
    log = server.log.read_text()
    assert "Traceback" not in log
    # One line per loop per outage, not one per second.
    assert log.count("retrying quietly") <= 8, log.count("retrying quietly")
    assert ANSWERS["trigger"] not in log and "criteria were never" not in log


def test_slack_failing_and_throttling_loses_and_doubles_nothing(server: Server) -> None:
    storm = [
        Failure(500, {"ok": False, "error": "internal_error"}),
        Failure(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
        Failure(503, {"ok": False, "error": "service_unavailable"}),
    ] * 4
    server.slack.failures["chat.postMessage"] = list(storm)
    assert "Started" in server.command("start <@UJANE|jane>")
    # slack-sdk retries a few at once; the outbox backs off (2 s, 4 s, 8 s...) for the rest.
    wait_for(
        lambda: server.slack.waiting_for(JANE) == "primary_reason",
        timeout=90,
        what="the first question, through the storm",
    )
    assert server.answer_all() == list(ANSWERS)
    wait_for(lambda: summaries(server), timeout=30, what="the HR summary")
    time.sleep(1.5)
    assert questions_asked(server.slack) == list(ANSWERS)
    assert len(summaries(server)) == 1
    assert len(server.slack.refused) == len(storm)


def test_kill_9_in_a_burst_of_answers_loses_and_doubles_nothing(
    server: Server, migrated_postgres: str
) -> None:
    people = {"UJANE": "jane", "ULEO": "leo", "UMIA": "mia"}
    for user, name in people.items():
        assert "Started" in server.command(f"start <@{user}|{name}>")
    for user in people:
        wait_for(lambda u=user: server.slack.waiting_for(u) == "primary_reason")
    script = [ANSWERS[q] for q in list(ANSWERS)[:4]]
    burst = [(user, event_id(), dm(user, answer)) for answer in script for user in people]
    acknowledged: set[str] = set()

    def send_all() -> None:
        for _user, eid, event in burst:
            try:
                if server.event(event, event_id=eid).status_code == 200:
                    acknowledged.add(eid)
            except httpx.HTTPError:
                pass  # the process is gone: Slack will retry this one

    sender = threading.Thread(target=send_all)
    sender.start()
    wait_for(lambda: len(acknowledged) >= 4, what="part of the burst")
    server.kill()
    sender.join()
    server.start()
    for _user, eid, event in burst:  # Slack retries what got no 200, in its order
        if eid not in acknowledged:
            assert server.event(event, event_id=eid, **RETRY).status_code == 200
    for user in people:
        # What the killed process had leased waits for its lease to run out: 30 s for a
        # request being handled, 120 s for a message being sent.
        wait_for(
            lambda u=user: server.slack.waiting_for(u) == list(ANSWERS)[4],
            timeout=160,
            what=f"{user}'s answers",
        )
    counts = rows(
        migrated_postgres,
        "SELECT p.user_id, count(*) FROM answers a JOIN interviews i ON a.interview_id = i.id "
        "JOIN people p ON i.person_id = p.id GROUP BY p.user_id",
    )
    assert dict(counts) == dict.fromkeys(people, 4)
    for user in people:
        asked = questions_asked(server.slack, user)
        # Each question at least once and in order; a message being sent at the very moment
        # of the kill may go twice (Slack has no idempotency key), nothing else may.
        assert [q for n, q in enumerate(asked) if q not in asked[:n]] == list(ANSWERS)[:5]
        assert len(asked) <= 6, asked


def test_teams_gets_503_while_the_database_is_out_and_its_retry_is_handled_once(
    teams: TeamsStandIn, through_proxy: str, proxy: TcpProxy, tmp_path: Path
) -> None:
    process = TeamsServer(teams=teams, database_url=through_proxy, log=tmp_path / "serve.log")
    process.start()
    teams.open_conversation("a:stranger", "29:stranger")
    try:
        message = activity(teams.url, "a:stranger", "stranger", "Sam Stranger", text="hello")
        proxy.cut()
        assert process.post(message).status_code == 503
        proxy.restore()
        wait_for(
            lambda: process.post(message).status_code == 202,
            timeout=30,
            what="the database to come back",
        )
        assert process.post(message).status_code == 202  # one more retry: nothing new
        time.sleep(1.5)
        replies = [a for a in teams.to("a:stranger") if a.get("text")]
        assert len(replies) == 1, json.dumps(replies)[:500]
        assert "Traceback" not in process.log.read_text()
    finally:
        process.stop()
