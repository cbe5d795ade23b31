"""What HR read, laid out once for every platform: a neutral document of a title, facts,
sections of lines (plain, quoted, subtle, strong, listed) and notes. Slack, Teams and the
terminal each map these few primitives to their own format and nothing else, so they all
show the same facts.

Text here is plain: no platform's markup. Renderers escape it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from core.analysis import DISCLOSURE_LABELS
from core.messages import (
    DigestMessage,
    FileMessage,
    OutboundMessage,
    QuestionMessage,
    ReportMessage,
    SummaryMessage,
    TextMessage,
)
from core.reporting import Digest, InterviewReport, InterviewSummary

# plain: ExitBot's words; quote: someone's own words, verbatim; subtle: a side remark;
# strong: to stand out; item: one of a list.
Style = Literal["plain", "quote", "subtle", "strong", "item"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class Fact(_Part):
    label: str
    value: str


class Line(_Part):
    text: str
    style: Style = "plain"


class Facts(_Part):
    kind: Literal["facts"] = "facts"
    facts: list[Fact]


class Section(_Part):
    kind: Literal["section"] = "section"
    title: str
    lines: list[Line]


class Note(_Part):
    """A line apart from the rest: small print, or (alert) a warning to HR."""

    kind: Literal["note"] = "note"
    text: str
    alert: bool = False


Block = Annotated[Facts | Section | Note, Field(discriminator="kind")]


class Document(_Part):
    title: str
    blocks: list[Block]

    def facts(self) -> list[tuple[str, str]]:
        """Every (label, value) shown, in order: what each platform must show alike."""
        return [(f.label, f.value) for b in self.blocks if isinstance(b, Facts) for f in b.facts]

    def lines(self) -> list[str]:
        """Every piece of text shown besides the facts."""
        found: list[str] = []
        for block in self.blocks:
            if isinstance(block, Section):
                found += [block.title, *(line.text for line in block.lines)]
            elif isinstance(block, Note):
                found.append(block.text)
        return found


OUTCOME_LABELS = {
    "COMPLETED": "Completed",
    "DECLINED": "Declined (they said stop)",
    "ABANDONED": "Abandoned (no answer)",
    "UNREACHABLE": "Could not be reached",
    "CANCELLED": "Cancelled by HR",
    "IN_PROGRESS": "In progress",
    "SCHEDULED": "Scheduled",
}


def disclosure_alert(name: str, interview_id: str) -> str:
    """HR's own post, sent as it happens, not only in the summary at the end."""
    return (
        f"{name} has told ExitBot, in their exit interview, of something HR must act on "
        "(harassment, discrimination, retaliation, a danger at work, unpaid work or being "
        "pushed out). They are being asked whether they want HR to contact them. Ask ExitBot "
        f"for the report on them to read it (id {interview_id})."
    )


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome.replace("_", " ").capitalize())


def answered(summary: InterviewSummary) -> str:
    """How far they got: "12 of 12 questions", "3 of 12 questions, stopped"."""
    said = f"{summary.answered} of {summary.asked} questions"
    stopped = summary.outcome in ("DECLINED", "ABANDONED", "CANCELLED")
    return f"{said}, stopped" if stopped and summary.answered < summary.asked else said


def summary_facts(summary: InterviewSummary) -> list[tuple[str, str]]:
    """The summary's headline facts as (label, value)."""
    facts = [
        ("Outcome", outcome_label(summary.outcome)),
        ("Answered", answered(summary)),
    ]
    if summary.unreachable_because:
        facts.insert(1, ("Why", summary.unreachable_because))
    if summary.primary_reason:
        facts.append(("Primary reason", summary.primary_reason.label))
    if summary.secondary_reasons:
        facts.append(("Also", ", ".join(r.label for r in summary.secondary_reasons)))
    facts.append(("Sentiment", summary.sentiment))
    if summary.would_return is not None:
        facts.append(("Would come back", "yes" if summary.would_return else "no"))
    if summary.recommend is not None:
        score = f"{summary.recommend}/{summary.recommend_max}"
        facts.append(("Would recommend working here", score))
    if summary.department:
        facts.append(("Department", summary.department))
    return facts


HrMessage = SummaryMessage | ReportMessage | DigestMessage
Drawn = TypeVar("Drawn", covariant=True)
R = TypeVar("R")
Part = TypeVar("Part")


class Renderer(Protocol[Drawn]):
    """How a platform draws each kind of neutral message."""

    def text(self, message: TextMessage) -> Drawn: ...

    def question(self, message: QuestionMessage) -> Drawn: ...

    def document(self, doc: Document) -> Drawn: ...

    def file(self, message: FileMessage) -> Drawn: ...


class DocumentRenderer(Protocol[Part]):
    """How a platform draws each primitive of a document, as a list of its own parts."""

    def title(self, text: str) -> list[Part]: ...

    def facts(self, block: Facts) -> list[Part]: ...

    def section(self, block: Section) -> list[Part]: ...

    def note(self, block: Note) -> list[Part]: ...


def draw(renderer: Renderer[R], message: OutboundMessage) -> R:
    """The message drawn by the platform's renderer; a message it has no way to draw is an
    error, never silence."""
    if isinstance(message, TextMessage):
        return renderer.text(message)
    if isinstance(message, QuestionMessage):
        return renderer.question(message)
    if isinstance(message, SummaryMessage | ReportMessage | DigestMessage):
        return renderer.document(document(message))
    if isinstance(message, FileMessage):
        return renderer.file(message)
    raise TypeError(f"cannot draw {type(message).__name__}")


def draw_parts(renderer: DocumentRenderer[Part], doc: Document) -> list[Part]:
    parts = renderer.title(doc.title)
    for block in doc.blocks:
        if isinstance(block, Facts):
            parts += renderer.facts(block)
        elif isinstance(block, Section):
            parts += renderer.section(block)
        elif isinstance(block, Note):
            parts += renderer.note(block)
        else:
            raise TypeError(f"cannot lay out {type(block).__name__}")
    return parts


def document(message: HrMessage) -> Document:
    if isinstance(message, SummaryMessage):
        return summary_document(message.summary)
    if isinstance(message, ReportMessage):
        return report_document(message.report)
    if isinstance(message, DigestMessage):
        return digest_document(message.digest)
    raise TypeError(f"no layout for {type(message).__name__}")


def summary_document(summary: InterviewSummary) -> Document:
    return Document(
        title=f"Exit interview: {summary.employee}",
        blocks=[
            *_summary_blocks(summary),
            Note(
                text="Only HR see this. Ask ExitBot for the report on them to read the whole "
                f"interview (id {summary.interview_id})."
            ),
        ],
    )


def _summary_blocks(summary: InterviewSummary) -> list[Block]:
    blocks: list[Block] = []
    if summary.disclosures:  # first, whatever else the summary says
        told = ", ".join(DISCLOSURE_LABELS[d] for d in summary.disclosures)
        contact = summary.wants_contact or "no answer yet"
        blocks.append(
            Note(
                text=f"Serious disclosure: {told}. HR must act on this. Asked whether they "
                f"want HR to contact them, they said: {contact}",
                alert=True,
            )
        )
    blocks.append(Facts(facts=[Fact(label=k, value=v) for k, v in summary_facts(summary)]))
    if summary.unread_language:
        blocks.append(
            Note(
                text=f"Answered in {summary.unread_language}: the offline analyst reads English "
                "only, so the reasons come from their pick and ratings, not their words "
                "(quoted in the report). A model reads any language."
            )
        )
    said = summary.translations
    if summary.kept_by:
        blocks.append(
            Section(title="What would have kept them", lines=_quoted(summary.kept_by, said))
        )
    if summary.quotes:
        blocks.append(
            Section(
                title="In their words",
                lines=[line for q in summary.quotes for line in _quoted(q, said)],
            )
        )
    if summary.followups:
        blocks.append(
            Section(
                title="Follow-up answers",
                lines=[
                    line
                    for question, answer in summary.followups
                    for line in (*_asked(question, said), *_quoted(answer, said))
                ],
            )
        )
    answers = [Fact(label=r.question, value=f"{r.value}/{r.max}") for r in summary.ratings]
    answers += [Fact(label=c.question, value=c.answer) for c in summary.choices]
    if answers:
        blocks.append(Facts(facts=answers))
    if summary.regrettable_loss:
        signals = "; ".join(summary.signals)
        blocks.append(Note(text=f"Regrettable loss: {signals or 'yes'}", alert=True))
    if summary.suggested_action:
        blocks.append(Note(text=f"Suggested action: {summary.suggested_action}"))
    return blocks


def report_document(report: InterviewReport) -> Document:
    blocks: list[Block] = [
        Note(text=f"{outcome_label(report.outcome)} · this read is in the audit log")
    ]
    if report.summary:
        blocks += _summary_blocks(report.summary)
    said = report.summary.translations if report.summary else {}
    for entry in report.lines:
        lines = _said(entry.answer, said)
        if entry.followup_question:
            lines += [
                *_asked(entry.followup_question, said, style="subtle"),
                *_said(entry.followup_answer, said),
            ]
        blocks.append(Section(title=entry.question, lines=lines))
    if not report.lines:
        blocks.append(Note(text="No answers yet."))
    if report.words_erased_at:
        blocks.append(
            Note(
                text=f"Free-text answers were erased on {report.words_erased_at:%d %b %Y} "
                "(retention policy)."
            )
        )
    return Document(title=f"Exit interview report: {report.employee}", blocks=blocks)


def _said(answer: str | None, translations: dict[str, str]) -> list[Line]:
    if answer is None:
        return [Line(text="(skipped)", style="subtle")]
    return _quoted(answer, translations)


def _asked(question: str, translations: dict[str, str], style: Style = "plain") -> list[Line]:
    """A follow-up question as it was asked, and in HR's language when it was not."""
    translated = translations.get(question)
    lines = [Line(text=question, style=style)]
    if translated:
        lines.append(Line(text=f"Translation: {translated}", style="subtle"))
    return lines


def _quoted(words: str, translations: dict[str, str]) -> list[Line]:
    """The employee's words as they wrote them, and beside them their translation into
    HR's language when a model made one."""
    translated = translations.get(words)
    lines = [Line(text=words, style="quote")]
    if translated:
        lines.append(Line(text=f"Translation: {translated}", style="subtle"))
    return lines


def digest_document(digest: Digest) -> Document:
    ended = sum(digest.by_state.values())
    states = ", ".join(
        f"{n} {outcome_label(s).split(' (')[0].lower()}" for s, n in digest.by_state.items()
    )
    facts = [
        Fact(label="Ended", value=f"{ended} ({states})" if states else str(ended)),
        Fact(label="Open now", value=str(digest.open_now)),
    ]
    if digest.response_rate is not None:
        facts.append(Fact(label="Response rate", value=f"{digest.response_rate:.0%}"))
    if digest.recommend_score is not None:
        facts.append(
            Fact(
                label="Would-recommend score",
                value=f"{digest.recommend_score:+d} ({digest.recommend_answers} answers)",
            )
        )
    blocks: list[Block] = [Facts(facts=facts)]
    if digest.reasons:
        blocks.append(
            Section(
                title="Reasons for leaving",
                lines=[
                    Line(text=f"{n}. {r.reason.label}: {r.count}")
                    for n, r in enumerate(digest.reasons, 1)
                ],
            )
        )
    if digest.ratings:
        blocks.append(
            Section(
                title="Average ratings",
                lines=[Line(text=f"{r.average:.1f}/{r.max}  {r.question}") for r in digest.ratings],
            )
        )
    if digest.themes:
        blocks.append(
            Section(title="Themes", lines=[Line(text=t, style="item") for t in digest.themes])
        )
    if digest.departments or digest.in_small_groups:
        groups = [
            Line(
                text=f"{g.name}: {g.ended} ended, {g.completed} completed"
                + (f", mostly {g.top_reason.label.lower()}" if g.top_reason else ""),
                style="item",
            )
            for g in digest.departments
        ]
        if digest.in_small_groups:
            groups.append(
                Line(
                    text=f"{digest.in_small_groups} more in groups too small to show on their own",
                    style="item",
                )
            )
        blocks.append(Section(title="By department", lines=groups))
    if digest.llm_calls:
        blocks.append(
            Note(text=f"LLM analyst: {digest.llm_calls} calls, {digest.llm_tokens} tokens")
        )
    return Document(title=f"Exit interviews: {period(digest.since, digest.until)}", blocks=blocks)


def period(since: datetime, until: datetime) -> str:
    """ "18 Nov to 25 Nov 2026"; with both years when they differ."""
    start = f"{since:%d %b}" if since.year == until.year else f"{since:%d %b %Y}"
    return f"{start} to {until:%d %b %Y}"
