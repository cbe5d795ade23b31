"""The terminal as a chat platform, for `exitbot demo`: questions print with numbered
options, and what HR would get in their channel prints as a block of its own."""

from __future__ import annotations

import textwrap
from typing import TextIO

from core.layout import Document, Facts, Line, Note, Section, document
from core.messages import (
    Address,
    DigestMessage,
    FileMessage,
    OutboundMessage,
    QuestionMessage,
    ReportMessage,
    SummaryMessage,
    TextMessage,
)

PLATFORM = "console"
WIDTH = 78


class ConsoleChat:
    platform = PLATFORM

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        self.out.write(render(message) + "\n\n")
        self.out.flush()
        return None


def render(message: OutboundMessage) -> str:
    if isinstance(message, TextMessage):
        return _wrap(message.text)
    if isinstance(message, QuestionMessage):
        return render_question(message)
    if isinstance(message, SummaryMessage | ReportMessage | DigestMessage):
        return render_document(document(message))
    if isinstance(message, FileMessage):
        return f"{message.title}\n{message.content}"
    raise TypeError(f"cannot render {type(message).__name__} in the terminal")


def _wrap(text: str, indent: str = "") -> str:
    return "\n".join(
        textwrap.fill(line, WIDTH, initial_indent=indent, subsequent_indent=indent) if line else ""
        for line in text.splitlines()
    )


def render_question(message: QuestionMessage) -> str:
    lines = [_wrap(f"[{message.position}/{message.total}] {message.text}")]
    if message.previous_answer:
        lines.append(f"  (you answered: {message.previous_answer}; “skip” keeps it)")
    choices = message.choices
    if choices and all(c.value.isdigit() for c in choices):
        lines.append("  " + "   ".join(c.label for c in choices))
        lines.append(f"  (type a number from {choices[0].value} to {choices[-1].value})")
    elif choices:
        lines.extend(f"  {n}) {c.label}" for n, c in enumerate(choices, start=1))
        lines.append("  (type a number or the answer)")
    return "\n".join(lines)


def render_document(doc: Document) -> str:
    rule = "=" * WIDTH
    lines = [rule, "What HR would see in their private channel:", rule, _wrap(doc.title)]
    for part in doc.blocks:
        if isinstance(part, Facts):
            lines += [_wrap(f"{f.label}: {f.value}") for f in part.facts]
        elif isinstance(part, Section):
            lines.append(f"{part.title}:")
            lines += [_line(line) for line in part.lines]
        elif isinstance(part, Note):
            lines.append(_wrap(f"(!) {part.text}" if part.alert else part.text))
        else:
            raise TypeError(f"cannot lay out {type(part).__name__} in the terminal")
    lines.append(rule)
    return "\n".join(lines)


def _line(line: Line) -> str:
    if line.style == "quote":
        return _wrap(f'"{line.text}"', indent="  ")
    if line.style == "item":
        return _wrap(f"• {line.text}", indent="  ")
    return _wrap(line.text, indent="  ")
