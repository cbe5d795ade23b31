"""One neutral message, every platform: the same question and the same facts on Slack, Teams
and the terminal."""

from __future__ import annotations

import json
from typing import Any

from adapters.console.chat import render_question
from adapters.slack import blocks as slack
from adapters.teams import cards as teams
from core.messages import ChoiceItem, QuestionMessage
from core.question_kinds import QUESTION


def nps_message() -> QuestionMessage:
    question = QUESTION.validate_python(
        {"id": "recommend", "text": "How likely are you to recommend us?", "kind": "nps"}
    )
    return QuestionMessage(
        interview_id="i1",
        question_id=question.id,
        text=question.text,
        choices=[ChoiceItem(value=c.value, label=c.label) for c in question.choices()],
        position=11,
        total=12,
    )


def teams_buttons(content: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [b["actions"] for b in content["body"] if b["type"] == "ActionSet"]
    return [a for row in [content.get("actions", []), *rows] for a in row]


def test_an_nps_question_is_eleven_buttons_on_slack() -> None:
    _, blocks = slack.render(nps_message())
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [b["text"]["text"] for b in actions["elements"]] == [str(n) for n in range(11)]
    assert json.loads(actions["elements"][9]["value"]) == {"i": "i1", "q": "recommend", "v": "9"}


def test_an_nps_question_is_eleven_buttons_on_teams_in_rows_teams_can_show() -> None:
    content = teams.render(nps_message()).attachments[0].content
    rows = [b["actions"] for b in content["body"] if b["type"] == "ActionSet"]
    assert [len(row) for row in rows] == [6, 5]
    assert not any(b["type"] == "Input.ChoiceSet" for b in content["body"])
    buttons = teams_buttons(content)
    assert [b["title"] for b in buttons] == [str(n) for n in range(11)]
    assert buttons[9]["data"] == {
        "exitbot": "choice",
        "i": "i1",
        "q": "recommend",
        "v": "9",
        "l": "9",
    }


def test_an_nps_question_in_the_terminal_asks_for_a_number() -> None:
    shown = render_question(nps_message())
    assert "0   1   2" in shown and "type a number from 0 to 10" in shown
