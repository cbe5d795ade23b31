"""Neutral messages as Teams activities: Adaptive Cards for questions and HR summaries, text
otherwise. Everything from the core is markdown-escaped, so an employee's `[click](...)`,
`**` or `# title` reaches HR as the characters they typed."""

from __future__ import annotations

import re
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

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

CARD = "application/vnd.microsoft.card.adaptive"
CHOICE = "choice"
# Teams shows at most 6 actions in a set (its host config's maxActions); five keep room
# for long labels on a phone. Short labels (a number scale) go in rows of up to 6.
MAX_BUTTONS = 5
ROW_LIMIT = 6
TEXT_LIMIT = 4000
Json = dict[str, Any]

# What formats text in Teams: emphasis, code, links, headings, quotes; list markers only at
# the start of a line. Escaping more would show people backslashes.
_MARKDOWN = re.compile(r"([\\`*_~\[\]<>#])")
_LIST = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)", re.MULTILINE)


def escape(text: str) -> str:
    return _LIST.sub(lambda m: m.group(1) + "\\" + m.group(2), _MARKDOWN.sub(r"\\\1", text))


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def block(text: str, **style: Any) -> Json:
    return {"type": "TextBlock", "text": clip(text), "wrap": True, **style}


def card(body: list[Json], actions: list[Json] | None = None) -> Attachment:
    content: Json = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return Attachment(content_type=CARD, content=content)


def render(message: OutboundMessage) -> Activity:
    if isinstance(message, TextMessage):
        return Activity(
            type=ActivityTypes.message, text=clip(escape(message.text)), text_format="markdown"
        )
    if isinstance(message, QuestionMessage):
        return _with(question_card(message), summary=message.text)
    if isinstance(message, SummaryMessage):
        return _with(summary_card(message.summary), summary="Exit interview summary")
    if isinstance(message, ReportMessage):
        return _with(report_card(message), summary="Exit interview report")
    if isinstance(message, DigestMessage):
        return _with(digest_card(message), summary="Exit interview digest")
    if isinstance(message, FileMessage):
        return _with(
            card(
                [
                    block(escape(message.title), weight="Bolder"),
                    block(clip(message.content, 20000), fontType="Monospace"),
                ]
            ),
            summary=message.title,
        )
    raise TypeError(f"cannot render {type(message).__name__}")


def _with(attachment: Attachment, summary: str) -> Activity:
    return Activity(
        type=ActivityTypes.message, attachments=[attachment], summary=clip(summary, 200)
    )


def choice_data(message: QuestionMessage, value: str | None = None) -> Json:
    """What a submit carries back: the question, the value, and the labels to show it by."""
    data: Json = {"exitbot": CHOICE, "i": message.interview_id, "q": message.question_id}
    if value is not None:
        data["v"] = value
        data["l"] = next((c.label for c in message.choices if c.value == value), value)
    else:
        data["labels"] = {c.value: c.label for c in message.choices}
    return data


def question_card(message: QuestionMessage) -> Attachment:
    body = [
        block(f"{message.position}/{message.total}", isSubtle=True, spacing="None"),
        block(escape(message.text), weight="Bolder", id=f"exitbot_q_{message.question_id}"),
    ]
    if message.previous_answer is not None:
        body.append(
            block(
                f"You answered: {escape(clip(message.previous_answer, 500))}. "
                "Send a new answer, or skip to keep it.",
                isSubtle=True,
            )
        )
    actions: list[Json] = []
    buttons = [
        {"type": "Action.Submit", "title": clip(c.label, 60), "data": choice_data(message, c.value)}
        for c in message.choices
    ]
    if len(buttons) <= MAX_BUTTONS:
        actions = buttons
    elif len(buttons) <= 2 * ROW_LIMIT and all(len(c.label) <= 3 for c in message.choices):
        # A number scale (0 to 10): rows of buttons, as each set shows only so many.
        rows = -(-len(buttons) // ROW_LIMIT)
        per_row = -(-len(buttons) // rows)
        body += [
            {"type": "ActionSet", "actions": buttons[start : start + per_row]}
            for start in range(0, len(buttons), per_row)
        ]
    else:
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "v",
                "style": "compact",
                "choices": [
                    {"title": clip(c.label, 60), "value": c.value} for c in message.choices
                ],
            }
        )
        actions = [{"type": "Action.Submit", "title": "Answer", "data": choice_data(message)}]
    if message.choices:
        body.append(block("Or type the answer or its number.", isSubtle=True, size="Small"))
    return card(body, actions)


def answered_card(question: Json, label: str) -> Attachment:
    """The question card once answered: the choices give way to the answer."""
    body = [b for b in question.get("body", []) if b.get("type") == "TextBlock"][:2]
    return card([*body, block(f"✓ {escape(label)}", color="Good", weight="Bolder")])


def _facts(pairs: list[tuple[str, str]]) -> Json:
    return {"type": "FactSet", "facts": [{"title": k, "value": clip(v, 500)} for k, v in pairs]}


def summary_card(summary: InterviewSummary) -> Attachment:
    pairs = summary_facts(summary)
    body = [
        block(f"Exit interview: {escape(summary.employee)}", size="Large", weight="Bolder"),
        _facts([(k, escape(v)) for k, v in pairs]),
    ]
    if summary.kept_by:
        body += [
            block("What would have kept them", weight="Bolder"),
            block(escape(clip(summary.kept_by, 1500))),
        ]
    if summary.quotes:
        body.append(block("In their words", weight="Bolder"))
        body += [block(f"“{escape(clip(q, 900))}”", isSubtle=True) for q in summary.quotes]
    if summary.ratings:
        body.append(_facts([(escape(r.question), f"{r.value}/{r.max}") for r in summary.ratings]))
    if summary.regrettable_loss:
        body.append(
            block(
                "Regrettable loss: " + escape("; ".join(summary.signals) or "yes"),
                color="Attention",
            )
        )
    if summary.suggested_action:
        body.append(block(f"Suggested action: {escape(summary.suggested_action)}", isSubtle=True))
    return card(body)


def report_card(message: ReportMessage) -> Attachment:
    report = message.report
    body = [
        block(f"Exit interview report: {escape(report.employee)}", size="Large", weight="Bolder"),
        block(
            f"{outcome_label(report.outcome)} · this read is in the audit log",
            isSubtle=True,
        ),
    ]
    for line in report.lines:
        body.append(block(escape(line.question), weight="Bolder"))
        body.append(block("(skipped)" if line.answer is None else escape(clip(line.answer, 2400))))
        if line.followup_question:
            body.append(block(escape(line.followup_question), isSubtle=True))
            body.append(
                block("(skipped)" if line.followup_answer is None else escape(line.followup_answer))
            )
    return card(body[:100])


def digest_card(message: DigestMessage) -> Attachment:
    digest = message.digest
    body = [
        block(
            f"Exit interviews: {digest.since:%d %b} to {digest.until:%d %b %Y}",
            size="Large",
            weight="Bolder",
        ),
        _facts(
            [("Ended", str(sum(digest.by_state.values()))), ("Open now", str(digest.open_now))]
            + (
                [("Response rate", f"{digest.response_rate:.0%}")]
                if digest.response_rate is not None
                else []
            )
            + (
                [("Would-recommend score", f"{digest.recommend_score:+d}")]
                if digest.recommend_score is not None
                else []
            )
        ),
    ]
    if digest.reasons:
        body.append(block("Reasons for leaving", weight="Bolder"))
        body.append(_facts([(r.reason.label, str(r.count)) for r in digest.reasons]))
    if digest.themes:
        body.append(block("Themes", weight="Bolder"))
        body += [block(f"• {escape(t)}") for t in digest.themes]
    return card(body)
