"""A small linear model of the reason for leaving, for answers the phrase rules find nothing
in: "It got monotonous.", "Something came up elsewhere I couldn't turn down." It reads letter
sequences (3 to 5 letters inside each word), so a typo or an unseen inflection still counts,
weighs them by how rare they are in the dev answers, and scores each reason with one weight
per sequence: a logistic regression trained on the dev split of bench/exit_answers.yaml by
`python -m bench.train_reasons`, shipped as data (reason_model.tsv). No dependency at run time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.taxonomy import Reason

MODEL = Path(__file__).with_name("reason_model.tsv")
NONE = "none"  # the label of an answer that gives no reason
_WORD = re.compile(r"[\w$%]+(?:'\w+)*")
SHORTEST, LONGEST = 3, 5


def grams(text: str) -> Counter[str]:
    """The letter sequences of each word, the word padded with a space either side so its
    start and end are sequences of their own (" pay", "pay ")."""
    found: Counter[str] = Counter()
    for word in _WORD.findall(text.casefold()):
        padded = f" {word} "
        for n in range(SHORTEST, LONGEST + 1):
            if len(padded) < n:
                found[padded] += 1  # a word shorter than n is one sequence, whole
                break
            found.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return found


def weighted(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    """Known sequences as tf-idf (1 + log count, times rarity), scaled to length one."""
    raw = {g: (1 + math.log(n)) * idf[g] for g, n in counts.items() if g in idf}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {g: v / norm for g, v in raw.items()}


@dataclass(frozen=True)
class ReasonModel:
    labels: tuple[str, ...]  # a reason's id, or NONE
    intercepts: tuple[float, ...]
    idf: dict[str, float]
    weights: dict[str, tuple[float, ...]]  # per sequence, one weight per label

    def scores(self, text: str) -> dict[str, float]:
        totals = list(self.intercepts)
        for gram, value in weighted(grams(text), self.idf).items():
            for i, weight in enumerate(self.weights[gram]):
                totals[i] += weight * value
        return dict(zip(self.labels, totals, strict=True))

    def predict(self, text: str) -> Reason | None:
        """The likeliest reason; None when the likeliest is that the answer gives none."""
        scores = self.scores(text)
        best = max(self.labels, key=scores.__getitem__)
        return None if best == NONE else Reason(best)

    def dump(self) -> str:
        lines = ["\t".join(["#", *self.labels]), "\t".join(["", "", *map(_num, self.intercepts)])]
        for gram in sorted(self.weights):
            lines.append("\t".join([gram, _num(self.idf[gram]), *map(_num, self.weights[gram])]))
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> ReasonModel:
        header, intercepts, *rows = text.split("\n")[:-1]
        idf: dict[str, float] = {}
        weights: dict[str, tuple[float, ...]] = {}
        for row in rows:
            gram, rarity, *values = row.split("\t")
            idf[gram] = float(rarity)
            weights[gram] = tuple(map(float, values))
        return cls(
            labels=tuple(header.split("\t")[1:]),
            intercepts=tuple(map(float, intercepts.split("\t")[2:])),
            idf=idf,
            weights=weights,
        )


def _num(value: float) -> str:
    return f"{value:.4g}"


@cache
def shipped() -> ReasonModel:
    """The model in the repository, read once, when first needed."""
    return ReasonModel.parse(MODEL.read_text(encoding="utf-8"))
