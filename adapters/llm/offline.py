"""The offline analyst: rules and lexicons, no network. It codes reasons for leaving into the
taxonomy, reads the sentiment, picks verbatim quotes and decides on follow-up questions well
enough that a team without an LLM still gets useful summaries.

Its lexicons are English (LANGUAGES). An interview in another language is read only where no
words are needed: the reason the employee picked leads, low ratings add reasons, the
sentiment comes from the ratings, and nothing is coded, flagged or probed from the words
(a model reads any language: configure one for that)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from functools import cache
from itertools import accumulate
from operator import itemgetter
from typing import Generic, TypeVar

from adapters.llm.lexicon import (
    ACTORS,
    BARE,
    CAREFUL_FOLLOW_UP,
    CLAUSE_ENDS,
    CLEARED,
    COMPLAINED_WITH,
    CONCRETE,
    CONTENT,
    CONTRASTS,
    DECLINES,
    DENIABLE,
    DISCLOSED_REASON,
    DISCLOSURE_FRAMES,
    DISCLOSURE_WEIGHT,
    DISCLOSURES,
    DISMISSED,
    DISOWNED,
    DOMINANT,
    DRAWS,
    EXCLUDERS,
    FALSE_FRIENDS,
    FOLLOW_ONS,
    FOLLOW_UPS,
    FRAME_DOUBTS,
    FRAME_REACH,
    GENERIC_FOLLOW_UP,
    INFLECTIONS,
    INJECTION,
    IRONIC,
    LEXICON,
    NAMED,
    NEGATIVE,
    NEGATORS,
    NEVER_PROBED,
    NO_HARM,
    NOT_PRAISE,
    NOT_TYPOS,
    NOTHING_ANSWERS,
    PAID_HARMS,
    POSITIVE,
    REFUSALS,
    REMEDIES,
    SELF_EXPLAINED,
    SHORT_STEM,
    SIDE,
    SUGGESTED_ACTIONS,
    TOLD_AFTER,
    TYPO_WORDS,
    UNANSWERED_WHY,
    UNRELATED,
    VAGUE,
    WEIGHTS,
    WHERE,
    WHY_MARKERS,
)
from core.analysis import Analysis, Disclosure, Sentiment
from core.ports import Usage
from core.questions import NO, YES, Question
from core.reporting import TranscriptEntry
from core.taxonomy import Reason

REASONS_BY_ID = {reason.value: reason for reason in Reason}
# The languages whose words the rules can read.
LANGUAGES = frozenset({"en"})


def reads(language: str | None) -> bool:
    """Whether the rules can read answers in `language` (None: English)."""
    return language is None or language in LANGUAGES


_TOKEN = re.compile(r"[\w'\u2019:/-]+|\$+|[.,;!?]")
# A sentence ends at . ! or ? followed by a space or the end: `<!channel>` and `e.g.x` stay whole.
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?]+(?=[^\s.!?]))+[.!?]*")
# The tokens (of _TOKEN) that end a sentence.
_SENTENCE_ENDS = frozenset(".!?")


def _tokens(text: str) -> list[str]:
    """Words and clause punctuation, case-folded, without the quotes around a word, and with
    a common slip in a word the lexicons know put right."""
    words = (t.replace("\u2019", "'").strip("'") for t in _TOKEN.findall(text.casefold()))
    return [_SLIPS.get(w, w) for w in words if w]


_VOWELS = "aeiou"


def _slips(word: str) -> Iterator[list[str]]:
    """The ways to mistype `word` by one slip, likelier slips first."""
    n = range(len(word))
    yield [word[:i] + word[i + 1 :] for i in n]  # a letter dropped
    yield [word[:i] + word[i] + word[i:] for i in n]  # a letter doubled
    yield [word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in n[:-1]]  # two swapped
    yield [word[:i] + v + word[i + 1 :] for i in n if word[i] in _VOWELS for v in _VOWELS]
    yield [word[:i] + v + word[i:] for i in range(len(word) + 1) for v in _VOWELS]


def _slip_table(words: Sequence[str]) -> dict[str, str]:
    """Each slip of `words` that is no word itself, with the word it comes from; a slip two
    words can make with the same kind of slip is left out ("bonuse": bonus or bonuses?)."""
    found: dict[str, tuple[int, set[str]]] = {}
    for word in words:
        for rank, slips in enumerate(_slips(word)):
            for slip in slips:
                best, sources = found.setdefault(slip, (rank, set()))
                if rank < best:
                    found[slip] = (rank, {word})
                elif rank == best:
                    sources.add(word)
    known = set(words) | NOT_TYPOS
    return {
        slip: next(iter(sources))
        for slip, (_, sources) in found.items()
        if len(sources) == 1 and len(slip) >= 5 and slip not in known
    }


_SLIPS = _slip_table(TYPO_WORDS)


def _negated(tokens: Sequence[str]) -> list[bool]:
    flags, negator, excluded = [], False, False
    previous = ""
    for token in tokens:
        if token in CLAUSE_ENDS:
            negator = excluded = False
        # "not the hours": from "the" on, so no phrase that starts there counts either.
        excluded = excluded or (previous in NEGATORS and token in NAMED)
        flags.append(excluded)
        if token in NEGATORS:
            negator = True
        elif negator and token in EXCLUDERS and previous not in COMPLAINED_WITH:
            excluded = True
        previous = token
    return flags


L = TypeVar("L", bound=Hashable)
# A text as the matchers read it: its tokens, and which of them a negation rules out.
Read = tuple[list[str], list[bool]]


def read(text: str) -> Read:
    """Read once, for every matcher that counts in the same text."""
    tokens = _tokens(text)
    return tokens, _negated(tokens)


class _Matcher(Generic[L]):
    """Counts stems in text, each keyed to a label. Indexed by a phrase's first word, or a
    single stem's prefix, so a text is read once however long the lexicon is."""

    def __init__(self, stems: Mapping[L, Sequence[str]], unrelated: Sequence[str] = ()) -> None:
        self._stems: dict[str, list[L]] = defaultdict(list)
        self._phrases: dict[str, list[tuple[L | None, list[str]]]] = defaultdict(list)
        # A phrase that holds a label's word but names none ("thanks for the opportunity")
        # covers its words, labelled None, and is never yielded.
        for phrase in unrelated:
            parts = phrase.split()
            self._phrases[parts[0]].append((None, parts))
        for label, entries in stems.items():
            for stem in entries:
                parts = stem.split()
                if len(parts) == 1:
                    self._stems[stem].append(label)
                else:
                    self._phrases[parts[0]].append((label, parts))
        # The lengths of the single stems, shortest first: the prefixes of a word worth
        # looking up.
        self._lengths = sorted({len(stem) for stem in self._stems})
        # Each stem's first letters at each of those lengths, with the labels of the stem
        # they spell ([] when they only begin longer ones): a word whose first letters are
        # not here begins no stem, so its longer prefixes need no look.
        self._starts: dict[str, list[L]] = {
            stem[:end]: self._stems.get(stem[:end], [])
            for stem in self._stems
            for end in self._lengths
            if end <= len(stem)
        }

    def count(self, text: str | Read) -> Counter[L]:
        """How many times each label's stems start a word (or a phrase), outside a negation.
        The longest phrase at a place wins: "team lead job" is not also "team lead"."""
        return Counter(map(itemgetter(0), self.matches(text)))

    def matches(self, text: str | Read) -> Iterator[tuple[L, int, int]]:
        """Each label found, with the tokens it spans (start, end)."""
        tokens, negated = read(text) if isinstance(text, str) else text
        covered = 0  # tokens before this are inside a phrase already counted
        for i, token in enumerate(tokens):
            if negated[i] or i < covered:
                continue
            if phrases := self._phrases.get(token):
                longest = 0
                for _, parts in phrases:
                    size = len(parts)
                    if longest < size and i + size <= len(tokens) and _phrase_at(tokens, i, parts):
                        longest = size
                if longest:
                    for label, parts in phrases:
                        if (
                            label is not None
                            and len(parts) == longest
                            and _phrase_at(tokens, i, parts)
                        ):
                            yield label, i, i + longest
                    covered = i + longest
                    continue
            if token in FALSE_FRIENDS:
                continue
            for end in self._lengths:
                if end > len(token):
                    break
                labels = self._starts.get(token[:end])
                if labels is None:
                    break
                if not labels:
                    continue
                if end <= SHORT_STEM and token[:end].isalpha() and not _inflected(token, end):
                    continue
                for label in labels:
                    yield label, i, i + 1


def _inflected(token: str, end: int) -> bool:
    """Whether `token` is its first `end` letters, inflected: "pays", "taxed", "kids"."""
    rest = token[end:]
    if rest[:1] and rest[:1] == token[end - 1 : end]:
        rest = rest[1:]  # a doubled consonant: "fitted"
    return rest in INFLECTIONS


def _phrase_at(tokens: Sequence[str], i: int, parts: Sequence[str]) -> bool:
    """Whole words, but the last may be a stem: `career grow` matches `career growth` (a
    short one only inflected: `head of` is not `head office`)."""
    *whole, stem = parts
    last = tokens[i + len(whole)]
    return (
        tokens[i : i + len(whole)] == whole
        and last.startswith(stem)
        and (len(stem) > SHORT_STEM or not stem.isalpha() or _inflected(last, len(stem)))
    )


_REASONS = _Matcher(LEXICON, UNRELATED)
_TONE = _Matcher({"positive": POSITIVE, "negative": NEGATIVE})
# A disclosure's phrases (labelled with its kind) and its frame's first halves (labelled
# `(_FIRST, kind)`), read in one pass: most answers hold neither.
_FIRST = "first half"
_DISCLOSURE_WORDS: dict[Disclosure | tuple[str, Disclosure], Sequence[str]] = {
    kind: phrases for kind, phrases in DISCLOSURES.items()
}
_DISCLOSURE_WORDS.update({(_FIRST, kind): halves[0] for kind, halves in DISCLOSURE_FRAMES.items()})
_DISCLOSURES = _Matcher(_DISCLOSURE_WORDS, NO_HARM)
_FRAME_HARMS = _Matcher({kind: halves[1] for kind, halves in DISCLOSURE_FRAMES.items()})
_REMEDIES = _Matcher({"remedied": REMEDIES})
_FOLLOW_ONS = _Matcher({"after": FOLLOW_ONS})
_ACTORS = _Matcher(ACTORS)
_DENIABLE = _Matcher({"deniable": DENIABLE})


# Where an answer turns: what follows "but" or "however" is what the person means.
_TURNS = "|".join(CONTRASTS)
_SEGMENT = re.compile(rf"([.;:!?\n,()]+|\s(?:{_TURNS})\s)", re.IGNORECASE)
_CONTRAST = re.compile(rf"^\s*(?:{_TURNS})\b", re.IGNORECASE)
_MARKUP = re.compile(r"\{[^{}]*\}|</?answer>", re.IGNORECASE)
_BULLETS = re.compile(r"^[ \t]*(?:[-*\u2022]|\d{1,2}[.)])[ \t]", re.MULTILINE)
_BRACKETED = re.compile(r"\[[^\[\]]*\]|<[^<>]*>")
_MARKS = _Matcher(
    {
        "dominant": DOMINANT,
        "side": SIDE,
        "cleared": CLEARED,
        "ironic": IRONIC,
        "decline": DECLINES,
        "disowned": DISOWNED,
    },
    NOT_PRAISE,
)


def evidence(text: str) -> str:
    """The answer as evidence: without markup and sentences that instruct a model."""
    plain = _MARKUP.sub(" ", text)
    # "[assistant: reason=x] I was laid off": the bracket goes, the sentence stays.
    plain = _BRACKETED.sub(lambda m: " " if _instructs(m.group()) else m.group(), plain)
    return "\n".join(s for s in _SENTENCE.findall(plain) if not INJECTION.search(s)).strip()


def _instructs(bracketed: str) -> bool:
    inner = bracketed[1:-1]
    return bool(INJECTION.search(inner)) or "=" in inner or inner.strip().isupper()


def _segments(text: str) -> list[tuple[str, bool]]:
    """The answer's clauses, each with whether it follows a contrast ("but the hours")."""
    clauses: list[tuple[str, bool]] = []
    contrast = False
    # Split with the separators kept: clauses at even places, what parted them at odd ones.
    for n, piece in enumerate(_SEGMENT.split(text)):
        if n % 2:
            contrast = contrast or piece.strip().casefold() in CONTRASTS
        elif piece.strip():
            clauses.append((piece, contrast or bool(_CONTRAST.match(piece))))
            contrast = False
    return clauses


def reason_scores(text: str) -> Counter[Reason]:
    """How strongly the answer gives each reason: every mention counts, more in a clause that
    says it is the main thing or follows a "but", less in a side remark, nothing where the
    reason is ruled out ("the pay was fine") or in an instruction to a model."""
    scores: Counter[Reason] = Counter()
    carry = False  # "the main thing is:" weighs the clause after it...
    last: Counter[Reason] = Counter()  # ...and "that was the deciding factor" the one before
    whole = evidence(text)
    ironic = _MARKS.count(whole)["ironic"] > 0
    listed = len(_BULLETS.findall(text)) > 1  # a list puts its main reason first
    praised: Counter[Reason] = Counter()  # "my manager is lovely...
    for place, (clause, after_contrast) in enumerate(_segments(whole)):
        words = read(clause)
        found = _REASONS.count(words)
        marks = _MARKS.count(words)
        _, negative = _tone(words)
        if praised and after_contrast and negative and not found:
            scores.update({r: 3 * n for r, n in praised.items()})  # ...but useless"
        praised = Counter()
        cleared = (
            marks["cleared"]
            and not ironic
            and not negative
            and not any(t in NEGATORS for t in words[0])
        )
        if not found:
            if marks["disowned"] and last:
                scores.subtract(last)  # "...but that's not why."
            elif marks["dominant"] and last:
                scores.update({r: 2 * n for r, n in last.items()})
            else:
                carry = carry or bool(marks["dominant"])
            last = Counter()
            continue
        if cleared and not marks["disowned"] and Reason.OTHER_OPPORTUNITY in found:
            # Praise of the new job is its draw, not praise of this one.
            found = Counter({Reason.OTHER_OPPORTUNITY: found[Reason.OTHER_OPPORTUNITY]})
        elif cleared or marks["disowned"]:
            carry, last, praised = False, Counter(), found
            continue
        weight = 2
        if marks["side"]:
            weight = 1
        elif (
            marks["dominant"] or carry or (listed and not scores) or (place == 0 and _headed(whole))
        ):
            weight = 6
        elif after_contrast:
            weight = 3
        carry = False
        last = Counter({r: n * weight * WEIGHTS.get(r, 1) for r, n in found.items()})
        scores.update(last)
    return +scores  # without reasons set aside to nothing


def _headed(text: str) -> bool:
    """Whether a word or two come first, then the story: "Salary. I love the team but..."."""
    first, _, rest = text.partition("\n")
    return bool(rest.strip()) and len(first.split()) <= 2


def disclosed(
    text: str, score: Callable[[str], Counter[Reason]] = reason_scores
) -> tuple[Counter[Reason], Disclosure | None]:
    """The answer's reason scores with the reason its serious disclosure speaks of, if any,
    and that disclosure."""
    scores = Counter(score(text))
    disclosure = serious_disclosure(text)
    if disclosure is not None:
        scores[_disclosed_reason(disclosure, text)] += DISCLOSURE_WEIGHT
    return scores, disclosure


def _disclosed_reason(disclosure: Disclosure, text: str) -> Reason:
    """What a harm speaks of: a manager where the answer names one (whatever the harm, but
    pay), colleagues or customers (the culture) for a harm people do to people; otherwise
    the kind's own reason."""
    usual = DISCLOSED_REASON[disclosure]
    if disclosure in PAID_HARMS:
        return usual
    named = _ACTORS.count(evidence(text))
    # A manager named leads: what they did, or did not do about it, is what HR can act on.
    if named[Reason.MANAGER]:
        return Reason.MANAGER
    if usual in ACTORS and named[Reason.CULTURE]:
        return Reason.CULTURE  # colleagues or customers did it
    return usual


def primary_reason(text: str) -> Reason | None:
    """The reason one answer gives above the others; None when it names none."""
    ranked = disclosed(text)[0].most_common()
    if not ranked:
        return None
    leader, score = ranked[0]
    # A new job with what drew them to it, as strongly said, is coded by the draw: another
    # opportunity is a new job that names no driver (docs/reasons.md).
    if leader is Reason.OTHER_OPPORTUNITY:
        return next((r for r, n in ranked[1:] if n == score and r in DRAWS), leader)
    return leader


def serious_disclosure(text: str) -> Disclosure | None:
    """The kind of thing HR must act on that an answer discloses, if any: by phrase, or by a
    frame's two halves in one sentence; not in a clause that says it was put right."""
    words = read(evidence(text))
    phrases: list[tuple[Disclosure, int]] = []
    firsts: list[tuple[Disclosure, int]] = []
    for label, at, _ in _DISCLOSURES.matches(words):
        if isinstance(label, tuple):
            firsts.append((label[1], at))
        else:
            phrases.append((label, at))
    if not phrases and not firsts:
        return None  # most answers: nothing to weigh
    tokens = words[0]
    # Each token's sentence and clause: the count of their ends before it.
    sentence = list(accumulate((t in _SENTENCE_ENDS for t in tokens), initial=0))
    clause = list(accumulate((t in CLAUSE_ENDS for t in tokens), initial=0))
    remedied = {
        clause[start]
        for _, start, _ in _REMEDIES.matches(words)
        if not _doubted(tokens, start, start)  # "never fixed" is no remedy
    }
    denied = {at for _, at, _ in _DENIABLE.matches(words) if _doubted(tokens, at, at, after=False)}
    found = {kind for kind, at in phrases if clause[at] not in remedied and at not in denied}
    if firsts:
        starts = {(kind, sentence[at]) for kind, at in firsts}
        # ...or, for what is told after, in the next sentence if it says it came after.
        later = {sentence[at] for _, at, _ in _FOLLOW_ONS.matches(words)}
        starts |= {
            (kind, sentence[at] + 1)
            for kind, at in firsts
            if kind in TOLD_AFTER and sentence[at] + 1 in later
        }
        cleared = {sentence[at] for mark, at, _ in _MARKS.matches(words) if mark == "cleared"}
        found.update(
            kind
            for kind, start, end in _FRAME_HARMS.matches(words)
            if (kind, sentence[start]) in starts
            and sentence[start] not in cleared
            and clause[start] not in remedied
            and not _doubted(tokens, start, end)
        )
    # The graver kind first (DISCLOSURES' order): a report then a cut in shifts is
    # retaliation, whatever the report was about.
    return next((kind for kind in DISCLOSURES if kind in found), None)


def _doubted(tokens: Sequence[str], start: int, end: int, after: bool = True) -> bool:
    """Whether a negation stands next to tokens[start:end] ("no one forced me", "refused
    nothing", "nobody was left out"), or only before it; one inside it ("no working brakes")
    is part of it."""
    near = tokens[max(0, start - FRAME_REACH) : start]
    if after:
        near = (*near, *tokens[end : end + FRAME_REACH])
    return any(t in NEGATORS or t in FRAME_DOUBTS for t in near)


def careful_question(earlier: Sequence[TranscriptEntry]) -> str | None:
    """The careful question after a disclosure: thanks and a choice, once an interview."""
    return _once(CAREFUL_FOLLOW_UP, earlier)


def _once(followup: str, earlier: Sequence[TranscriptEntry]) -> str | None:
    """`followup`, unless the interview asked it already."""
    return None if any(e.followup_question == followup for e in earlier) else followup


def refused(text: str) -> bool:
    """The person would rather not say: never asked again."""
    folded = _folded(text)
    return any(f" {r} " in f" {folded} " for r in REFUSALS)


def _tone(text: str | Read) -> tuple[int, int]:
    """How many positive and how many negative words."""
    found = _TONE.count(text)
    return found["positive"], found["negative"]


def _bare_label(text: str, reason: Reason) -> bool:
    """ "Relocating.", "Family situation.": what, with no detail at all (no place or name, as
    in "Emigrating to Australia.", or where, as in "moving to scotland"); retiring and an
    ending the company made ("Laid off.") are never asked about."""
    words = text.split()
    named_something = any(word[:1].isupper() or word.casefold() in WHERE for word in words[1:])
    return len(words) <= BARE and reason not in NEVER_PROBED and not named_something


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
        language: str | None = None,
    ) -> str | None:
        if not reads(language):
            return None  # the rules cannot tell a vague answer from a clear one in it
        text = evidence(answer)
        folded = _folded(text)
        words = folded.split()
        if not words or refused(text):
            return None
        # Something HR must act on: thanks and a choice, asked once, never a probe for detail.
        if serious_disclosure(text) is not None:
            return careful_question(earlier)
        # "Nothing really, it was fine." is a no, not a vague answer to dig into.
        opening = " ".join(words[:2])
        if folded in NOTHING_ANSWERS or (len(words) < 8 and opening in NOTHING_ANSWERS):
            return None
        if any(f" {c} " in f" {folded} " for c in CONTENT):
            return None
        scores = reason_scores(text)
        # A why, or more than one thing said ("too many hours, no weekends").
        # (A list's lines count as one: "- no training\n- no progression" is still bare.)
        clauses = [c for c, _ in _segments(text.replace("\n", " ")) if len(c.split()) > 1]
        explained = WHY_MARKERS.search(folded) is not None or len(clauses) > 1
        if len(words) < 8 and any(f" {v} " in f" {folded} " for v in VAGUE):
            return "What's one specific example that comes to mind?"
        if not scores:
            if not any(ch.isalnum() for ch in folded):
                return None  # "-" or "...": nothing was said, so nothing to ask about
            if len(words) < 4:
                return GENERIC_FOLLOW_UP
            # Asked why they leave, they said something else ("As a gay man I felt accepted
            # here."): ask the question's point again, not about what they said.
            return _once(UNANSWERED_WHY, earlier) if question.role == "trigger" else None
        # A reason named without its why, unless the question was already about that reason.
        named = [r for r, _ in scores.most_common() if r != question.category]
        dismissed = any(f" {d}" in f" {folded}" for d in DISMISSED)
        # A plain fact ("I'm retiring") needs no why, unless it is a dismissal or a bare label.
        if (
            named
            and named[0] in SELF_EXPLAINED
            and not dismissed
            and not _bare_label(text, named[0])
        ):
            return None
        # A concrete detail ("since March", "every week", "instead of") is a why of sorts.
        concrete = len(words) >= 6 and CONCRETE.search(folded) is not None
        if named and not explained and not concrete and len(words) < 12:
            asked = FOLLOW_UPS.get(named[0], GENERIC_FOLLOW_UP)
            if asked and _folded(asked) != _folded(question.text):
                return _once(asked, earlier)
        return None

    def summarize(
        self,
        entries: Sequence[TranscriptEntry],
        usage: Usage | None = None,
        language: str | None = None,
    ) -> Analysis:
        written = [text for entry in entries for text in entry.written()]
        if language is not None and not reads(language):
            return self._unread(entries, written, language)
        # A short answer is a sentence of its own, scored again for the quotes: once will do.
        score, tone = cache(reason_scores), cache(_tone)
        scores: Counter[Reason] = Counter()
        disclosures: list[Disclosure] = []
        for text in written:
            found, disclosure = disclosed(text, score)
            scores.update(found)
            if disclosure is not None:
                disclosures.append(disclosure)
        primary = self._primary(entries, scores)
        secondary = [r for r, _ in scores.most_common() if r != primary]
        secondary += [r for r in self._low_rated(entries) if r != primary and r not in secondary]
        return Analysis(
            primary_reason=primary,
            secondary_reasons=secondary[:5],
            disclosures=list(dict.fromkeys(disclosures)),
            sentiment=self._sentiment(entries, written, tone),
            quotes=self._quotes(written, score, tone),
            kept_by=self._answer_of(entries, "retention"),
            would_return=self._would_return(entries),
            suggested_action=SUGGESTED_ACTIONS.get(primary) if primary else None,
        )

    def _unread(
        self, entries: Sequence[TranscriptEntry], written: Sequence[str], language: str
    ) -> Analysis:
        """An interview in a language the rules cannot read: what needs no words."""
        primary = self._primary(entries, Counter())
        return Analysis(
            unread_language=language if written else None,
            primary_reason=primary,
            secondary_reasons=[r for r in self._low_rated(entries) if r != primary][:5],
            sentiment=self._sentiment(entries, []),
            quotes=[],
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

    def _sentiment(
        self,
        entries: Sequence[TranscriptEntry],
        written: Sequence[str],
        tone: Callable[[str], tuple[int, int]] = _tone,
    ) -> Sentiment:
        """From their words, the options they picked ("Unsustainable") and their ratings,
        together: a run of the lowest ratings is not neutral because the words were few."""
        picked = [e.answer for e in entries if not e.free_text and e.number is None and e.answer]
        tones = [tone(t) for t in [*written, *picked]]
        positive = sum(p for p, _ in tones)
        negative = sum(n for _, n in tones)
        signals: list[float] = []
        if positive or negative:
            signals.append((positive - negative) / (positive + negative))
        # Where each rating sits on its own scale: 1 of 1-5 is the bottom, as 0 of 0-10 is.
        ratings = [
            (e.number - low) / (e.out_of - low)
            for e in entries
            if e.number is not None and e.out_of and e.out_of > (low := 0 if e.out_of >= 10 else 1)
        ]
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

    def _quotes(
        self,
        written: Sequence[str],
        score: Callable[[str], Counter[Reason]],
        tone: Callable[[str], tuple[int, int]],
    ) -> list[str]:
        scored: list[tuple[float, int, str]] = []
        for text in written:
            for match in _SENTENCE.finditer(text):
                sentence = match.group().strip()
                words = len(sentence.split())
                if words < 5 or _folded(sentence) in NOTHING_ANSWERS:
                    continue
                weight = (
                    2 * sum(score(sentence).values())
                    + sum(tone(sentence))
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
        return None if entry is None or entry.value not in (YES, NO) else entry.value == YES
