"""The HR REST API over HTTP against a real `exitbot serve` (Slack stand-in for looking people
up), with keys made by `exitbot api-key create` as an operator would."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.cli import exitbot
from tests.e2e.test_slack import JANE, Server, start_jane, summaries
from tests.standins.slack import SlackStandIn, wait_for

ALL_SCOPES = (
    "departures:write,interviews:read,interviews:write,reports:read,exports:read,people:erase"
)
PROBLEM = "application/problem+json"


class Api:
    """An HR system's view of ExitBot: the base URL and a key."""

    def __init__(self, server: Server, key: str) -> None:
        self.server, self.key = server, key

    def __call__(self, method: str, path: str, key: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.key}", **kw.pop("headers", {})}
        return self.server.http.request(
            method, f"{self.server.url}/api/v1{path}", headers=headers, **kw
        )

    def push(self, *departures: dict[str, Any], **kw: Any) -> httpx.Response:
        return self("POST", "/departures", json=list(departures), **kw)


def make_key(database_url: str, tmp_path: Path, name: str, scopes: str) -> str:
    made = exitbot(
        "api-key",
        "create",
        "--name",
        name,
        "--scope",
        scopes,
        cwd=tmp_path,
        DATABASE_URL=database_url,
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.split()[-1]


def audit(database_url: str) -> list[tuple[str, str, str]]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT actor, action, subject FROM audit_log ORDER BY id"))
        lines = [(str(a), str(b), str(c)) for a, b, c in found]
    engine.dispose()
    return lines


def serve(slack: SlackStandIn, database_url: str, tmp_path: Path, **settings: str) -> Iterator[Api]:
    key = make_key(database_url, tmp_path, "hris", ALL_SCOPES)

    class Configured(Server):
        def settings(self) -> dict[str, str]:
            return super().settings() | settings

    server = Configured(slack=slack, database_url=database_url, log=tmp_path / "serve.log")
    server.start()
    try:
        yield Api(server, key)
    finally:
        server.stop()


@pytest.fixture
def api(slack: SlackStandIn, database_url: str, tmp_path: Path) -> Iterator[Api]:
    yield from serve(slack, database_url, tmp_path)


@pytest.fixture
def sqlite_api(slack: SlackStandIn, migrated_sqlite: str, tmp_path: Path) -> Iterator[Api]:
    yield from serve(slack, migrated_sqlite, tmp_path)


def is_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# -- keys and scopes ----------------------------------------------------------------------------
def test_only_a_live_key_with_the_scope_gets_in(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    reader = make_key(database_url, tmp_path, "analytics", "interviews:read")
    bare = api.server.http.get(f"{api.server.url}/api/v1/interviews")
    assert is_problem(bare, 401)["detail"].startswith("send an API key")
    assert bare.headers["www-authenticate"] == "Bearer"
    is_problem(api("GET", "/interviews", key="exb_0000_guess"), 401)
    is_problem(api("GET", "/interviews", key=reader[:-1] + "x"), 401)  # right prefix, wrong key
    assert api("GET", "/interviews", key=reader).status_code == 200
    refused = is_problem(api("GET", "/export", key=reader), 403)
    assert refused["detail"] == "this key lacks the scope exports:read"
    is_problem(api.push({"email": "jane@acme.test", "exit_date": "2030-03-27"}, key=reader), 403)

    listed = exitbot("api-key", "list", cwd=tmp_path, DATABASE_URL=database_url).stdout
    assert "analytics\texb_" in listed and reader not in listed  # only the prefix is shown
    revoked = exitbot("api-key", "revoke", "analytics", cwd=tmp_path, DATABASE_URL=database_url)
    assert revoked.returncode == 0
    is_problem(api("GET", "/interviews", key=reader), 401)
    bad = exitbot(
        "api-key",
        "create",
        "--name",
        "x",
        "--scope",
        "interviews:delete",
        cwd=tmp_path,
        DATABASE_URL=database_url,
    )
    assert bad.returncode == 2 and "unknown scope interviews:delete" in bad.stderr
    assert "Traceback" not in bad.stderr


# -- departures -----------------------------------------------------------------------------------
def test_departures_are_placed_one_by_one_and_again_change_nothing(api: Api) -> None:
    first = api.push(
        {"email": "Jane@Acme.test", "exit_date": "2030-03-27", "department": "Support"},
        {"user_id": "ULEO", "exit_date": "2030-04-01", "send_time": "14:00"},
        {"email": "nobody@acme.test", "exit_date": "2030-04-01"},
    )
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["status"] for r in results] == ["scheduled", "scheduled", "rejected"]
    assert results[2]["reason"] == "Slack has no user nobody@acme.test."
    # Leo is in Los Angeles: 14:00 there.
    assert results[1]["due_at"] == "2030-04-01T14:00:00-07:00"
    jane = api("GET", results[0]["links"]["interview"].removeprefix("/api/v1")).json()
    assert (jane["name"], jane["department"], jane["exit_date"]) == (
        "Jane Doe",
        "Support",
        "2030-03-27",
    )

    again = api.push(
        {"email": "jane@acme.test", "exit_date": "2030-03-27"},
        {"user_id": "ULEO", "exit_date": "2030-04-03", "send_time": "14:00"},
    ).json()
    assert [r["status"] for r in again["results"]] == ["unchanged", "moved"]
    assert again["counts"] == {"scheduled": 0, "moved": 1, "unchanged": 1, "rejected": 0}
    assert [i["exit_date"] for i in api("GET", "/interviews").json()["items"]] == [
        "2030-03-27",
        "2030-04-03",
    ]
    single = api("POST", "/departures", json={"user_id": "UMIA", "exit_date": "2030-05-01"})
    assert single.json()["results"][0]["status"] == "scheduled"


def test_a_bad_departure_is_named_by_its_place_and_stores_nothing(api: Api) -> None:
    bad = api.push(
        {"email": "jane@acme.test", "exit_date": "2030-03-27"},
        {"email": "leo@acme.test", "exit_date": "2030-02-30"},
        {"exit_date": "2030-02-01"},
        {"email": "mia@acme.test", "exit_date": "2030-02-01", "send_time": "25:00"},
        {"email": "leo@acme.test", "exit_date": 0},  # not 1 January 1970
    )
    problem = is_problem(bad, 422)
    fields = [e["field"] for e in problem["errors"]]
    assert fields == ["body.1.exit_date", "body.2", "body.3.send_time", "body.4.exit_date"]
    assert "needs an email or a user_id" in problem["errors"][1]["message"]
    assert api("GET", "/interviews").json()["items"] == []
    assert is_problem(api("POST", "/departures", content=b"{nope"), 422)["errors"][0] == {
        "field": "body",
        "message": "not JSON",
    }
    is_problem(api("POST", "/departures", json=[]), 422)


def test_an_idempotency_key_gets_the_first_answer_again(api: Api) -> None:
    jane = {"email": "jane@acme.test", "exit_date": "2030-03-27"}
    first = api.push(jane, headers={"Idempotency-Key": "batch-1"})
    assert first.json()["results"][0]["status"] == "scheduled"
    again = api.push(jane, headers={"Idempotency-Key": "batch-1"})
    assert again.text == first.text  # "scheduled", not "unchanged": the same answer
    assert again.headers["idempotent-replayed"] == "true"
    other = api.push({**jane, "exit_date": "2030-04-01"}, headers={"Idempotency-Key": "batch-1"})
    assert is_problem(other, 422)["errors"][0]["field"] == "header.idempotency-key"
    [interview] = api("GET", "/interviews").json()["items"]
    assert interview["exit_date"] == "2030-03-27"  # the refused request moved nothing


# -- interviews -----------------------------------------------------------------------------------
def test_pages_hold_still_while_interviews_are_added(api: Api) -> None:
    people = ["UJANE", "ULEO", "UMIA", "UGONE", "UHR"]
    api.push(*({"user_id": u, "exit_date": "2030-03-27"} for u in people[:4]))
    first = api("GET", "/interviews", params={"limit": 3}).json()
    assert [i["user_id"] for i in first["items"]] == people[:3]
    assert first["links"]["next"].endswith(f"cursor={first['next']}")
    api.push({"user_id": "UHR", "exit_date": "2030-03-28"})  # added between the pages
    second = api("GET", "/interviews", params={"limit": 3, "cursor": first["next"]}).json()
    assert [i["user_id"] for i in second["items"]] == people[3:]
    assert second["next"] is None and "next" not in second["links"]
    exact = api("GET", "/interviews", params={"limit": 5}).json()
    assert len(exact["items"]) == 5 and exact["next"] is None  # a full last page says so
    assert is_problem(api("GET", "/interviews", params={"cursor": "bm90IGEgY3Vyc29y"}), 400)[
        "errors"
    ] == [{"field": "query.cursor", "message": "not a cursor"}]
    assert (
        is_problem(api("GET", "/interviews", params={"limit": 201}), 422)["errors"][0]["field"]
        == "query.limit"
    )


def test_interviews_filter_by_state_department_and_end(api: Api) -> None:
    api.push(
        {"user_id": "ULEO", "exit_date": "2030-03-27", "department": "Sales"},
        {"user_id": "UMIA", "exit_date": "2030-03-27", "department": "Support"},
    )
    start_jane(api.server)
    api.server.say("stop")
    wait_for(
        lambda: api("GET", "/interviews", params={"state": "DECLINED"}).json()["items"],
        what="Jane's interview to end",
    )
    declined = api("GET", "/interviews", params={"state": "DECLINED"}).json()["items"]
    assert [i["user_id"] for i in declined] == [JANE] and declined[0]["ended_at"]
    sales = api("GET", "/interviews", params={"department": "Sales"}).json()["items"]
    assert [i["user_id"] for i in sales] == ["ULEO"]
    ended = api("GET", "/interviews", params={"ended_since": "2020-01-01T00:00:00Z"}).json()
    assert [i["user_id"] for i in ended["items"]] == [JANE]
    naive = api("GET", "/interviews", params={"ended_since": "2020-01-01T00:00:00"})
    assert is_problem(naive, 422)["errors"][0]["field"] == "query.ended_since"


def test_a_report_needs_its_scope_and_is_audited(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    start_jane(api.server)
    api.server.answer_all()
    # The summary is written after the last answer's commit (a version more): read after it.
    wait_for(lambda: summaries(api.server), what="the HR summary")
    [jane] = api("GET", "/interviews", params={"state": "COMPLETED"}).json()["items"]
    plain = api("GET", f"/interviews/{jane['id']}")
    assert plain.json()["report"] is None and plain.headers["etag"] == f'"{jane["version"]}"'
    reader = make_key(database_url, tmp_path, "analytics", "interviews:read")
    is_problem(api("GET", f"/interviews/{jane['id']}?include=report", key=reader), 403)
    report = api("GET", f"/interviews/{jane['id']}", params={"include": "report"}).json()
    assert report["report"]["outcome"] == "COMPLETED"
    assert any(
        "passed over for promotion" in (line["answer"] or "") for line in report["report"]["lines"]
    )
    assert ("api:hris", "report", f"interview:{jane['id']}") in audit(database_url)
    is_problem(api("GET", "/interviews/nosuchinterview"), 404)


def test_cancel_and_move_need_the_latest_version(api: Api) -> None:
    [placed] = api.push({"user_id": "ULEO", "exit_date": "2030-03-27"}).json()["results"]
    here = f"/interviews/{placed['interview_id']}"
    etag = api("GET", here).headers["etag"]
    is_problem(api("PATCH", here, json={"exit_date": "2030-04-03"}), 428)
    moved = api("PATCH", here, json={"exit_date": "2030-04-03"}, headers={"If-Match": etag})
    assert moved.status_code == 200, moved.text
    assert moved.json()["exit_date"] == "2030-04-03" and moved.headers["etag"] != etag
    assert moved.json()["due_at"] == "2030-04-03T17:00:00Z"  # 10:00 in Los Angeles
    stale = api("PATCH", here, json={"exit_date": "2030-04-10"}, headers={"If-Match": etag})
    assert "changed since" in is_problem(stale, 412)["detail"]
    is_problem(api("PATCH", here, json={"exit_date": "2030-04-10"}, headers={"If-Match": "x"}), 412)
    cancelled = api("POST", f"{here}/cancel")
    assert cancelled.json()["state"] == "CANCELLED"
    assert "nothing to cancel" in is_problem(api("POST", f"{here}/cancel"), 409)["detail"]
    latest = api("GET", here).headers["etag"]
    refused = api("PATCH", here, json={"exit_date": "2030-05-01"}, headers={"If-Match": latest})
    assert "only a scheduled one can move" in is_problem(refused, 409)["detail"]
    is_problem(api("POST", "/interviews/nosuch/cancel"), 404)


def test_cancelling_a_running_interview_tells_the_employee(api: Api) -> None:
    start_jane(api.server)
    [jane] = api("GET", "/interviews", params={"state": "IN_PROGRESS"}).json()["items"]
    before = len(api.server.slack.posts(f"D{JANE}"))
    assert api("POST", f"/interviews/{jane['id']}/cancel").json()["state"] == "CANCELLED"
    wait_for(lambda: len(api.server.slack.posts(f"D{JANE}")) > before, what="Jane to be told")


# -- digest, export, erasure -----------------------------------------------------------------------
def test_digest_and_exports_stream_the_period(api: Api, database_url: str) -> None:
    start_jane(api.server)
    api.server.answer_all()
    wait_for(
        lambda: api("GET", "/digest", params={"days": 7}).json()["by_state"], what="the ending"
    )
    digest = api("GET", "/digest", params={"days": 7}).json()
    assert digest["by_state"] == {"COMPLETED": 1} and digest["response_rate"] == 1.0
    assert digest["reasons"][0]["reason"] == "career_growth"
    as_csv = api("GET", "/export", params={"days": 7})
    assert as_csv.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert (row["user_id"], row["outcome"], row["primary_reason"]) == (
        JANE,
        "COMPLETED",
        "career_growth",
    )
    lines = api("GET", "/export", params={"days": 7, "format": "jsonl"}).text.splitlines()
    assert [json.loads(line)["user_id"] for line in lines] == [JANE]
    exports = [a for a in audit(database_url) if a[1] == "export"]
    assert exports == [("api:hris", "export", "last 7 days, streamed")] * 2
    is_problem(api("GET", "/export", params={"format": "xlsx"}), 422)


def test_erasing_a_person_leaves_only_the_audit_line(api: Api, database_url: str) -> None:
    [placed] = api.push({"email": "leo@acme.test", "exit_date": "2030-03-27"}).json()["results"]
    erased = api("POST", "/people/LEO@acme.test/erase")
    assert erased.json() == {"email": "LEO@acme.test", "erased": 1}
    is_problem(api("GET", f"/interviews/{placed['interview_id']}"), 404)
    assert api("POST", "/people/nobody@acme.test/erase").json()["erased"] == 0
    actions = [(a, b) for a, b, _ in audit(database_url) if b == "forget"]
    assert actions == [("api:hris", "forget")] * 2


def test_control_characters_are_refused_not_a_server_error(api: Api) -> None:
    # PostgreSQL refuses NUL in text: it used to answer 500 here (found by schemathesis).
    refused = api("GET", "/interviews", params={"department": "Sales\x00"})
    assert is_problem(refused, 422)["errors"][0]["field"] == "query.department"
    nul = api.push({"email": "jane@acme.test", "exit_date": "2030-03-27", "manager": "A\x00"})
    assert is_problem(nul, 422)["errors"][0]["field"] == "body.0.manager"
    is_problem(api("POST", "/people/a%00b@acme.test/erase"), 422)
    cursor = base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", "a\\u0000"]').decode()
    is_problem(api("GET", "/interviews", params={"cursor": cursor}), 400)


# -- limits and the description ------------------------------------------------------------------
def test_a_key_over_its_rate_waits_and_big_bodies_are_refused(
    slack: SlackStandIn, migrated_sqlite: str, tmp_path: Path
) -> None:
    for api in serve(
        slack, migrated_sqlite, tmp_path, EXITBOT_API_RATE="60", EXITBOT_API_MAX_BODY="2048"
    ):
        statuses = [api("GET", "/interviews").status_code for _ in range(8)]
        assert statuses[:6] == [200] * 6 and statuses[-1] == 429  # a burst of a tenth
        limited = api("GET", "/interviews")
        assert is_problem(limited, 429) and int(limited.headers["retry-after"]) >= 1
        many = [{"email": f"p{n}@acme.test", "exit_date": "2030-03-27"} for n in range(60)]
        assert "over 2,048 bytes" in is_problem(api.push(*many), 413)["detail"]

        body = json.dumps(many).encode()
        chunked = api("POST", "/departures", content=iter([body[:1000], body[1000:]]))
        is_problem(chunked, 413)


def test_replicas_sharing_redis_count_a_key_together(
    slack: SlackStandIn, migrated_sqlite: str, tmp_path: Path, redis_url: str
) -> None:
    shared = {"EXITBOT_API_RATE": "60", "EXITBOT_REDIS_URL": redis_url}
    first = serve(slack, migrated_sqlite, tmp_path, **shared)
    a = next(first)
    other = a.server.__class__(slack=slack, database_url=migrated_sqlite, log=tmp_path / "b.log")
    other.start()
    try:
        b = Api(other, a.key)
        # A burst of 6 for the key in all: 4 through each replica cannot all pass.
        statuses = [api("GET", "/interviews").status_code for api in (a, b) * 4]
        assert statuses.count(200) == 6 and statuses.count(429) == 2, statuses
    finally:
        other.stop()
        first.close()


def test_the_openapi_description_covers_every_route(sqlite_api: Api) -> None:
    server = sqlite_api.server
    spec = server.http.get(f"{server.url}/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/v1/departures",
        "/api/v1/interviews",
        "/api/v1/interviews/{interview_id}",
        "/api/v1/interviews/{interview_id}/cancel",
        "/api/v1/digest",
        "/api/v1/export",
        "/api/v1/people/{email}/erase",
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["description"] and operation["summary"], (method, path)
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
            assert PROBLEM in operation["responses"]["401"]["content"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    body = spec["paths"]["/api/v1/departures"]["post"]["requestBody"]["content"]
    assert body["application/json"]["example"][0]["email"] == "jane@acme.com"
    assert server.http.get(f"{server.url}/docs").status_code == 200


def test_the_readme_recipe_pushes_an_hris_export(sqlite_api: Api, tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    start = readme.index('#!/usr/bin/env python3\n"""push-departures')
    script = tmp_path / "push-departures"
    script.write_text(readme[start : readme.index("```", start)])
    leavers = tmp_path / "leavers.csv"
    leavers.write_text(
        "email,exit_date,department,manager\n"
        "jane@acme.test,2030-03-27,Support,Sam Boss\n"
        "nobody@acme.test,2030-03-29,,\n"
    )
    env = {"EXITBOT_URL": sqlite_api.server.url, "EXITBOT_API_KEY": sqlite_api.key}
    pushed = subprocess.run(
        [sys.executable, str(script), str(leavers)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert pushed.returncode == 0, pushed.stderr
    assert "'scheduled': 1" in pushed.stdout
    assert pushed.stderr == "row 3: Slack has no user nobody@acme.test.\n"
    [jane] = sqlite_api("GET", "/interviews").json()["items"]
    assert (jane["email"], jane["department"]) == ("jane@acme.test", "Support")
