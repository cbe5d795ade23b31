"""The terminal as a chat platform, for `exitbot demo`: questions print with numbered
options, and what HR would get in their channel prints as a block of its own."""

from __future__ import annotations

import textwrap
from typing import TextIO

from core.messages import Address, OutboundMessage, QuestionMessage, SummaryMessage, TextMessage
from core.reporting import InterviewSummary

PLATFORM = "console"
WIDTH = 78


class ConsoleChat:
    platform = PLATFORM

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        if isinstance(message, SummaryMessage):
            self._print(render_summary(message.summary))
        elif isinstance(message, QuestionMessage):
            self._print(render_question(message))
        elif isinstance(message, TextMessage):
            self._print(_wrap(message.text))
        return None

    def _print(self, text: str) -> None:
        self.out.write(text + "\n\n")
        self.out.flush()


def _wrap(text: str, indent: str = "") -> str:
    return "\n".join(
        textwrap.fill(line, WIDTH, initial_indent=indent, subsequent_indent=indent) if line else ""
        for line in text.splitlines()
    )


def render_question(message: QuestionMessage) -> str:
    lines = [_wrap(f"[{message.position}/{message.total}] {message.text}")]
    if message.previous_answer:
        lines.append(f"  (you answered: {message.previous_answer}; *skip* keeps it)")
    choices = message.choices
    if choices and all(c.value.isdigit() for c in choices):
        lines.append("  " + "   ".join(c.label for c in choices))
        lines.append(f"  (type a number from {choices[0].value} to {choices[-1].value})")
    elif choices:
        lines.extend(f"  {n}) {c.label}" for n, c in enumerate(choices, start=1))
        lines.append("  (type a number or the answer)")
    return "\n".join(lines)


def render_summary(summary: InterviewSummary) -> str:
    rule = "=" * WIDTH
    lines = [rule, "What HR would see in their private channel:", rule]
    lines.append(
        f"Exit interview: {summary.employee} ({summary.outcome.lower().replace('_', ' ')}, "
        f"{summary.answered} of {summary.asked} questions answered)"
    )
    if summary.primary_reason:
        reason = summary.primary_reason.label
        if summary.secondary_reasons:
            reason += f" (also: {', '.join(r.label for r in summary.secondary_reasons)})"
        lines.append(f"Primary reason: {reason}")
    lines.append(f"Sentiment: {summary.sentiment}")
    if summary.kept_by:
        lines.append(_wrap(f"What would have kept them: {summary.kept_by}"))
    if summary.would_return is not None:
        lines.append(f"Would come back: {'yes' if summary.would_return else 'no'}")
    if summary.recommend is not None:
        lines.append(f"Would recommend working here: {summary.recommend}/10")
    if summary.ratings:
        lines.append("Ratings:")
        lines.extend(f"  {r.value}/{r.max}  {r.question}" for r in summary.ratings)
    for line in summary.choices:
        lines.append(_wrap(f"{line.question} {line.answer}"))
    if summary.quotes:
        lines.append("In their words:")
        lines.extend(_wrap(f'"{q}"', indent="  ") for q in summary.quotes)
    if summary.regrettable_loss:
        lines.append("Regrettable loss: " + ("; ".join(summary.signals) or "yes"))
    if summary.suggested_action:
        lines.append(f"Suggested action: {summary.suggested_action}")
    lines.append(rule)
    return "\n".join(lines)
