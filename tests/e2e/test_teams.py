"""`exitbot serve` over Teams: Bot Framework activities as Teams sends them, posted to
POST /api/messages with EXITBOT_TEAMS_DEV=1, replies and proactive sends going to a loopback
stand-in of the connector named in `serviceUrl`."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.teams.cards import escape
from core.hr import REFUSAL, SENT_PRIVATELY
from core.wording import STRANGER as STRANGER_REPLY
from tests.e2e.script import ANSWERS
from tests.e2e.server import ServeProcess
from tests.standins.graph import CATALOG_APP, GraphStandIn
from tests.standins.microsoft_login import BOT_FRAMEWORK_ISSUER, MicrosoftLogin
from tests.standins.slack import wait_for
from tests.standins.teams import TeamsStandIn, activity, bot_mention, mention

HR_CHANNEL = "19:hr@thread.tacv2"
APP_ID = "00000000-0000-0000-0000-000000000001"
CHOICE_VALUES = {"1": "career_growth", "about right": "about_right", "yes": "yes"}


@dataclass(kw_only=True)
class TeamsServer(ServeProcess):
    teams: TeamsStandIn
    graph: GraphStandIn | None = None
    dev: bool = True
    login: MicrosoftLogin | None = None
    tenant: str | None = None

    def settings(self) -> dict[str, str]:
        common = {"EXITBOT_TEAMS_HR_CHANNEL": HR_CHANNEL, "EXITBOT_HR_USERS": "aad-hr"}
        if self.graph:
            common |= {"EXITBOT_GRAPH_URL": self.graph.url, "EXITBOT_TEAMS_APP_ID": CATALOG_APP}
        if self.dev:
            return {**common, "EXITBOT_TEAMS_DEV": "1"}
        return {
            **common,
            **(self.login.environment() if self.login else {}),
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": "secret",
            **({"MICROSOFT_APP_TENANT_ID": self.tenant} if self.tenant else {}),
        }

    def post(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return self.http.post(f"{self.url}/api/messages", json=body, headers=headers)

    def install(
        self,
        conversation: str,
        user: str,
        name: str,
        conversation_type: str = "personal",
        members: tuple[str, ...] = (),
    ) -> None:
        """ExitBot added to a conversation by `user`, with them and `members` in it."""
        self.teams.open_conversation(conversation, *(f"29:{u}" for u in (user, *members)))
        if self.graph:
            self.graph.installed.add(f"aad-{user}")
        update = activity(
            self.teams.url,
            conversation,
            user,
            name,
            kind="conversationUpdate",
            conversation_type=conversation_type,
            membersAdded=[{"id": "28:exitbot"}],
        )
        assert self.post(update).status_code == 202

    def say(self, conversation: str, user: str, name: str, text: str, **fields: Any) -> None:
        """Post a message and wait for ExitBot's next message (card updates do not count)."""

        def messages() -> int:
            return sum(1 for kind, _, _ in self.teams.sent if kind != "update")

        before = messages()
        message = activity(self.teams.url, conversation, user, name, text=text, **fields)
        assert self.post(message).status_code == 202
        wait_for(lambda: messages() > before, what=f"a reply to {text[:30]!r}")

    def in_channel(self, user: str, name: str, command: str, *mentioned: tuple[str, str]) -> None:
        """`@ExitBot command` typed in the HR channel, mentioning these (user, name)."""
        self.say(
            HR_CHANNEL,
            user,
            name,
            f"<at>ExitBot</at> {command}",
            conversation_type="channel",
            entities=[bot_mention(), *(mention(u, n) for u, n in mentioned)],
        )

    def submit(self, user: str, name: str, value: str, conversation: str = "") -> None:
        conversation = conversation or f"a:{user}"
        card = next(
            a for a in reversed(self.teams.to(conversation, "send")) if a.get("attachments")
        )
        content = card["attachments"][0]["content"]
        rows = [b["actions"] for b in content["body"] if b["type"] == "ActionSet"]
        buttons = [a for row in [content.get("actions", []), *rows] for a in row]
        data = next((a["data"] for a in buttons if a["data"].get("v") == value), None)
        if data is None:  # a long list: the choice set and one Answer button
            data = {**content["actions"][0]["data"], "v": value}
        self.say(conversation, user, name, "", value=data, replyToId=card["id"])


@pytest.fixture
def server(
    teams: TeamsStandIn, graph: GraphStandIn, migrated_sqlite: str, tmp_path: Path
) -> Iterator[TeamsServer]:
    process = TeamsServer(
        teams=teams, graph=graph, database_url=migrated_sqlite, log=tmp_path / "serve.log"
    )
    process.start()
    process.install(
        HR_CHANNEL, "hr", "Harriet Rowe", conversation_type="channel", members=("jane",)
    )
    for user, name in (("hr", "Harriet Rowe"), ("jane", "Jane Doe")):
        process.install(f"a:{user}", user, name)
    yield process
    process.stop()


def texts(activities: list[dict[str, Any]]) -> str:
    return json.dumps(activities)


def start_jane(server: TeamsServer) -> None:
    """HR in their personal chat with ExitBot start Jane by e-mail (Microsoft Graph)."""
    server.say("a:hr", "hr", "Harriet Rowe", "start jane@acme.test")
    assert "Started Jane Doe" in texts(server.teams.to("a:hr", "reply"))
    wait_for(
        lambda: server.teams.waiting_for("a:jane") == "primary_reason", what="the first question"
    )


def answer_everything(server: TeamsServer, user: str, name: str, conversation: str) -> list[str]:
    """Answer each question as it comes (buttons where there are some); the questions."""
    asked = []
    while (question := server.teams.waiting_for(conversation)) is not None:
        asked.append(question)
        answer = ANSWERS[question]
        if question in (
            "primary_reason",
            "workload",
            "would_return",
            "manager_rating",
            "recommend",
        ):
            server.submit(user, name, CHOICE_VALUES.get(answer, answer), conversation)
        else:
            server.say(conversation, user, name, answer)
    return asked


def test_a_whole_interview_in_teams(server: TeamsServer, teams: TeamsStandIn) -> None:
    start_jane(server)
    intro = teams.to("a:jane", "send")[0]
    assert intro["text"].startswith("Hi Jane, I'm ExitBot.")
    assert answer_everything(server, "jane", "Jane Doe", "a:jane") == list(ANSWERS)
    assert len(teams.to("a:jane", "update")) == 5  # each clicked card shows its answer
    summary = wait_for(
        lambda: [c for c in teams.cards(HR_CHANNEL) if "Exit interview: Jane Doe" in json.dumps(c)],
        what="the HR summary",
    )
    assert "Career growth" in json.dumps(summary)


def test_a_report_of_long_answers_reaches_hr_whole_in_several_messages(
    server: TeamsServer, teams: TeamsStandIn
) -> None:
    """Pages of answers made one 115 KB activity, over Teams' limit: the report now comes in
    as many messages as it takes, each one Teams takes, every word in order."""
    start_jane(server)
    long = {  # no markdown characters: what HR read is then exactly what Jane wrote
        q: " ".join(f"Ångström wörd {n} for {q.replace('_', ' ')}" for n in range(450))
        for q in ("trigger", "team_culture", "retention", "advice")
    }
    # A reason named, so that no follow-up comes between the questions.
    long["trigger"] = "The pay. " + long["trigger"]
    while (question := teams.waiting_for("a:jane")) is not None:
        answer = long.get(question) or ANSWERS[question]
        if question in long:
            server.say("a:jane", "jane", "Jane Doe", answer)
        else:
            server.submit("jane", "Jane Doe", CHOICE_VALUES.get(answer, answer))
    before = len(teams.to("a:hr", "reply"))
    server.say("a:hr", "hr", "Harriet Rowe", "report jane@acme.test")
    wait_for(lambda: len(teams.to("a:hr", "reply")) >= before + 2, what="the report's messages")
    time.sleep(0.5)  # the rest of them
    parts = teams.to("a:hr", "reply")[before:]
    assert len(parts) >= 3
    texts = [
        block.get("text", "")
        for part in parts
        for block in part["attachments"][0]["content"]["body"]
        if block.get("type") == "TextBlock"
    ]
    # Read across the messages, without their "(part k of n)" lines; a long answer goes on
    # in the next text block, so words are compared, not the spaces between blocks.
    shown = "".join("".join(t.split()) for t in texts if not re.search(r"\(part \d+ of \d+\)$", t))
    words = {q: "".join(a.split()) for q, a in long.items()}
    for question, answer in words.items():
        assert answer in shown, question  # whole, not cut
    # In the transcript, in the order asked (the report opens with "what would have kept
    # them", so each answer's last place is its transcript line).
    at = [shown.rindex(words[q]) for q in words]
    assert at == sorted(at)


def test_employee_words_reach_hr_escaped(server: TeamsServer, teams: TeamsStandIn) -> None:
    start_jane(server)
    server.submit("jane", "Jane Doe", "career_growth")
    server.say(
        "a:jane", "jane", "Jane Doe", "See [my doc](http://evil.test) **now** because # reasons."
    )
    server.say("a:jane", "jane", "Jane Doe", "stop")
    [summary] = wait_for(
        lambda: [c for c in teams.cards(HR_CHANNEL) if "Exit interview" in json.dumps(c)],
        what="the HR summary",
    )
    dumped = json.dumps(summary)
    assert "[my doc](http" not in dumped and "\\\\[my doc\\\\](http" in dumped
    assert "\\\\*\\\\*now\\\\*\\\\*" in dumped and "\\\\# reasons" in dumped


def test_hr_commands_from_someone_else_are_refused(
    server: TeamsServer, teams: TeamsStandIn
) -> None:
    start_jane(server)
    server.in_channel("jane", "Jane Doe", "report <at>Jane Doe</at>", ("jane", "Jane Doe"))
    reply = teams.to(HR_CHANNEL, "reply")[-1]
    assert reply["text"] == escape(SENT_PRIVATELY)
    assert teams.to("a:jane", "send")[-1]["text"] == escape(REFUSAL)
    server.install("a:stranger", "stranger", "Sam Stranger")
    server.say("a:stranger", "stranger", "Sam Stranger", "report")
    assert teams.to("a:stranger")[-1]["text"] == escape(STRANGER_REPLY)


def test_hr_output_asked_for_in_a_channel_reaches_only_the_asker(
    server: TeamsServer, teams: TeamsStandIn
) -> None:
    start_jane(server)
    server.submit("jane", "Jane Doe", "career_growth")
    server.say("a:jane", "jane", "Jane Doe", "My manager took credit for my launch.")
    server.say("a:jane", "jane", "Jane Doe", "stop")
    wait_for(lambda: teams.cards(HR_CHANNEL), what="the HR summary")
    for command in ("report <at>Jane Doe</at>", "list", "status <at>Jane Doe</at>", "export"):
        before = len(teams.to("a:hr", "send"))
        jane = [("jane", "Jane Doe")] if "<at>" in command else []
        server.in_channel("hr", "Harriet Rowe", command, *jane)
        assert teams.to(HR_CHANNEL, "reply")[-1]["text"] == escape(SENT_PRIVATELY)
        wait_for(lambda b=before: len(teams.to("a:hr", "send")) > b, what=f"{command} privately")
    channel = texts(teams.to(HR_CHANNEL, "reply"))
    assert "took credit" not in channel and "Jane Doe" not in channel
    assert "took credit" in texts(teams.to("a:hr", "send"))


def test_a_blocked_bot_makes_the_interview_unreachable(
    server: TeamsServer, teams: TeamsStandIn
) -> None:
    server.install("a:gone", "gone", "Gone Person")
    teams.failing["a:gone"] = 403
    server.say("a:hr", "hr", "Harriet Rowe", "start gone@acme.test")
    summary = wait_for(
        lambda: [
            c for c in teams.cards(HR_CHANNEL) if "Exit interview: Gone Person" in json.dumps(c)
        ],
        what="HR being told",
    )
    assert "Could not be reached" in json.dumps(summary)


NEVER_CHAT = "19:aad-never_exitbot@unq.gbl.spaces"


def test_a_leaver_who_never_opened_exitbot_is_installed_and_interviewed(
    server: TeamsServer, teams: TeamsStandIn, graph: GraphStandIn
) -> None:
    """Most leavers never opened ExitBot: it installs itself in their personal scope through
    Graph and talks to them in the chat that opens."""
    server.say("a:hr", "hr", "Harriet Rowe", "start never@acme.test")
    assert "Started Nell Never" in texts(teams.to("a:hr", "reply"))
    wait_for(lambda: teams.waiting_for(NEVER_CHAT) == "primary_reason", what="the first question")
    assert "aad-never" in graph.installed
    assert teams.to(NEVER_CHAT, "send")[0]["text"].startswith("Hi Nell, I'm ExitBot.")
    assert answer_everything(server, "never", "Nell Never", NEVER_CHAT) == list(ANSWERS)
    summary = wait_for(
        lambda: [
            c for c in teams.cards(HR_CHANNEL) if "Exit interview: Nell Never" in json.dumps(c)
        ],
        what="the HR summary",
    )
    assert "Career growth" in json.dumps(summary)


def test_a_leaver_the_app_is_blocked_for_is_unreachable_and_hr_read_why(
    server: TeamsServer, teams: TeamsStandIn, graph: GraphStandIn
) -> None:
    graph.blocked.add("aad-never")
    server.say("a:hr", "hr", "Harriet Rowe", "start never@acme.test")
    summary = wait_for(
        lambda: [c for c in teams.cards(HR_CHANNEL) if "Nell Never" in json.dumps(c)],
        what="HR being told",
    )
    told = json.dumps(summary)
    assert "Could not be reached" in told and "App is blocked by app permission policy" in told
    assert "TenantId" not in told  # Graph's ids are not for HR
    assert teams.to(NEVER_CHAT) == [] and "aad-never" not in graph.installed


def test_hr_find_people_by_e_mail_anywhere_and_by_mention_only_where_they_are(
    server: TeamsServer, teams: TeamsStandIn, graph: GraphStandIn
) -> None:
    """Teams' roster holds only a conversation's members: Jane cannot be mentioned into
    HR's personal chat, but her e-mail finds her through Graph, with her mailbox's zone."""
    graph.timezones["aad-jane"] = "W. Europe Standard Time"
    graph.departments["aad-jane"] = "Logistics"
    server.say(
        "a:hr",
        "hr",
        "Harriet Rowe",
        "schedule <at>Jane Doe</at> 2031-03-14",
        entities=[mention("jane", "Jane Doe")],
    )
    assert "no user 29:jane in this conversation" in teams.to("a:hr", "reply")[-1]["text"]
    server.say("a:hr", "hr", "Harriet Rowe", "schedule jane@acme.test 2031-03-14 09:30")
    reply = teams.to("a:hr", "reply")[-1]["text"]
    assert "Jane Doe" in reply and "09:30" in reply and "Europe/Berlin" in reply
    server.say("a:hr", "hr", "Harriet Rowe", "schedule nobody@acme.test 2031-03-14")
    assert "Teams has no user nobody@acme.test" in teams.to("a:hr", "reply")[-1]["text"]
    # In a channel she is in, a mention finds her.
    server.in_channel("hr", "Harriet Rowe", "status <at>Jane Doe</at>", ("jane", "Jane Doe"))
    wait_for(
        lambda: "Jane Doe" in texts(teams.to("a:hr", "send")[-1:]), what="her status privately"
    )


def test_in_production_a_never_installed_leaver_is_reached_with_the_bots_own_tokens(
    teams: TeamsStandIn, graph: GraphStandIn, migrated_sqlite: str, tmp_path: Path
) -> None:
    """Without dev mode, end to end: HR's signed command, Graph called with an app-only
    token from the company's tenant, the connector with the bot's token from the Bot
    Framework's, the app installed for Nell and her first question in the chat it opened."""
    login = MicrosoftLogin()
    login.start()
    teams.token = "app-token-api.botframework.com"
    graph.token = "app-token-graph.microsoft.com"
    process = TeamsServer(
        teams=teams,
        graph=graph,
        dev=False,
        login=login,
        database_url=migrated_sqlite,
        log=tmp_path / "serve.log",
        tenant="tenant-1",
    )
    process.start()
    try:
        signed = {"Authorization": f"Bearer {login.bot_framework_token(APP_ID, teams.url)}"}
        teams.open_conversation("a:hr", "29:hr")
        update = activity(
            teams.url,
            "a:hr",
            "hr",
            "Harriet Rowe",
            kind="conversationUpdate",
            membersAdded=[{"id": "28:exitbot"}],
        )
        assert process.post(update, **signed).status_code == 202
        command = activity(teams.url, "a:hr", "hr", "Harriet Rowe", text="start never@acme.test")
        assert process.post(command, **signed).status_code == 202
        wait_for(lambda: teams.waiting_for(NEVER_CHAT) == "primary_reason", what="her question")
        assert "Started Nell Never" in texts(teams.to("a:hr", "reply"))
        assert {(t["tenant"], t["scope"]) for t in login.issued} == {
            ("botframework.com", "https://api.botframework.com/.default"),
            ("tenant-1", "https://graph.microsoft.com/.default"),
        }
        assert "Traceback" not in process.log.read_text()
    finally:
        process.stop()
        login.stop()


def test_in_production_only_the_bot_framework_gets_in(
    teams: TeamsStandIn, migrated_sqlite: str, tmp_path: Path
) -> None:
    """Without dev mode the Agents SDK checks every request's token against the Bot
    Framework's published keys, and the bot gets its own token to answer with."""
    login = MicrosoftLogin()
    login.start()
    teams.token = "app-token-api.botframework.com"  # the connector takes only the bot's token
    teams.open_conversation("a:jane", "29:jane")
    process = TeamsServer(
        teams=teams,
        dev=False,
        login=login,
        database_url=migrated_sqlite,
        log=tmp_path / "serve.log",
    )
    process.start()
    try:
        message = activity(teams.url, "a:jane", "jane", "Jane Doe", text="hello")

        def bearer(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        def signed(**changes: Any) -> dict[str, str]:
            return bearer(login.bot_framework_token(APP_ID, teams.url, **changes))

        unsigned = jwt.encode(
            {"iss": BOT_FRAMEWORK_ISSUER, "aud": APP_ID, "serviceurl": teams.url},
            key="",
            algorithm="none",
            headers={"kid": login.kid},
        )
        refused = {
            "no token": {},
            "not a token": bearer("forged.token.here"),
            "unsigned": bearer(unsigned),
            "expired (past the 5 minutes of skew)": signed(expires_in=-600),
            "for another bot": bearer(login.bot_framework_token("another-bot", teams.url)),
            "signed with another key": signed(key=rsa.generate_private_key(65537, 2048)),
            "no key id": signed(headers={}),
            "for another connector": bearer(
                login.bot_framework_token(APP_ID, "https://elsewhere.example/")
            ),
        }
        for why, headers in refused.items():
            assert process.post(message, **headers).status_code == 401, why
        assert teams.sent == []
        assert process.post(message, **signed()).status_code == 202
        wait_for(lambda: teams.to("a:jane"), what="ExitBot's answer")
        assert STRANGER_REPLY[:20] in texts(teams.to("a:jane"))
        assert [(t["client_id"], t["tenant"]) for t in login.issued][:1] == [
            (APP_ID, "botframework.com")
        ]
        assert "Traceback" not in process.log.read_text()
    finally:
        process.stop()
        login.stop()
