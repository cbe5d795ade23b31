"""Neutral messages as Teams activities: Adaptive Cards for questions and HR summaries, text
otherwise. Everything from the core is markdown-escaped, so an employee's `[click](...)`,
`**` or `# title` reaches HR as the characters they typed."""

from __future__ import annotations

import json
import re
from itertools import chain
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, Attachment

from adapters.catalogs import speech_for
from core import wording
from core.layout import (
    Document,
    Facts,
    HrMessage,
    Line,
    Note,
    Section,
    document,
    draw,
    draw_parts,
)
from core.messages import FileMessage, OutboundMessage, QuestionMessage, TextMessage

CARD = "application/vnd.microsoft.card.adaptive"
CHOICE = "choice"
# Teams shows at most 6 actions in a set (its host config's maxActions); five keep room
# for long labels on a phone. Short labels (a number scale) go in rows of up to 6.
MAX_BUTTONS = 5
ROW_LIMIT = 6
TEXT_LIMIT = 4000
# Teams refuses a bot message over 40 KB counted as UTF-16 (413 MessageSizeTooBig, per
# "Format your bot messages" on learn.microsoft.com): a card's body stays under 34,000
# bytes so counted, room left for the envelope; a longer document takes more cards.
CARD_BUDGET = 34_000
# A text block's share of it: longer text (an answer of pages) goes on in the next block.
BLOCK_CHARACTERS = 2400
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


class _Teams:
    """What each message is in Teams: markdown text, or an Adaptive Card."""

    def text(self, message: TextMessage) -> Activity:
        return Activity(
            type=ActivityTypes.message, text=clip(escape(message.text)), text_format="markdown"
        )

    def question(self, message: QuestionMessage) -> Activity:
        return _with(question_card(message), summary=message.text)

    def document(self, doc: Document) -> Activity:
        return _with(document_cards(doc)[0], summary=doc.title)

    def file(self, message: FileMessage) -> Activity:
        body = [
            block(escape(message.title), weight="Bolder"),
            block(clip(message.content, 20000), fontType="Monospace"),
        ]
        return _with(card(body), summary=message.title)


class _TeamsDocument:
    def title(self, text: str) -> list[Json]:
        return [block(escape(text), size="Large", weight="Bolder")]

    def facts(self, part: Facts) -> list[Json]:
        facts = [
            {"title": escape(clip(f.label, 200)), "value": escape(clip(f.value, 500))}
            for f in part.facts
        ]
        return [{"type": "FactSet", "facts": facts}]

    def section(self, part: Section) -> list[Json]:
        return [
            block(escape(part.title), weight="Bolder"),
            *chain.from_iterable(map(_line, part.lines)),
        ]

    def note(self, part: Note) -> list[Json]:
        style = {"color": "Attention", "weight": "Bolder"} if part.alert else {"isSubtle": True}
        return [block(escape(part.text), **style)]


def render(message: OutboundMessage) -> Activity:
    """A message as one activity (a document: its first card; see render_all)."""
    return draw(_Teams(), message)


def render_all(message: OutboundMessage) -> list[Activity]:
    """A message as the activities that carry it whole, in order: one, or several cards for
    a document longer than a Teams message may be."""
    if isinstance(message, HrMessage):
        doc = document(message)
        return [_with(part, summary=doc.title) for part in document_cards(doc)]
    return [render(message)]


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
        *([block(message.counter, isSubtle=True, spacing="None")] if message.counter else []),
        block(escape(message.text), weight="Bolder", id=f"exitbot_q_{message.question_id}"),
    ]
    speech = speech_for(message.language)
    if message.previous_answer is not None:
        before = wording.answered_before(speech, clip(message.previous_answer, 500))
        body.append(block(escape(before), isSubtle=True))
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
        submit = speech.gettext(wording.SUBMIT)
        actions = [{"type": "Action.Submit", "title": submit, "data": choice_data(message)}]
    if message.choices:
        or_type = speech.gettext(wording.OR_TYPE)
        body.append(block(escape(or_type), isSubtle=True, size="Small"))
    return card(body, actions)


def answered_card(question: Json, label: str) -> Attachment:
    """The question card once answered: the choices give way to the answer."""
    body = [b for b in question.get("body", []) if b.get("type") == "TextBlock"][:2]
    return card([*body, block(f"✓ {escape(label)}", color="Good", weight="Bolder")])


def document_cards(doc: Document) -> list[Attachment]:
    """The document in as many cards as it takes, each under Teams' size limit, in order;
    nothing is cut."""
    pages: list[list[Json]] = [[]]
    size = 0
    for element in draw_parts(_TeamsDocument(), doc):
        cost = utf16_bytes(element)
        if pages[-1] and size + cost > CARD_BUDGET:
            pages.append([])
            size = 0
        pages[-1].append(element)
        size += cost
    if len(pages) > 1:
        for n, page in enumerate(pages[1:], start=2):
            page.insert(0, block(f"{escape(doc.title)} (part {n} of {len(pages)})", isSubtle=True))
    return [card(page) for page in pages]


def utf16_bytes(element: Json) -> int:
    """Size as Teams counts it."""
    return len(json.dumps(element, ensure_ascii=False).encode("utf-16-le"))


def _line(line: Line) -> list[Json]:
    pieces = [
        escape(line.text[start : start + BLOCK_CHARACTERS])
        for start in range(0, max(len(line.text), 1), BLOCK_CHARACTERS)
    ]
    if line.style == "quote":
        pieces[0], pieces[-1] = f"“{pieces[0]}", f"{pieces[-1]}”"
        return [block(p, isSubtle=True) for p in pieces]
    if line.style == "subtle":
        return [block(p, isSubtle=True) for p in pieces]
    if line.style == "strong":
        return [block(p, weight="Bolder") for p in pieces]
    if line.style == "item":
        pieces[0] = f"• {pieces[0]}"
    return [block(p) for p in pieces]
