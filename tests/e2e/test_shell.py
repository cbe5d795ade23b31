"""HR tasks from the shell: `exitbot schedule`, `import` and `export`, looking people up in a
loopback stand-in of Slack."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.e2e.cli import exitbot
from tests.standins.graph import GraphStandIn
from tests.standins.slack import SlackStandIn


def run(
    tmp_path: Path, slack: SlackStandIn, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        **env,
    }
    return exitbot(*args, cwd=tmp_path, **settings)


def rows(tmp_path: Path, query: str) -> list[tuple[object, ...]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        found = [tuple(r) for r in connection.execute(text(query))]
    engine.dispose()
    return found


DEPARTURES = """\
email,exit_date,department,manager
jane@acme.test,2030-03-29,Support,Sam Boss
ULEO,2030-03-29,,
mia@acme.test,2030-02-30,Sales,
nobody@acme.test,2030-04-01,Sales,
,2030-04-01,,
"""


def test_import_keeps_good_rows_and_names_the_bad_lines(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    (tmp_path / "departures.csv").write_text(DEPARTURES)
    result = run(tmp_path, slack, "import", "departures.csv")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "departures.csv: line 4: “2030-02-30” is not a date: February 2030 has 28 days.",
        "departures.csv: line 5: Slack has no user nobody@acme.test.",
        "departures.csv: line 6: needs a person (e-mail or user id) and an exit date",
    ]
    assert result.stdout.startswith(
        "Scheduled 2 exit interviews from departures.csv.\n3 lines had problems"
    )
    scheduled = rows(
        tmp_path,
        "SELECT p.user_id, p.department, p.manager, i.state, i.exit_date, i.due_at "
        "FROM interviews i JOIN people p ON p.id = i.person_id ORDER BY p.user_id",
    )
    assert scheduled == [
        ("UJANE", "Support", "Sam Boss", "SCHEDULED", "2030-03-29", "2030-03-29 01:00:00.000000"),
        ("ULEO", None, None, "SCHEDULED", "2030-03-29", "2030-03-29 17:00:00.000000"),
    ]
    # Everyone at once (users.list, 1,000 a call, Tier 2), not a users.lookupByEmail (Tier 3,
    # ~50 a minute) per row: 10,000 rows took hours.
    methods = [m for m, _ in slack.calls]
    assert methods.count("users.list") == 1 and "users.lookupByEmail" not in methods
    again = run(tmp_path, slack, "import", "departures.csv")  # after fixing nothing: no doubles
    assert again.returncode == 2
    assert len(rows(tmp_path, "SELECT id FROM interviews")) == 2


def test_lead_days_skip_the_weekend(tmp_path: Path, slack: SlackStandIn) -> None:
    result = run(
        tmp_path, slack, "schedule", "UJANE", "2030-03-25", EXITBOT_LEAD_DAYS="2"
    )  # a Monday
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "Scheduled Jane Doe's exit interview for Thu 21 Mar 2030 10:00 (Asia/Tokyo), "
        "2 working days before their exit date (Mon 25 Mar)."
    )


def test_schedule_bad_input_is_one_line(tmp_path: Path, slack: SlackStandIn) -> None:
    result = run(tmp_path, slack, "schedule", "jane@acme.test", "2030-02-30")
    assert result.returncode == 2
    assert result.stderr == "exitbot: “2030-02-30” is not a date: February 2030 has 28 days.\n"
    no_slack = run(tmp_path, slack, "schedule", "UJANE", "2030-03-25", SLACK_BOT_TOKEN="")
    assert no_slack.returncode == 2
    assert no_slack.stderr == "exitbot: SLACK_BOT_TOKEN: needed to look people up in Slack\n"


def test_export_prints_csv_and_is_audited(tmp_path: Path, slack: SlackStandIn) -> None:
    result = run(tmp_path, slack, "export", "7")
    assert result.returncode == 0, result.stderr
    # With a byte order mark, so that Excel reads names as UTF-8.
    assert result.stdout.startswith("\ufeffinterview_id,employee,user_id,department,manager")
    [(actor, action)] = rows(tmp_path, "SELECT actor, action FROM audit_log")
    assert str(actor).startswith("shell:") and action == "export"
    written = run(tmp_path, slack, "export", "-o", "out.csv")
    assert written.returncode == 0
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbfinterview_id,")


MIXED = """\
email,exit_date,department,platform
jane@acme.test,2030-03-29,Support,teams
never@acme.test,2030-03-29,,
ULEO,2030-03-29,,slack
,,,
nobody@acme.test,2030-04-01,,teams
"""


def test_a_company_on_both_platforms_imports_teams_and_slack_leavers_from_one_file(
    tmp_path: Path, slack: SlackStandIn, graph: GraphStandIn
) -> None:
    """Teams leavers are found in Microsoft Graph (their mailbox's zone), Slack's in Slack;
    rows without a platform go where --platform says, and without it HR are asked to say."""
    graph.timezones["aad-never"] = "Tokyo Standard Time"
    teams = {"EXITBOT_TEAMS_DEV": "1", "EXITBOT_GRAPH_URL": graph.url}
    (tmp_path / "departures.csv").write_text(MIXED)
    unsure = run(tmp_path, slack, "import", "departures.csv", **teams)
    assert unsure.returncode == 2
    assert unsure.stderr.strip() == (
        "exitbot: --platform: both Slack and Teams are set up; say which (slack or teams)"
    )
    result = run(tmp_path, slack, "import", "departures.csv", "--platform", "teams", **teams)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "departures.csv: line 6: Teams has no user nobody@acme.test."
    ]
    assert result.stdout.startswith("Scheduled 3 exit interviews from departures.csv.")
    scheduled = rows(
        tmp_path,
        "SELECT p.platform, p.user_id, p.timezone, i.due_at FROM interviews i "
        "JOIN people p ON p.id = i.person_id ORDER BY p.user_id",
    )
    assert scheduled == [
        ("slack", "ULEO", "America/Los_Angeles", "2030-03-29 17:00:00.000000"),
        ("teams", "aad-jane", "America/Los_Angeles", "2030-03-29 17:00:00.000000"),
        ("teams", "aad-never", "Asia/Tokyo", "2030-03-29 01:00:00.000000"),
    ]


def test_schedule_a_teams_leaver_from_the_shell(
    tmp_path: Path, slack: SlackStandIn, graph: GraphStandIn
) -> None:
    teams = {"EXITBOT_TEAMS_DEV": "1", "EXITBOT_GRAPH_URL": graph.url}
    only_teams = exitbot(  # a Teams-only company: no Slack setting at all
        "schedule",
        "jane@acme.test",
        "2030-03-29",
        cwd=tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        **teams,
    )
    assert only_teams.returncode == 0, only_teams.stderr
    assert "Jane Doe" in only_teams.stdout and "America/Los_Angeles" in only_teams.stdout
    chosen = run(
        tmp_path, slack, "schedule", "never@acme.test", "2030-03-29", "--platform", "teams", **teams
    )
    assert chosen.returncode == 0, chosen.stderr
    assert rows(tmp_path, "SELECT platform, user_id FROM people ORDER BY user_id") == [
        ("teams", "aad-jane"),
        ("teams", "aad-never"),
    ]


def test_import_reads_a_semicolon_file_without_a_header_and_counts_each_person_once(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    # As a spreadsheet in most of Europe saves it: semicolons, no header, a bad first date.
    (tmp_path / "leavers.csv").write_text(
        "jane@acme.test;31/02/2030;Support\n"
        "leo@acme.test;2030-03-29;Sales\n"
        "mia@acme.test;2030-03-29;Sales\n"
        "leo@acme.test;2030-03-29;Sales\n"  # the same row again: counted once
        "mia@acme.test;2030-04-05;Sales\n"  # a correction appended: the later date
    )
    result = run(tmp_path, slack, "import", "leavers.csv")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "leavers.csv: line 1: “31/02/2030” is not a date: write it as YYYY-MM-DD, e.g. 2026-03-27.",
    ]
    assert result.stdout.startswith("Scheduled 2 exit interviews from leavers.csv.")
    scheduled = rows(
        tmp_path,
        "SELECT p.user_id, p.department, i.exit_date FROM interviews i "
        "JOIN people p ON p.id = i.person_id ORDER BY p.user_id",
    )
    assert scheduled == [("ULEO", "Sales", "2030-03-29"), ("UMIA", "Sales", "2030-04-05")]


def test_import_of_a_latin_1_file_says_to_save_it_as_utf_8(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    (tmp_path / "latin.csv").write_bytes(
        "email,exit_date\nleo@acme.test,2030-03-29\njosé@acme.test,2030-03-29\n".encode("latin-1")
    )
    result = run(tmp_path, slack, "import", "latin.csv")
    assert result.returncode == 2
    assert result.stderr == (
        "exitbot: latin.csv: line 3 is not UTF-8 text (a spreadsheet's older encoding?): save "
        "the file as CSV UTF-8 (Excel: Save As, CSV UTF-8) and import it again\n"
    )
    assert not (tmp_path / "x.db").exists()  # refused before anything was scheduled


def test_import_with_a_token_slack_refuses_says_so_once(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    (tmp_path / "leavers.csv").write_text(
        "email,exit_date\n" + "".join(f"p{n}@acme.test,2030-03-29\n" for n in range(5))
    )
    result = run(tmp_path, slack, "import", "leavers.csv", SLACK_BOT_TOKEN="xoxb-revoked")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "leavers.csv: Slack refused ExitBot's token (invalid_auth): check SLACK_BOT_TOKEN and "
        "the app's scopes (users:read, users:read.email)."
    ]
    looked_up = [m for m, _ in slack.calls if m.startswith("users.")]
    assert looked_up == []  # refused at the first call: nothing answered, nothing retried


def test_schedule_refuses_an_exit_date_long_past_unless_told_now(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    result = run(tmp_path, slack, "schedule", "UJANE", "2019-01-01")
    assert result.returncode == 2
    assert result.stderr == (
        "exitbot: 2019-01-01 is more than 30 days ago, and the interview would go out at once: "
        "check the date, or use `start @person` to interview them now.\n"
    )
    assert not rows(tmp_path, "SELECT id FROM interviews")
    meant = run(tmp_path, slack, "schedule", "UJANE", "2019-01-01", "--now")
    assert meant.returncode == 0, meant.stderr
    assert "That time has already passed, so it goes out within a minute." in meant.stdout
    assert rows(tmp_path, "SELECT exit_date FROM interviews") == [("2019-01-01",)]
