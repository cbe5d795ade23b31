"""Block Kit rendering: escaping, Slack's size limits, buttons that carry their question."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.slack.blocks import (
    answered_blocks,
    escape,
    plain_command,
    render,
    unescape,
)
from core.messages import (
    ChoiceItem,
    DigestMessage,
    FileMessage,
    QuestionMessage,
    ReportMessage,
    SummaryMessage,
    TextMessage,
)
from core.reporting import Digest, GroupLine, InterviewReport, InterviewSummary, TranscriptLine
from core.taxonomy import Reason

PING = "<!channel> <@U123> <https://evil.test|click> & more"


def texts(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def test_escape_round_trip() -> None:
    assert (
        escape(PING) == "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.test|click&gt; &amp; more"
    )
    assert unescape(escape(PING)) == PING


def test_text_is_escaped_and_split_to_fit_sections() -> None:
    fallback, blocks = render(TextMessage(text=PING + "\n" + "y" * 5000))
    assert "<!channel>" not in fallback and len(fallback) <= 3000
    assert all(len(t) <= 3000 for t in texts(blocks))
    assert "&lt;!channel&gt;" in texts(blocks)[0]


def test_question_buttons_carry_interview_question_and_value() -> None:
    message = QuestionMessage(
        interview_id="i1",
        question_id="q1",
        text="Pick <one>",
        position=2,
        total=9,
        choices=[ChoiceItem(value="a", label="A" * 100), ChoiceItem(value="b", label="B")],
    )
    _, blocks = render(message)
    assert (
        blocks[0]["block_id"] == "exitbot_q_q1" and "Pick &lt;one&gt;" in blocks[0]["text"]["text"]
    )
    buttons = blocks[1]["elements"]
    assert [json.loads(b["value"]) for b in buttons] == [
        {"i": "i1", "q": "q1", "v": "a", "g": "en"},
        {"i": "i1", "q": "q1", "v": "b", "g": "en"},
    ]
    assert len({b["action_id"] for b in buttons}) == 2
    assert all(len(b["text"]["text"]) <= 75 for b in buttons)
    answered = answered_blocks(blocks, "B & <b>")
    assert [b["type"] for b in answered] == ["section", "context"]
    assert "B &amp; &lt;b&gt;" in answered[-1]["elements"][0]["text"]


def test_summary_escapes_every_employee_word_and_fits_slack() -> None:
    summary = InterviewSummary(
        interview_id="i1",
        employee="Jane <!here>",
        platform="slack",
        employee_user_id="U1",
        outcome="COMPLETED",
        answered=3,
        asked=3,
        primary_reason=Reason.MANAGER,
        quotes=[PING, "z" * 5000],
        kept_by=PING,
        department="R&D",
    )
    _, blocks = render(SummaryMessage(summary=summary))
    dumped = json.dumps(blocks)
    assert "<!channel>" not in dumped and "<@U123>" not in dumped and "<!here>" not in dumped
    assert all(len(t) <= 3000 for t in texts(blocks))
    assert len(blocks) <= 50


def test_report_of_many_long_answers_stays_within_fifty_blocks() -> None:
    report = InterviewReport(
        employee="Jane",
        employee_user_id="U1",
        outcome="IN_PROGRESS",
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
        lines=[
            TranscriptLine(
                question=f"Q{n}", answer="w" * 4000, followup_question="More?", followup_answer=PING
            )
            for n in range(60)
        ],
    )
    _, blocks = render(ReportMessage(report=report))
    assert len(blocks) == 50
    assert all(len(t) <= 3000 for t in texts(blocks))
    assert "<!channel>" not in json.dumps(blocks)


def test_a_long_export_is_shown_in_part_with_a_pointer() -> None:
    content = "a,b\n" + "1,<x>\n" * 2000
    _, blocks = render(FileMessage(filename="x.csv", title="Export", content=content))
    shown = blocks[1]["text"]["text"]
    assert len(shown) <= 3000 and "&lt;x&gt;" in shown and "run `exitbot export`" in shown


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("start <@U123ABC|jane.doe>", "start @U123ABC"),
        ("start <@W999>", "start @W999"),
        ("start <mailto:jane@acme.test|jane@acme.test>", "start jane@acme.test"),
        ("schedule <@U1|x> 2026-03-27 10:00", "schedule @U1 2026-03-27 10:00"),
        ("status &lt;odd&gt;", "status <odd>"),
    ],
)
def test_slash_command_text_in_the_cores_words(typed: str, plain: str) -> None:
    assert plain_command(typed) == plain


def test_digest_shows_groups_themes_and_hides_small_groups() -> None:
    digest = Digest(
        since=datetime(2026, 3, 2, tzinfo=UTC),
        until=datetime(2026, 3, 9, tzinfo=UTC),
        by_state={"COMPLETED": 5},
        open_now=0,
        response_rate=1.0,
        reasons=[],
        ratings=[],
        recommend_score=None,
        recommend_answers=0,
        themes=["Manager: raised by 3 of 5"],
        departments=[GroupLine(name="R&D <x>", ended=3, completed=3, top_reason=Reason.MANAGER)],
        in_small_groups=2,
    )
    _, blocks = render(DigestMessage(digest=digest))
    shown = "\n".join(texts(blocks))
    assert "• R&amp;D &lt;x&gt;: 3 ended, 3 completed, mostly manager" in shown
    assert "• 2 more in groups too small to show on their own" in shown
    assert "• Manager: raised by 3 of 5" in shown


def test_a_button_names_its_labels_language_so_the_answer_reads_back_in_it() -> None:
    """Where the default language is German, an English card's answer is still shown in
    English once clicked: the button says its label is English."""
    from adapters.catalogs import languages
    from adapters.llm.offline import OfflineAnalyst
    from bot.container import load_bank
    from bot.settings import Settings
    from core.dialogue import Dialogue

    bank = load_bank(Settings(DATABASE_URL="sqlite://"))  # type: ignore[call-arg]
    dialogue = Dialogue(bank=bank, analyst=OfflineAnalyst(), languages=languages("de"))
    question = QuestionMessage(
        interview_id="i1",
        question_id="primary_reason",
        text="What is the main reason you decided to leave?",
        choices=[ChoiceItem(value="compensation", label="Pay or benefits")],
        position=1,
        total=14,
        language="en",
    )
    _, blocks = render(question)
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    picked = json.loads(button["value"])
    label = dialogue.bank_in(picked.get("g")).get("primary_reason").label_of(picked["v"])
    assert label == "Pay or benefits"
