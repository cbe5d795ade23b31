"""A whole interview in Spanish and in German, over Slack and over Teams, through real
`exitbot serve` processes: typed answers, buttons, the control words, `later` with a time and
the closing in the employee's language; HR's summary quotes them verbatim with a model's
translation beside it (a loopback OpenAI stand-in that reads the prompt)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_slack import HR_CHANNEL as SLACK_HR_CHANNEL
from tests.e2e.test_slack import Server
from tests.e2e.test_teams import HR_CHANNEL as TEAMS_HR_CHANNEL
from tests.e2e.test_teams import TeamsServer
from tests.standins.graph import GraphStandIn
from tests.standins.openai import Answer, OpenAIStandIn, model_says
from tests.standins.slack import SlackStandIn, person, wait_for
from tests.standins.teams import TeamsStandIn

CHOSEN = {"primary_reason": "career_growth"}  # clicked, not typed


@dataclass(frozen=True)
class Script:
    """One employee's interview in their language, and what ExitBot should say in it."""

    language: str
    name: str
    intro: str  # how the intro starts
    controls: str  # a piece of the message on the control words
    answers: dict[str, str]
    back: str
    skip: str
    later: str
    paused: str  # a piece of the answer to `later`
    hello: str  # any message, after the pause
    welcome_back: str
    before: str  # a piece of the note under a question revisited
    closing: str
    # The follow-up the model asks after the first open answer, and what is said to it.
    followup: str
    followup_answer: str
    # What the model stand-in gives as each answer's English.
    english: dict[str, str] = field(default_factory=dict)


SPANISH = Script(
    language="es",
    name="José García",
    intro="Hola, José: soy ExitBot.",
    controls="“saltar” para pasar una pregunta",
    answers={
        "trigger": "Me pasaron por alto para un ascenso dos veces porque los criterios nunca "
        "estuvieron por escrito.",
        "manager_rating": "4 de 5",
        "growth_rating": "2",
        "recognition_rating": "3",
        "workload": "adecuada",
        "team_culture": "Mantendría la amabilidad del equipo y cambiaría lo lento que se toman "
        "las decisiones.",
        "retention": "Un camino claro hacia ingeniero sénior, porque es lo que pedí en cada "
        "revisión.",
        "would_return": "sí",
        "recommend": "8",
        "advice": "Escriban cómo funcionan los ascensos, porque nadie supo explicármelo.",
    },
    back="atrás",
    skip="saltar",
    later="más tarde mañana a las 15:00",
    paused="Volveré a escribirte mañana a las 15:00",
    hello="hola",
    welcome_back="¡Hola de nuevo! Aquí es donde lo dejamos:",
    before="Respondiste: 2/5.",
    closing="Eso es todo. Gracias, José.",
    followup="¿Qué criterios te habría gustado ver por escrito?",
    followup_answer="Los años de experiencia y los proyectos que se esperan para cada nivel.",
    english={
        "¿Qué criterios te habría gustado ver por escrito?": (
            "Which criteria would you have liked to see in writing?"
        ),
        "Un camino claro hacia ingeniero sénior, porque es lo que pedí en cada revisión.": (
            "A clear path to senior engineer, because that is what I asked for at every review."
        ),
    },
)
GERMAN = Script(
    language="de",
    name="Jonas Weber",
    intro="Hallo Jonas, ich bin ExitBot.",
    controls="„überspringen“ schreiben, um eine Frage auszulassen",
    answers={
        "trigger": "Ich wurde zweimal bei der Beförderung übergangen, weil die Kriterien nie "
        "aufgeschrieben waren.",
        "manager_rating": "4 von 5",
        "growth_rating": "2",
        "recognition_rating": "3",
        "workload": "genau richtig",
        "team_culture": "Ich würde die Freundlichkeit im Team behalten und ändern, wie langsam "
        "Entscheidungen fallen.",
        "retention": "Ein klarer Weg zum Senior-Ingenieur, denn darum habe ich in jedem "
        "Gespräch gebeten.",
        "would_return": "ja",
        "recommend": "8",
        "advice": "Schreibt auf, wie Beförderungen funktionieren, denn niemand konnte es mir "
        "sagen.",
    },
    back="zurück",
    skip="überspringen",
    later="später morgen 15 Uhr",
    paused="Ich melde mich morgen um 15:00",
    hello="hallo",
    welcome_back="Schön, dass du wieder da bist! Hier waren wir stehen geblieben:",
    before="Deine Antwort war: 2/5.",
    closing="Das war alles. Danke, Jonas.",
    followup="Welche Kriterien hättest du gern schriftlich gesehen?",
    followup_answer="Die Berufsjahre und die Projekte, die für jede Stufe erwartet werden.",
    english={
        "Welche Kriterien hättest du gern schriftlich gesehen?": (
            "Which criteria would you have liked to see in writing?"
        ),
        "Ein klarer Weg zum Senior-Ingenieur, denn darum habe ich in jedem Gespräch gebeten.": (
            "A clear path to senior engineer, because that is what I asked for in every talk."
        ),
    },
)
SCRIPTS = {"es": SPANISH, "de": GERMAN}
_ENTRY = re.compile(r"^\[(\d+)\] Q: .*\nA: (.*)$", re.MULTILINE)


def translating_model(script: Script) -> Any:
    """A model that asks one follow-up (in the employee's language) after the first open
    answer and, asked for a summary, quotes that answer and translates each answer and the
    follow-up (with the script's English, else marked)."""
    decisions = 0

    def respond(body: dict[str, Any]) -> Answer:
        nonlocal decisions
        schema = body.get("response_format", {}).get("json_schema", {}).get("schema", {})
        if "translations" not in schema.get("properties", {}):
            decisions += 1
            ask = decisions == 1
            question = script.followup if ask else None
            return model_says({"ask": ask, "question": question, "serious": False})
        prompt = body["messages"][-1]["content"]
        entries = [(int(n), text) for n, text in _ENTRY.findall(prompt)]
        followup = next(int(n) for n, text in entries if text == script.answers["trigger"])
        return model_says(
            {
                "primary_reason": "career_growth",
                "secondary_reasons": [],
                "sentiment": "mixed",
                "quotes": [script.answers["trigger"]],
                "kept_by": None,
                "would_return": True,
                "regrettable_loss": None,
                "disclosures": [],
                "signals": [],
                "suggested_action": None,
                "translations": [
                    *(
                        {
                            "answer": n,
                            "part": "answer",
                            "translation": script.english.get(text, f"(in English) {text}"),
                        }
                        for n, text in entries
                    ),
                    {
                        "answer": followup,
                        "part": "followup_question",
                        "translation": script.english[script.followup],
                    },
                    {
                        "answer": followup,
                        "part": "followup_answer",
                        "translation": f"(in English) {script.followup_answer}",
                    },
                ],
            }
        )

    return respond


def settled(count: Callable[[], int], quiet: float = 0.3) -> None:
    """Wait until no message has come for `quiet` seconds: the whole of a reply is in."""
    seen, since = count(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        if count() != seen:
            seen, since = count(), time.monotonic()


def model_settings(llm: OpenAIStandIn) -> dict[str, str]:
    return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": llm.url, "EXITBOT_HR_LANGUAGE": "en"}


@dataclass(kw_only=True)
class WithModel:
    """A serve process that also talks to the model stand-in."""

    model: dict[str, str] = field(default_factory=dict)

    def settings(self) -> dict[str, str]:
        platform: dict[str, str] = super().settings()  # type: ignore[misc]
        return platform | self.model


# -- Slack --------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class SlackWithModel(WithModel, Server):
    pass


@pytest.fixture(params=["es", "de"])
def slack_run(
    request: pytest.FixtureRequest,
    slack: SlackStandIn,
    llm: OpenAIStandIn,
    migrated_sqlite: str,
    tmp_path: Path,
) -> Iterator[tuple[Script, SlackWithModel]]:
    script = SCRIPTS[request.param]
    # José's Slack is set to Spanish; Jonas's to English (HR choose German for him).
    locale = "es-ES" if script.language == "es" else "en-GB"
    slack.users["UEMP"] = person("UEMP", script.name, tz="Europe/Madrid", locale=locale)
    llm.respond = translating_model(script)
    server = SlackWithModel(
        slack=slack,
        database_url=migrated_sqlite,
        log=tmp_path / "serve.log",
        model=model_settings(llm),
    )
    server.start()
    yield script, server
    server.stop()


def slack_texts(slack: SlackStandIn, since: int = 0) -> list[str]:
    """Each message to the employee as it reads: its text and every block's text."""
    texts = []
    for post in slack.posts("DUEMP")[since:]:
        blocks = post.get("blocks") or []
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        parts = [str(post.get("text", ""))]
        for block in blocks:
            parts += [str(block.get("text", {}).get("text", ""))]
            parts += [str(e.get("text", "")) for e in block.get("elements", [])]
        texts.append("\n".join(parts))
    return texts


def test_a_whole_interview_in_spanish_and_german_over_slack(
    slack_run: tuple[Script, SlackWithModel], slack: SlackStandIn
) -> None:
    script, server = slack_run
    flag = "" if script.language == "es" else " --lang de"
    started = server.command(f"start <@UEMP|emp>{flag}")
    assert f"Started {script.name}'s exit interview (in {script.language})" in started
    wait_for(lambda: slack.waiting_for("UEMP") == "primary_reason", what="the first question")
    opening = slack_texts(slack)
    assert opening[0].startswith(script.intro)
    assert any(script.controls in text for text in opening)
    labels = [b["text"]["text"] for b in slack.buttons("UEMP")]
    assert labels[0] == (
        "Crecimiento profesional" if script.language == "es" else "Berufliche Entwicklung"
    )

    def say(text: str) -> str:
        """Everything ExitBot answered to `text` (a reply may be several messages)."""
        before = len(slack.posts("DUEMP"))
        server.say(text, "UEMP")
        settled(lambda: len(slack.posts("DUEMP")))
        return "\n".join(slack_texts(slack, before))

    server.click(CHOSEN["primary_reason"], user="UEMP")
    settled(lambda: len(slack.posts("DUEMP")))
    # The answered card shows the answer as the Spanish or German button read.
    assert labels[0] in json.dumps(slack.updates()[-1])
    asked = ["primary_reason"]
    while (question := slack.waiting_for("UEMP")) is not None:
        asked.append(question)
        if question == "recognition_rating":
            reply = say(script.back)  # back to the growth rating, answered 2
            assert script.before in reply
            assert say(script.answers["growth_rating"])
            assert script.paused in say(script.later)
            reply = say(script.hello)
            assert script.welcome_back in reply
            assert slack.waiting_for("UEMP") == "recognition_rating"
        if question == "tools_rating":
            say(script.skip)
            continue
        reply = say(script.answers[question])
        if question == "trigger":  # the model's follow-up, in their language
            assert script.followup in reply
            say(script.followup_answer)
    assert script.closing in slack_texts(slack)[-1]
    assert asked == [
        "primary_reason",
        "trigger",
        "manager_rating",
        "growth_rating",
        "recognition_rating",
        "workload",
        "tools_rating",
        "team_culture",
        "retention",
        "would_return",
        "recommend",
        "advice",
    ]
    summary = wait_for(
        lambda: [
            p
            for p in slack.posts(SLACK_HR_CHANNEL)
            if f"Exit interview: {script.name}" in str(p.get("text"))
        ],
        what="the HR summary",
    )
    shown = json.dumps(summary, ensure_ascii=False)
    retention = script.answers["retention"]
    # Their own words, verbatim, and beside them the model's English.
    assert retention in shown and f"Translation: {script.english[retention]}" in shown
    assert script.answers["trigger"] in shown
    assert f"Translation: (in English) {script.answers['trigger']}" in shown
    # The follow-up as it was asked and answered, each with its English.
    assert script.followup in shown and f"Translation: {script.english[script.followup]}" in shown
    assert f"Translation: (in English) {script.followup_answer}" in shown


# -- Teams --------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class TeamsWithModel(WithModel, TeamsServer):
    pass


@pytest.fixture(params=["es", "de"])
def teams_run(
    request: pytest.FixtureRequest,
    teams: TeamsStandIn,
    graph: GraphStandIn,
    llm: OpenAIStandIn,
    migrated_sqlite: str,
    tmp_path: Path,
) -> Iterator[tuple[Script, TeamsWithModel]]:
    script = SCRIPTS[request.param]
    if script.language == "es":
        graph.locales["aad-jane"] = "es-ES"  # her Outlook is in Spanish
    else:
        # Graph may not read mailboxes here: the language comes from his Teams client.
        graph.mailbox_readable = False
    llm.respond = translating_model(script)
    process = TeamsWithModel(
        teams=teams,
        graph=graph,
        database_url=migrated_sqlite,
        log=tmp_path / "serve.log",
        model=model_settings(llm),
    )
    process.start()
    process.install(
        TEAMS_HR_CHANNEL, "hr", "Harriet Rowe", conversation_type="channel", members=("jane",)
    )
    for user, name in (("hr", "Harriet Rowe"), ("jane", "Jane Doe")):
        process.install(f"a:{user}", user, name)
    yield script, process
    process.stop()


def teams_texts(teams: TeamsStandIn, since: int = 0) -> list[str]:
    return [json.dumps(a, ensure_ascii=False) for a in teams.to("a:jane", "send")[since:]]


def test_a_whole_interview_in_spanish_and_german_over_teams(
    teams_run: tuple[Script, TeamsWithModel], teams: TeamsStandIn
) -> None:
    script, server = teams_run
    locale = {"es": "es-ES", "de": "de-DE"}[script.language]

    def sent() -> int:
        return len(teams.to("a:jane", "send"))

    def say(text: str) -> str:
        """Everything ExitBot answered to `text` (a reply may be several messages)."""
        before = sent()
        server.say("a:jane", "jane", "Jane Doe", text, locale=locale)
        settled(sent)
        return "\n".join(teams_texts(teams, before))

    def submit(value: str) -> None:
        server.submit("jane", "Jane Doe", value, "a:jane")
        settled(sent)

    server.say("a:hr", "hr", "Harriet Rowe", "start jane@acme.test")
    wait_for(lambda: teams.waiting_for("a:jane") == "primary_reason", what="the first question")
    opening = teams_texts(teams)
    if script.language == "es":
        assert script.intro.replace("José", "Jane") in opening[0]
        assert any(script.controls in text for text in opening)
    else:  # nothing said German yet: English, until he writes from a German Teams
        assert "Hi Jane, I'm ExitBot." in opening[0]
        assert "¿" not in opening[0]
        reply = say("hallo")
        assert script.welcome_back not in reply  # no pause to come back from
        assert "Bitte antworte mit einer der Optionen" in reply
        assert "Was ist der Hauptgrund" in reply  # the question again, in German
    submit(CHOSEN["primary_reason"])
    answered = teams.to("a:jane", "update")[-1]
    label = "Crecimiento profesional" if script.language == "es" else "Berufliche Entwicklung"
    assert label in json.dumps(answered, ensure_ascii=False)
    while (question := teams.waiting_for("a:jane")) is not None:
        if question == "recognition_rating":
            assert script.before in say(script.back)
            say(script.answers["growth_rating"])
            assert script.paused in say(script.later)
            assert script.welcome_back in say(script.hello)
        if question == "tools_rating":
            say(script.skip)
            continue
        if question == "workload":  # a button, as it reads in their language
            submit("about_right")
            continue
        reply = say(script.answers[question])
        if question == "trigger":
            assert script.followup in reply
            say(script.followup_answer)
    closing = teams_texts(teams)[-1]
    assert script.closing.replace("José", "Jane").replace("Jonas", "Jane") in closing
    summary = wait_for(
        lambda: [
            c
            for c in teams.cards(TEAMS_HR_CHANNEL)
            if "Exit interview: Jane Doe" in json.dumps(c, ensure_ascii=False)
        ],
        what="the HR summary",
    )
    shown = json.dumps(summary, ensure_ascii=False)
    retention = script.answers["retention"]
    assert retention in shown and script.english[retention] in shown
    assert script.english[script.followup] in shown
