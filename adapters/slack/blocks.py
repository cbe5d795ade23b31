"""Neutral messages as Block Kit. Everything from the core is escaped (`&`, `<`, `>`), so an
answer holding `<!channel>` or `<@U123>` pings nobody; only our own `*bold*` stays markup.
A report or summary is never cut: long answers go on over as many sections (and, for HR's
own answer to a command, messages) as they take; only fallback texts and labels are clipped."""

from __future__ import annotations

import json
import re
from typing import Any

from adapters.catalogs import speech_for
from core import wording
from core.layout import Document, Facts, Note, Section, draw, draw_parts
from core.messages import FileMessage, OutboundMessage, QuestionMessage, TextMessage

Block = dict[str, Any]
Rendered = tuple[str, list[Block]]
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


class _Slack:
    """What each message is in Block Kit: (fallback text for notifications, blocks)."""

    def text(self, message: TextMessage) -> Rendered:
        text = escape(message.text)
        return clip(text, FALLBACK_LIMIT, "…"), [section(part) for part in _paragraphs(text)]

    def question(self, message: QuestionMessage) -> Rendered:
        return clip(escape(message.text), FALLBACK_LIMIT, "…"), question_blocks(message)

    def document(self, doc: Document) -> Rendered:
        return clip(escape(doc.title), FALLBACK_LIMIT, "…"), document_blocks(doc)

    def file(self, message: FileMessage) -> Rendered:
        return escape(message.title), file_blocks(message)


class _SlackDocument:
    def title(self, text: str) -> list[Block]:
        return [header(text)]

    def facts(self, block: Facts) -> list[Block]:
        fields = [
            {"type": "mrkdwn", "text": clip(f"*{escape(f.label)}*\n{escape(f.value)}", 2000, "…")}
            for f in block.facts
        ]
        # A section holds at most ten fields.
        return [
            {"type": "section", "fields": fields[n : n + 10]} for n in range(0, len(fields), 10)
        ]

    def section(self, block: Section) -> list[Block]:
        # Every line whole, in order, over as many sections as it takes.
        lines = [f"*{escape(block.title)}*"]
        for line in block.lines:
            for piece in _pieces(line.text, SECTION_LIMIT - 100):
                if line.style == "quote":
                    lines.append(quote(piece))
                else:
                    lines.append(_STYLES[line.style].format(escape(piece)))
        return [section(text) for text in _packed(lines, SECTION_LIMIT)]

    def note(self, block: Note) -> list[Block]:
        if block.alert:
            return [section(f":warning: *{escape(block.text)}*")]
        return [context(escape(block.text))]


def render(message: OutboundMessage) -> Rendered:
    """One message: a summary or digest posted to a channel fits one (a report, which may
    not, goes to HR through render_parts)."""
    text, blocks = draw(_Slack(), message)
    return text, blocks[:MAX_BLOCKS]


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


def choice_value(interview_id: str, question_id: str, value: str, language: str) -> str:
    """A button's value: its interview, question and answer, and the language its label is
    in (to show the answer by once clicked; English too, whatever the default language)."""
    picked = {"i": interview_id, "q": question_id, "v": value, "g": language}
    return json.dumps(picked, separators=(",", ":"))


def question_blocks(message: QuestionMessage) -> list[Block]:
    counter = f"*{message.counter}*  " if message.counter else ""
    blocks = [section(f"{counter}{escape(message.text)}")]
    blocks[0]["block_id"] = f"exitbot_q_{message.question_id}"
    speech = speech_for(message.language)
    if message.previous_answer is not None:
        before = clip(message.previous_answer, 500, "…")
        blocks.append(context(escape(wording.answered_before(speech, before))))
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
                            message.interview_id,
                            message.question_id,
                            choice.value,
                            message.language,
                        ),
                    }
                    for n, choice in enumerate(message.choices)
                ],
            }
        )
        blocks.append(context(escape(speech.gettext(wording.TAP_OR_TYPE))))
    return blocks


def answered_blocks(original: list[Block], label: str) -> list[Block]:
    """The question message once answered: the buttons give way to the answer."""
    kept = [b for b in original if b.get("type") not in ("actions", "context")]
    return [*kept, context(f":white_check_mark: *{escape(label)}*")]


def document_blocks(doc: Document) -> list[Block]:
    """Every block of the document: more than one message holds when it is long."""
    return draw_parts(_SlackDocument(), doc)


def render_parts(message: OutboundMessage) -> list[Rendered]:
    """The message as one or more messages of at most MAX_BLOCKS blocks each, in order."""
    text, blocks = draw(_Slack(), message)
    parts = [blocks[n : n + MAX_BLOCKS] for n in range(0, len(blocks), MAX_BLOCKS)] or [[]]
    return [(text if n == 0 else f"{text} (continued)", part) for n, part in enumerate(parts)]


def _pieces(text: str, budget: int) -> list[str]:
    """`text` in pieces whose escaped form fits `budget`, cut between words (and inside a
    word only when one alone is longer)."""
    words: list[str] = []
    for token in re.split(r"(\s+)", text):
        step = max(1, budget // 5)  # "&" escapes to five characters
        words += [token[n : n + step] for n in range(0, len(token), step)] or [token]
    pieces, current, size = [], "", 0
    for word in words:
        cost = len(escape(word)) + 2 * word.count("\n")
        if size + cost > budget and current.strip():
            pieces.append(current.strip())
            current, size = "", 0
            if word.isspace():
                continue
        current += word
        size += cost
    pieces.append(current.strip())
    return [p for p in pieces if p] or [""]


def _packed(lines: list[str], limit: int) -> list[str]:
    """Lines joined into as few texts of at most `limit` characters as keep each line whole."""
    texts, current = [], ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    texts.append(current)
    return texts


_STYLES = {"plain": "{}", "subtle": "_{}_", "strong": "*{}*", "item": "• {}"}


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
