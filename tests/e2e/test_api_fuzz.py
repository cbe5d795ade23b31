"""Schemathesis against a live `exitbot serve`: thousands of requests generated from the
OpenAPI description (valid and invalid, and chains that follow its links), each answer
checked against the description. No 5xx, no undocumented status, content type, header or
body. Bounded in time; the seed is fixed so that a failure in CI can be replayed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.test_api import ALL_SCOPES, make_key
from tests.e2e.test_slack import Server
from tests.standins.slack import SlackStandIn, person

ST = str(Path(sys.executable).parent / "st")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)


class Unthrottled(Server):
    def settings(self) -> dict[str, str]:
        return super().settings() | {"EXITBOT_API_RATE": "100000"}


def test_the_api_answers_as_its_description_says(database_url: str, tmp_path: Path) -> None:
    # The person in the description's example, so that generated chains reach real interviews.
    jane = person("UJANE", "Jane Doe", tz="Asia/Tokyo")
    jane["profile"]["email"] = "jane@acme.com"
    slack = SlackStandIn(users={"UJANE": jane, "ULEO": person("ULEO", "Leo Park")})
    slack.start()
    key = make_key(database_url, tmp_path, "fuzz", ALL_SCOPES)
    server = Unthrottled(slack=slack, database_url=database_url, log=tmp_path / "serve.log")
    server.start()
    try:
        run = subprocess.run(
            [
                ST,
                "run",
                f"{server.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                CHECKS,
                "--max-examples",
                "30",
                "--max-time",
                "45",
                "--seed",
                "20261203",
                # One worker: two threads of Hypothesis parsing lambdas at once trip CPython's
                # "AST constructor recursion depth mismatch" (a runtime error of the tool).
                "--workers",
                "1",
                "--no-color",
                "--generation-database",
                "none",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp_path,
        )
    finally:
        server.stop()
        slack.stop()
    (tmp_path / "schemathesis.txt").write_text(run.stdout + run.stderr)
    # What failed comes first (the summary after): show that part whole.
    report = run.stdout[run.stdout.find("=====") :]
    assert run.returncode == 0, report[:12000] + run.stderr[-2000:]
    assert " passed" in run.stdout and "generated" in run.stdout
