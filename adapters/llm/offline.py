"""The offline analyst: rules and lexicons, no network. It codes reasons for leaving into the
taxonomy, reads the sentiment, picks verbatim quotes and decides on follow-up questions well
enough that a team without an LLM still gets useful summaries."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Generic, TypeVar

from core.analysis import Analysis, Sentiment
from core.ports import Usage
from core.questions import YES, Question
from core.reporting import TranscriptEntry
from core.taxonomy import Reason

# Word stems that point at each reason. Matched at word starts, case-folded.
LEXICON: dict[Reason, tuple[str, ...]] = {
    Reason.CAREER_GROWTH: (
        "promot",
        "career",
        "growth",
        "grow",
        "learn",
        "develop",
        "progress",
        "advance",
        "stagnat",
        "stuck",
        "plateau",
        "ladder",
        "mentor",
        "skills",
        "next level",
        "senior role",
        "lead a team",
        "leadership role",
    ),
    Reason.COMPENSATION: (
        "pay",
        "paid",
        "salary",
        "salaries",
        "raise",
        "bonus",
        "equity",
        "stock",
        "compensation",
        "underpaid",
        "money",
        "benefits",
        "pension",
        "wage",
        "market rate",
        "payroll",
    ),
    Reason.MANAGER: (
        "manager",
        "boss",
        "micromanag",
        "my lead",
        "supervisor",
        "team lead",
        "one-on-one",
        "1:1",
        "line manager",
    ),
    Reason.WORK_LIFE_BALANCE: (
        "hours",
        "overtime",
        "weekend",
        "evenings",
        "on-call",
        "on call",
        "flexib",
        "remote",
        "hybrid",
        "return to office",
        "back to the office",
        "rto",
        "schedule",
        "balance",
        "work-life",
        "work life",
    ),
    Reason.WELLBEING: (
        "burnout",
        "burned out",
        "burnt out",
        "stress",
        "exhaust",
        "mental health",
        "health",
        "anxiety",
        "anxious",
        "sick",
        "overwhelm",
        "drained",
    ),
    Reason.JOB_FIT: (
        "boring",
        "bored",
        "the work itself",
        "scope",
        "workload",
        "tools",
        "tooling",
        "resources",
        "process",
        "bureaucra",
        "repetitive",
        "not challeng",
        "role wasn",
        "responsibilit",
        "legacy",
    ),
    Reason.CULTURE: (
        "culture",
        "colleague",
        "toxic",
        "values",
        "inclusi",
        "diversity",
        "politic",
        "leadership",
        "direction",
        "strategy",
        "communicat",
        "reorg",
        "restructur",
        "morale",
        "atmosphere",
        "coworker",
        "co-worker",
        "team spirit",
    ),
    Reason.RELOCATION: (
        "moving",
        "relocat",
        "move to",
        "moved to",
        "commute",
        "another city",
        "abroad",
        "another country",
        "partner's job",
        "spouse",
    ),
    Reason.PERSONAL: (
        "care for",
        "father",
        "mother",
        "illness",
        "family",
        "baby",
        "kids",
        "children",
        "parent",
        "caregiv",
        "caring for",
        "studies",
        "study",
        "degree",
        "university",
        "school",
        "sabbatical",
        "travel",
        "personal",
    ),
    Reason.RETIREMENT: ("retir",),
    Reason.INVOLUNTARY: (
        "laid off",
        "layoff",
        "lay off",
        "redundan",
        "let go",
        "fired",
        "dismiss",
        "terminat",
        "contract ended",
        "end of contract",
        "end of my contract",
        "position was eliminated",
        "role was eliminated",
    ),
    Reason.OTHER_OPPORTUNITY: (
        "offer",
        "new job",
        "another company",
        "opportunit",
        "startup",
        "start-up",
        "recruiter",
        "headhunt",
        "dream job",
    ),
}

# Facts, not feelings: when one is stated it outweighs an incidental word ("laid off in the
# restructuring" is involuntary, not culture).
WEIGHTS: dict[Reason, int] = {
    Reason.INVOLUNTARY: 3,
    Reason.RETIREMENT: 3,
    Reason.RELOCATION: 2,
}
NEGATORS = {
    "not",
    "no",
    "never",
    "nothing",
    "without",
    "wasn't",
    "isn't",
    "didn't",
    "don't",
    "doesn't",
    "wasnt",
    "isnt",
    "didnt",
    "dont",
    "doesnt",
    "hardly",
}
# "No growth" names a reason; "never about the money or the salary" rules one out. So a
# negation excludes words only after one of these, to the end of its clause.
EXCLUDERS = {"about", "because", "due", "with", "reason", "issue", "problem"}
CLAUSE_ENDS = {".", ",", ";", "!", "?", "but", "though", "although", "however"}
POSITIVE = (
    "great",
    "good",
    "love",
    "loved",
    "enjoy",
    "enjoyed",
    "grateful",
    "thank",
    "amazing",
    "supportive",
    "happy",
    "fantastic",
    "excellent",
    "helpful",
    "kind",
    "fun",
    "proud",
    "appreciat",
    "wonderful",
    "best",
    "fair",
    "brilliant",
)
NEGATIVE = (
    "bad",
    "poor",
    "toxic",
    "frustrat",
    "unfair",
    "hate",
    "hated",
    "stress",
    "burn",
    "ignored",
    "disappoint",
    "exhaust",
    "angry",
    "worst",
    "awful",
    "terrible",
    "lack",
    "never",
    "unclear",
    "chaos",
    "chaotic",
    "micromanag",
    "undervalued",
    "unsupported",
    "overwork",
    "unhappy",
    "sad",
    "lonely",
    "isolat",
    "blame",
    "dismissive",
)
NOTHING_ANSWERS = {
    "nothing",
    "no",
    "none",
    "n/a",
    "na",
    "not sure",
    "dunno",
    "don't know",
    "idk",
    "no idea",
    "nope",
    "nothing really",
    "nothing else",
    "no comment",
}
VAGUE = (
    "things",
    "stuff",
    "various",
    "many reasons",
    "a lot of things",
    "it was fine",
    "it's fine",
    "ok",
    "okay",
    "fine",
    "just because",
    "it is what it is",
    "you know",
)
# Words that say why, as whole words ("as" must not match inside "was").
WHY_MARKERS = re.compile(r"\b(because|since|as|so|when|after|due to|for example|e g|which)\b")

FOLLOW_UPS: dict[Reason, str] = {
    Reason.CAREER_GROWTH: "What kind of growth were you looking for that you couldn't find here?",
    Reason.COMPENSATION: (
        "Would a better offer on pay have kept you here, and roughly what would it have taken?"
    ),
    Reason.MANAGER: "What could your manager have done differently?",
    Reason.WORK_LIFE_BALANCE: "What part of the schedule or hours was the hardest to live with?",
    Reason.WELLBEING: "I'm sorry it took that toll. What was it about the work that wore you down?",
    Reason.JOB_FIT: "What would the role have needed to look like for you to enjoy it?",
    Reason.CULTURE: "Could you give an example of what you mean about the culture?",
    Reason.OTHER_OPPORTUNITY: "What did the new role offer that you couldn't get here?",
    Reason.RELOCATION: "Was it the move itself, or something here that could have made it work?",
}
GENERIC_FOLLOW_UP = "Could you say a little more about that? One example is plenty."

SUGGESTED_ACTIONS: dict[Reason, str] = {
    Reason.CAREER_GROWTH: "Review growth paths and promotion criteria for this role and team.",
    Reason.COMPENSATION: "Benchmark pay for this role against the market.",
    Reason.MANAGER: "Follow up with the manager's own lead about support and feedback.",
    Reason.WORK_LIFE_BALANCE: "Look at hours, on-call load and flexibility in this team.",
    Reason.WELLBEING: "Check workload and stress signals in the team they leave behind.",
    Reason.JOB_FIT: "Revisit the role's scope, workload and tooling.",
    Reason.CULTURE: "Look into team dynamics and leadership communication here.",
    Reason.OTHER_OPPORTUNITY: "Compare what the new offer gave them with this role's package.",
    Reason.INVOLUNTARY: "Review how the ending was communicated and supported.",
}

REASONS_BY_ID = {reason.value: reason for reason in Reason}
_TOKEN = re.compile(r"[\w'\u2019:/-]+|[.,;!?]")
# A sentence ends at . ! or ? followed by a space or the end: `<!channel>` and `e.g.x` stay whole.
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?]+(?=[^\s.!?]))+[.!?]*")


def _tokens(text: str) -> list[str]:
    """Words and clause punctuation, case-folded."""
    return [t.replace("\u2019", "'") for t in _TOKEN.findall(text.casefold())]


def _negated(tokens: Sequence[str]) -> list[bool]:
    flags, negator, excluded = [], False, False
    for token in tokens:
        if token in CLAUSE_ENDS:
            negator = excluded = False
        flags.append(excluded)
        if token in NEGATORS:
            negator = True
        elif negator and token in EXCLUDERS:
            excluded = True
    return flags


L = TypeVar("L", bound=Hashable)


class _Matcher(Generic[L]):
    """Counts stems in text, each keyed to a label. Indexed by a phrase's first word, or a
    single stem's prefix, so a text is read once however long the lexicon is."""

    def __init__(self, stems: Mapping[L, Sequence[str]]) -> None:
        self._stems: dict[str, list[L]] = defaultdict(list)
        self._phrases: dict[str, list[tuple[L, list[str]]]] = defaultdict(list)
        for label, entries in stems.items():
            for stem in entries:
                parts = stem.split()
                if len(parts) == 1:
                    self._stems[stem].append(label)
                else:
                    self._phrases[parts[0]].append((label, parts))
        self._longest = max(map(len, self._stems), default=0)

    def count(self, text: str) -> Counter[L]:
        """How many times each label's stems start a word (or a phrase), outside a negation."""
        tokens = _tokens(text)
        negated = _negated(tokens)
        found: Counter[L] = Counter()
        for i, token in enumerate(tokens):
            if negated[i]:
                continue
            for end in range(1, min(len(token), self._longest) + 1):
                for label in self._stems.get(token[:end], ()):
                    found[label] += 1
            for label, parts in self._phrases.get(token, ()):
                if i + len(parts) <= len(tokens) and _phrase_at(tokens, i, parts):
                    found[label] += 1
        return found


def _phrase_at(tokens: Sequence[str], i: int, parts: Sequence[str]) -> bool:
    """Whole words, but the last may be a stem: `career grow` matches `career growth`."""
    *whole, stem = parts
    return tokens[i : i + len(whole)] == whole and tokens[i + len(whole)].startswith(stem)


_REASONS = _Matcher(LEXICON)
_TONE = _Matcher({"positive": POSITIVE, "negative": NEGATIVE})


def reason_scores(text: str) -> Counter[Reason]:
    found = _REASONS.count(text)
    return Counter({r: n * WEIGHTS.get(r, 1) for r in LEXICON if (n := found[r])})


def primary_reason(text: str) -> Reason | None:
    """The reason one answer gives above the others; None when it names none."""
    found = reason_scores(text).most_common(1)
    return found[0][0] if found else None


def serious_disclosure(text: str) -> str | None:
    """The kind of thing HR must act on that an answer discloses, if any."""
    return None


def _tone(text: str) -> tuple[int, int]:
    """How many positive and how many negative words."""
    found = _TONE.count(text)
    return found["positive"], found["negative"]


def _folded(text: str) -> str:
    return " ".join(t for t in _tokens(text) if t not in CLAUSE_ENDS)


class OfflineAnalyst:
    """Implements core.ports.Analyst without a model."""

    def follow_up(
        self,
        question: Question,
        answer: str,
        earlier: Sequence[TranscriptEntry],
        usage: Usage | None = None,
    ) -> str | None:
        folded = _folded(answer)
        words = folded.split()
        # "Nothing really, it was fine." is a no, not a vague answer to dig into.
        opening = " ".join(words[:2])
        if (
            not words
            or folded in NOTHING_ANSWERS
            or (len(words) < 8 and opening in NOTHING_ANSWERS)
        ):
            return None
        scores = reason_scores(answer)
        explained = WHY_MARKERS.search(folded) is not None
        if len(words) < 8 and any(f" {v} " in f" {folded} " for v in VAGUE):
            return "What's one specific example that comes to mind?"
        if len(words) < 4 and not scores:
            return GENERIC_FOLLOW_UP
        # A reason named without its why, unless the question was already about that reason.
        named = [r for r, _ in scores.most_common() if r != question.category]
        if named and not explained and len(words) < 12:
            asked = FOLLOW_UPS.get(named[0])
            if (
                asked
                and _folded(asked) != _folded(question.text)
                and not any(e.followup_question == asked for e in earlier)
            ):
                return asked
        return None

    def summarize(self, entries: Sequence[TranscriptEntry], usage: Usage | None = None) -> Analysis:
        written = [text for entry in entries for text in entry.written()]
        scores: Counter[Reason] = Counter()
        for text in written:
            scores.update(reason_scores(text))
        primary = self._primary(entries, scores)
        secondary = [r for r, _ in scores.most_common() if r != primary]
        secondary += [r for r in self._low_rated(entries) if r != primary and r not in secondary]
        return Analysis(
            primary_reason=primary,
            secondary_reasons=secondary[:5],
            sentiment=self._sentiment(entries, written),
            quotes=self._quotes(written),
            kept_by=self._answer_of(entries, "retention"),
            would_return=self._would_return(entries),
            suggested_action=SUGGESTED_ACTIONS.get(primary) if primary else None,
        )

    def themes(
        self, interviews: Sequence[Sequence[TranscriptEntry]], usage: Usage | None = None
    ) -> list[str]:
        """Reasons that people raise in their own words, by how many interviews raise them."""
        raised: Counter[Reason] = Counter()
        for entries in interviews:
            words = " ".join(text for entry in entries for text in entry.written())
            raised.update(set(reason_scores(words)))
        total = len(interviews)
        order = list(Reason)  # ties break in taxonomy order, not by hash
        ranked = sorted(raised.items(), key=lambda item: (-item[1], order.index(item[0])))
        return [
            f"{reason.label}: raised by {count} of {total}"
            for reason, count in ranked[:5]
            if count >= 2
        ]

    def _primary(
        self, entries: Sequence[TranscriptEntry], scores: Counter[Reason]
    ) -> Reason | None:
        chosen = next((e.value for e in entries if e.role == "primary_reason" and e.value), None)
        chosen_reason = REASONS_BY_ID.get(chosen or "")
        drivers = [
            (r, n)
            for r, n in scores.most_common()
            if r not in (Reason.OTHER, Reason.OTHER_OPPORTUNITY)
        ]
        # "Another opportunity" or "something else" with a named driver is coded as the driver.
        if (
            chosen_reason in (None, Reason.OTHER, Reason.OTHER_OPPORTUNITY)
            and drivers
            and (chosen_reason is None or drivers[0][1] >= 2)
        ):
            return drivers[0][0]
        if chosen_reason is None and scores:
            return scores.most_common(1)[0][0]
        return chosen_reason

    def _low_rated(self, entries: Sequence[TranscriptEntry]) -> list[Reason]:
        low = []
        for entry in entries:
            low_point = max(1, round((entry.out_of or 0) * 0.4))
            if entry.category and entry.number is not None and entry.number <= low_point:
                low.append(entry.category)
        return low

    def _sentiment(self, entries: Sequence[TranscriptEntry], written: Sequence[str]) -> Sentiment:
        tones = [_tone(t) for t in written]
        positive = sum(p for p, _ in tones)
        negative = sum(n for _, n in tones)
        signals: list[float] = []
        if positive or negative:
            signals.append((positive - negative) / (positive + negative))
        ratings = [e.number / e.out_of for e in entries if e.number is not None and e.out_of]
        if ratings:
            signals.append((sum(ratings) / len(ratings) - 0.5) * 2)
        if not signals:
            return "neutral"
        score = sum(signals) / len(signals)
        if positive >= 2 and negative >= 2 and abs(score) < 0.4:
            return "mixed"
        if score > 0.25:
            return "positive"
        if score < -0.25:
            return "negative"
        return "mixed" if positive and negative else "neutral"

    def _quotes(self, written: Sequence[str]) -> list[str]:
        scored: list[tuple[float, int, str]] = []
        for text in written:
            for match in _SENTENCE.finditer(text):
                sentence = match.group().strip()
                words = len(sentence.split())
                if words < 5 or _folded(sentence) in NOTHING_ANSWERS:
                    continue
                weight = (
                    2 * sum(reason_scores(sentence).values())
                    + sum(_tone(sentence))
                    + min(words, 30) / 10
                    - max(0, words - 45) / 5
                )
                scored.append((weight, len(scored), sentence))
        best = sorted(scored, key=lambda s: (-s[0], s[1]))
        quotes: list[str] = []
        for _, _, sentence in best:
            if sentence not in quotes:
                quotes.append(sentence)
            if len(quotes) == 3:
                break
        return quotes

    def _answer_of(self, entries: Sequence[TranscriptEntry], role: str) -> str | None:
        entry = next((e for e in entries if e.role == role and e.answer), None)
        return entry.answer if entry else None

    def _would_return(self, entries: Sequence[TranscriptEntry]) -> bool | None:
        entry = next((e for e in entries if e.role == "return" and e.value), None)
        return None if entry is None else entry.value == YES
