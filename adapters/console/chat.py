"""The terminal as a chat platform, for `exitbot demo`: questions print with numbered
options, and what HR would get in their channel prints as a block of its own."""

from __future__ import annotations

import textwrap
from typing import TextIO

from adapters.catalogs import speech_for
from core import wording
from core.layout import Document, Facts, Line, Note, Section, draw, draw_parts
from core.messages import Address, FileMessage, OutboundMessage, QuestionMessage, TextMessage

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


class _Terminal:
    def text(self, message: TextMessage) -> str:
        return _wrap(message.text)

    def question(self, message: QuestionMessage) -> str:
        return render_question(message)

    def document(self, doc: Document) -> str:
        return render_document(doc)

    def file(self, message: FileMessage) -> str:
        return f"{message.title}\n{message.content}"


class _TerminalDocument:
    def title(self, text: str) -> list[str]:
        return [_wrap(text)]

    def facts(self, block: Facts) -> list[str]:
        return [_wrap(f"{f.label}: {f.value}") for f in block.facts]

    def section(self, block: Section) -> list[str]:
        return [f"{block.title}:", *map(_line, block.lines)]

    def note(self, block: Note) -> list[str]:
        return [_wrap(f"(!) {block.text}" if block.alert else block.text)]


def render(message: OutboundMessage) -> str:
    return draw(_Terminal(), message)


def _wrap(text: str, indent: str = "") -> str:
    return "\n".join(
        textwrap.fill(line, WIDTH, initial_indent=indent, subsequent_indent=indent) if line else ""
        for line in text.splitlines()
    )


def render_question(message: QuestionMessage) -> str:
    speech = speech_for(message.language)
    counter = f"[{message.counter}] " if message.counter else ""
    lines = [_wrap(f"{counter}{message.text}")]
    if message.previous_answer:
        lines.append(_wrap(wording.answered_before(speech, message.previous_answer), "  "))
    choices = message.choices
    if choices and not message.counter:  # not the bank's: what to type, as it is
        lines.append("  " + " / ".join(f"“{c.label.lower()}”" for c in choices))
    elif choices and all(c.value.isdigit() for c in choices):
        lines.append("  " + "   ".join(c.label for c in choices))
        typed = speech.gettext("(type a number from {min} to {max})")
        lines.append("  " + typed.format(min=choices[0].value, max=choices[-1].value))
    elif choices:
        lines.extend(f"  {n}) {c.label}" for n, c in enumerate(choices, start=1))
        lines.append("  " + speech.gettext("(type a number or the answer)"))
    return "\n".join(lines)


def render_document(doc: Document) -> str:
    rule = "=" * WIDTH
    lines = [rule, "What HR would see in their private channel:", rule]
    return "\n".join([*lines, *draw_parts(_TerminalDocument(), doc), rule])


def _line(line: Line) -> str:
    if line.style == "quote":
        return _wrap(f'"{line.text}"', indent="  ")
    if line.style == "item":
        return _wrap(f"• {line.text}", indent="  ")
    return _wrap(line.text, indent="  ")
