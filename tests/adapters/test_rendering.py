"""One neutral message, every platform: the same question and the same facts on Slack, Teams
and the terminal."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.console import chat as console
from adapters.console.chat import render_question
from adapters.slack import blocks as slack
from adapters.teams import cards as teams
from core.layout import Document, HrMessage, document
from core.messages import (
    ChoiceItem,
    DigestMessage,
    OutboundMessage,
    QuestionMessage,
    ReportMessage,
    SummaryMessage,
)
from core.question_kinds import QUESTION
from core.reporting import (
    AnswerLine,
    Digest,
    GroupLine,
    InterviewReport,
    InterviewSummary,
    RatingAverage,
    RatingLine,
    ReasonCount,
    TranscriptLine,
)
from core.taxonomy import Reason


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
    assert json.loads(actions["elements"][9]["value"]) == {
        "i": "i1",
        "q": "recommend",
        "v": "9",
        "g": "en",
    }


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


# -- one document, three platforms ------------------------------------------------------------
SUMMARY = InterviewSummary(
    interview_id="i1",
    employee="Jane O'Neil",
    platform="slack",
    employee_user_id="U1",
    department="R&D",
    outcome="COMPLETED",
    answered=11,
    asked=12,
    primary_reason=Reason.CAREER_GROWTH,
    secondary_reasons=[Reason.MANAGER],
    sentiment="mixed",
    quotes=["Nobody could say how promotions work."],
    kept_by="A clear path to senior engineer.",
    would_return=True,
    recommend=8,
    ratings=[RatingLine(question="Support from your manager?", value=2, max=5)],
    choices=[AnswerLine(question="Your workload?", answer="Heavy but manageable")],
    regrettable_loss=True,
    signals=["strong reviews"],
    suggested_action="Write the promotion criteria down.",
)
REPORT = InterviewReport(
    employee="Jane O'Neil",
    employee_user_id="U1",
    outcome="COMPLETED",
    created_at=datetime(2026, 3, 2, tzinfo=UTC),
    lines=[
        TranscriptLine(
            question="What happened?",
            answer="Passed over twice.",
            followup_question="What would have helped?",
            followup_answer=None,
        )
    ],
    summary=SUMMARY,
)
DIGEST = Digest(
    since=datetime(2026, 3, 1, tzinfo=UTC),
    until=datetime(2026, 3, 31, tzinfo=UTC),
    by_state={"COMPLETED": 4, "DECLINED": 1},
    open_now=2,
    response_rate=0.8,
    reasons=[ReasonCount(reason=Reason.CAREER_GROWTH, count=3)],
    ratings=[RatingAverage(question="Support from your manager?", average=3.5, answers=4, max=5)],
    recommend_score=25,
    recommend_answers=4,
    departments=[GroupLine(name="R&D", ended=3, completed=3, top_reason=Reason.CAREER_GROWTH)],
    in_small_groups=2,
    themes=["Promotions feel arbitrary"],
    llm_calls=5,
    llm_tokens=1234,
)


def slack_text(message: OutboundMessage) -> str:
    fallback, blocks = slack.render(message)
    found = [fallback]
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", [])]
    shown = "\n".join(found)
    return slack.unescape(re.sub(r"^> |[*_]", "", shown, flags=re.MULTILINE))


def teams_text(message: OutboundMessage) -> str:
    def walk(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node[k] for k in ("text", "title", "value") if isinstance(node.get(k), str)]
            return own + [t for v in node.values() for t in walk(v)]
        if isinstance(node, list):
            return [t for v in node for t in walk(v)]
        return []

    activity = teams.render(message)
    shown = "\n".join(walk(activity.attachments[0].content))
    return re.sub(r"\\(.)", r"\1", shown)


@pytest.mark.parametrize(
    "message",
    [SummaryMessage(summary=SUMMARY), ReportMessage(report=REPORT), DigestMessage(digest=DIGEST)],
    ids=["summary", "report", "digest"],
)
def test_every_platform_shows_the_same_facts(message: HrMessage) -> None:
    doc = document(message)
    shown = {
        "slack": slack_text(message),
        "teams": teams_text(message),
        "console": console.render(message),
    }
    expected = [doc.title, *(t for pair in doc.facts() for t in pair), *doc.lines()]
    for platform, text in shown.items():
        # Compared word by word: the terminal wraps long lines.
        missing = [t for t in expected if " ".join(t.split()) not in " ".join(text.split())]
        assert not missing, f"{platform} leaves out {missing}"


def test_the_summary_has_its_choices_and_the_report_its_summary_everywhere() -> None:
    # What Teams used to leave out: choices in the summary, the summary in the report,
    # ratings, departments and cost in the digest.
    assert "Heavy but manageable" in teams_text(SummaryMessage(summary=SUMMARY))
    assert "Career growth" in teams_text(ReportMessage(report=REPORT))
    digest = teams_text(DigestMessage(digest=DIGEST))
    assert "3.5/5" in digest and "R&D: 3 ended" in digest and "1234 tokens" in digest


def test_a_renderer_refuses_a_block_it_does_not_know() -> None:
    for render in (slack.document_blocks, teams.document_cards, console.render_document):
        with pytest.raises(TypeError):
            render(Document.model_construct(title="t", blocks=[object()]))  # type: ignore[list-item]
    for draw in (slack.render, teams.render, console.render):
        with pytest.raises(TypeError):
            draw(object())  # type: ignore[arg-type]


def test_a_digest_over_a_year_shows_both_years_in_its_title() -> None:
    year = DIGEST.model_copy(update={"since": datetime(2025, 11, 25, tzinfo=UTC)})
    assert document(DigestMessage(digest=year)).title == (
        "Exit interviews: 25 Nov 2025 to 31 Mar 2026"
    )
    assert document(DigestMessage(digest=DIGEST)).title == "Exit interviews: 01 Mar to 31 Mar 2026"


def test_a_long_report_reaches_teams_whole_in_several_messages_each_under_its_limit() -> None:
    """14 long answers used to make one card cut short ("Shortened to fit"), or an activity
    Teams refuses (413): HR never read the rest."""
    answers = [
        f"Answer {n}: " + ("the rota changed every week and nobody asked us 😞 " * 120)
        for n in range(14)
    ]
    report = REPORT.model_copy(
        update={
            "lines": [
                TranscriptLine(
                    question=f"Question {n}?",
                    answer=a,
                    followup_question="And then?",
                    followup_answer=a,
                )
                for n, a in enumerate(answers)
            ]
        }
    )
    activities = teams.render_all(ReportMessage(report=report))
    assert len(activities) > 1
    texts: list[str] = []
    for activity in activities:
        body = activity.attachments[0].content["body"]
        size = len(json.dumps(body, ensure_ascii=False).encode("utf-16-le"))
        assert size <= teams.CARD_BUDGET + 500, size  # (+ the "part k of n" line)
        texts += [b["text"] for b in body if b.get("type") == "TextBlock"]
    parts = [t for t in texts if re.search(r"\(part \d+ of \d+\)$", t)]
    assert parts[-1].endswith(f"(part {len(activities)} of {len(activities)})")
    shown = "".join(t for t in texts if t not in parts)  # read across the cards
    assert "Shortened" not in shown
    for n, answer in enumerate(answers):  # every word, in order
        assert shown.count(answer) == 2  # the answer and the follow-up answer
        assert shown.index(f"Question {n}?") < shown.index(f"Question {min(n + 1, 13)}?") or n == 13


def test_the_digest_chart_is_a_png_and_left_out_without_the_charts_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adapters.charts.digest import reasons_chart

    chart = reasons_chart(DIGEST)
    assert chart is not None and chart.startswith(b"\x89PNG")
    # As after `pip install exitbot` without [charts]: the digest goes out as words alone.
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.ticker"):
        monkeypatch.setitem(sys.modules, module, None)
    assert reasons_chart(DIGEST) is None
