"""Neutral messages as Block Kit. Everything from the core is escaped (`&`, `<`, `>`), so an
answer holding `<!channel>` or `<@U123>` pings nobody; only our own `*bold*` stays markup.
Long employee text is clipped to what a block holds (the database keeps all of it)."""

from __future__ import annotations

import json
import re
from typing import Any

from core.messages import (
    DigestMessage,
    FileMessage,
    OutboundMessage,
    QuestionMessage,
    ReportMessage,
    SummaryMessage,
    TextMessage,
)
from core.reporting import InterviewSummary, outcome_label, summary_facts

Block = dict[str, Any]
SECTION_LIMIT = 3000
FALLBACK_LIMIT = 3000
BUTTON_LIMIT = 75
MAX_BLOCKS = 50
CHOICE_ACTION = "exitbot_choice"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack's encoding of what a person typed, back to what they typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clip(
    text: str, limit: int, note: str = " … (shortened; `/exitbot report` shows it all)"
) -> str:
    return text if len(text) <= limit else text[: limit - len(note)].rstrip() + note


def section(markdown: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(markdown, SECTION_LIMIT)}}


def context(markdown: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(markdown, 2000)}]}


def header(text: str) -> Block:
    """`text` is raw; it is escaped here like everything else."""
    return {"type": "header", "text": {"type": "plain_text", "text": clip(escape(text), 150, "…")}}


def quote(text: str) -> str:
    """An employee's words as a Slack blockquote, escaped."""
    return "\n".join(f"> {line}" for line in escape(text).splitlines() or [""])


def render(message: OutboundMessage) -> tuple[str, list[Block]]:
    """(fallback text for notifications, blocks)."""
    if isinstance(message, TextMessage):
        text = escape(message.text)
        return clip(text, FALLBACK_LIMIT, "…"), [section(part) for part in _paragraphs(text)]
    if isinstance(message, QuestionMessage):
        return clip(escape(message.text), FALLBACK_LIMIT, "…"), question_blocks(message)
    if isinstance(message, SummaryMessage):
        return f"Exit interview summary: {escape(message.summary.employee)}", summary_blocks(
            message.summary
        )
    if isinstance(message, ReportMessage):
        return f"Exit interview report: {escape(message.report.employee)}", report_blocks(message)
    if isinstance(message, DigestMessage):
        return "Exit interview digest", digest_blocks(message)
    if isinstance(message, FileMessage):
        return escape(message.title), file_blocks(message)
    raise TypeError(f"cannot render {type(message).__name__}")


def _paragraphs(text: str) -> list[str]:
    """Text in pieces that each fit a section, split at line ends where possible."""
    pieces, current = [], ""
    for line in text.splitlines(keepends=True):
        if len(current) + len(line) > SECTION_LIMIT and current:
            pieces.append(current)
            current = ""
        current += line
    pieces.append(current)
    return [p for p in pieces if p.strip()][:MAX_BLOCKS] or [" "]


def choice_value(interview_id: str, question_id: str, value: str) -> str:
    return json.dumps({"i": interview_id, "q": question_id, "v": value}, separators=(",", ":"))


def question_blocks(message: QuestionMessage) -> list[Block]:
    blocks = [section(f"*{message.position}/{message.total}*  {escape(message.text)}")]
    blocks[0]["block_id"] = f"exitbot_q_{message.question_id}"
    if message.previous_answer is not None:
        before = clip(escape(message.previous_answer), 500, "…")
        blocks.append(context(f"You answered: {before}. Send a new answer, or *skip* to keep it."))
    if message.choices:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"exitbot_choices_{message.question_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{CHOICE_ACTION}_{n}",
                        "text": {
                            "type": "plain_text",
                            "text": clip(choice.label, BUTTON_LIMIT, "…"),
                        },
                        "value": choice_value(
                            message.interview_id, message.question_id, choice.value
                        ),
                    }
                    for n, choice in enumerate(message.choices)
                ],
            }
        )
        blocks.append(context("Tap a button, or type the answer or its number."))
    return blocks


def answered_blocks(original: list[Block], label: str) -> list[Block]:
    """The question message once answered: the buttons give way to the answer."""
    kept = [b for b in original if b.get("type") not in ("actions", "context")]
    return [*kept, context(f":white_check_mark: *{escape(label)}*")]


def _fields(pairs: list[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": clip(f"*{k}*\n{v}", 2000, "…")} for k, v in pairs][
            :10
        ],
    }


def summary_blocks(summary: InterviewSummary) -> list[Block]:
    pairs = [(label, escape(value)) for label, value in summary_facts(summary)]
    blocks = [header(f"Exit interview: {summary.employee}"), _fields(pairs)]
    if summary.kept_by:
        blocks.append(section("*What would have kept them*\n" + quote(clip(summary.kept_by, 1500))))
    if summary.quotes:
        words = "\n".join(quote(clip(q, 900)) for q in summary.quotes)
        blocks.append(section("*In their words*\n" + words))
    if summary.ratings or summary.choices:
        lines = [f"`{r.value}/{r.max}`  {escape(r.question)}" for r in summary.ratings]
        lines += [f"{escape(c.question)} *{escape(c.answer)}*" for c in summary.choices]
        blocks.append(section("*Ratings*\n" + "\n".join(lines)))
    if summary.regrettable_loss:
        signals = "".join(f"\n• {escape(s)}" for s in summary.signals)
        blocks.append(section(f"*Regrettable loss*{signals}"))
    if summary.suggested_action:
        blocks.append(context(f"Suggested action: {escape(summary.suggested_action)}"))
    blocks.append(
        context(
            f"Only HR see this. Full interview: `/exitbot report` (id `{summary.interview_id}`)"
        )
    )
    return blocks


def report_blocks(message: ReportMessage) -> list[Block]:
    report = message.report
    blocks = [
        header(f"Exit interview report: {report.employee}"),
        context(f"{outcome_label(report.outcome)} · this read is in the audit log"),
    ]
    for line in report.lines:
        answer = "_skipped_" if line.answer is None else quote(clip(line.answer, 2400))
        text = f"*{escape(line.question)}*\n{answer}"
        if line.followup_question:
            follow = (
                "_skipped_"
                if line.followup_answer is None
                else quote(clip(line.followup_answer, 1200))
            )
            text += f"\n_{escape(line.followup_question)}_\n{follow}"
        blocks.append(section(text))
    if not report.lines:
        blocks.append(section("_No answers yet._"))
    if report.words_erased_at:
        erased = f"{report.words_erased_at:%d %b %Y}"
        blocks.append(context(f"Free-text answers were erased on {erased} (retention policy)."))
    if report.summary:
        blocks += summary_blocks(report.summary)[1:]
    return blocks[:MAX_BLOCKS]


def digest_blocks(message: DigestMessage) -> list[Block]:
    digest = message.digest
    ended = sum(digest.by_state.values())
    states = ", ".join(
        f"{n} {outcome_label(s).split(' (')[0].lower()}" for s, n in digest.by_state.items()
    )
    lines = [
        f"*Ended:* {ended}" + (f" ({states})" if states else ""),
        f"*Open now:* {digest.open_now}",
    ]
    if digest.response_rate is not None:
        lines.append(f"*Response rate:* {digest.response_rate:.0%}")
    if digest.recommend_score is not None:
        score, answers = digest.recommend_score, digest.recommend_answers
        lines.append(f"*Would-recommend score:* {score:+d} ({answers} answers)")
    blocks = [
        header(f"Exit interviews: {digest.since:%d %b} to {digest.until:%d %b %Y}"),
        section("\n".join(lines)),
    ]
    if digest.reasons:
        ranked = "\n".join(
            f"{n}. {r.reason.label}: {r.count}" for n, r in enumerate(digest.reasons, 1)
        )
        blocks.append(section("*Reasons for leaving*\n" + ranked))
    if digest.ratings:
        ratings = "\n".join(
            f"`{r.average:.1f}/{r.max}`  {escape(r.question)}" for r in digest.ratings
        )
        blocks.append(section("*Average ratings*\n" + ratings))
    if digest.themes:
        blocks.append(section("*Themes*\n" + "\n".join(f"• {escape(t)}" for t in digest.themes)))
    if digest.departments or digest.in_small_groups:
        lines = [
            f"• {escape(g.name)}: {g.ended} ended, {g.completed} completed"
            + (f", mostly {g.top_reason.label.lower()}" if g.top_reason else "")
            for g in digest.departments
        ]
        if digest.in_small_groups:
            lines.append(
                f"• {digest.in_small_groups} more in groups too small to show on their own"
            )
        blocks.append(section("*By department*\n" + "\n".join(lines)))
    if digest.llm_calls:
        blocks.append(context(f"LLM analyst: {digest.llm_calls} calls, {digest.llm_tokens} tokens"))
    return blocks


def file_blocks(message: FileMessage) -> list[Block]:
    body = escape(message.content)
    rows = message.content.count("\n")
    note = f"\n_{rows} lines; too long to show whole here: run `exitbot export` on the server._"
    fenced = clip(body, SECTION_LIMIT - 10 - len(note), note="")
    shown = f"```{fenced}```" + (note if len(fenced) < len(body) else "")
    return [section(f"*{escape(message.title)}*"), section(shown)]


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>")


def plain_command(text: str) -> str:
    """A slash command's escaped text (`should_escape`) in the core's words: `@U123`, e-mails."""
    return unescape(_MAILTO.sub(r"\1", _MENTION.sub(r"@\1", text)))
