"""How well the offline analyst reads exit answers nobody tuned it on: the primary reason,
whether to ask a follow-up, and serious disclosures, on bench/exit_answers.yaml. Tune on the
dev split; report the test split (its misses are not printed, so nobody tunes on them). The
fresh split, written later in other voices and never tuned on either, says how wordings
unlike the first answers fare: score it to choose between methods, then report test.
Prints tables; not a test (run from the repository root).

    python -m bench.insight --split test
    python -m bench.insight --split fresh
    python -m bench.insight --split dev --misses
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from adapters.llm.offline import OfflineAnalyst, primary_reason, serious_disclosure
from core.question_kinds import TextQuestion

ANSWERS = Path(__file__).with_name("exit_answers.yaml")
# The open question a follow-up is decided for: what made them start thinking of leaving.
PROBE = TextQuestion(
    id="trigger",
    text="What happened that made you start thinking about leaving?",
    kind="text",
    probe=True,
    role="trigger",
)


@dataclass
class Counts:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    def add(self, wanted: bool, got: bool) -> None:
        self.true_positive += wanted and got
        self.false_positive += got and not wanted
        self.false_negative += wanted and not got

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Insight:
    answers: int = 0
    reasons_right: int = 0
    by_reason: dict[str, Counts] = field(default_factory=dict)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    probe: Counts = field(default_factory=Counts)
    serious: Counts = field(default_factory=Counts)
    misses: list[str] = field(default_factory=list)

    @property
    def reason_accuracy(self) -> float:
        return self.reasons_right / self.answers if self.answers else 0.0


def labelled(split: str, path: Path = ANSWERS) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [row for row in rows if row["split"] == split]


def measure(rows: list[dict[str, Any]]) -> Insight:
    analyst = OfflineAnalyst()
    result = Insight()
    for row in rows:
        text = row["text"]
        want = row["reason"] or "none"
        coded = primary_reason(text)
        got = coded.value if coded else "none"
        result.answers += 1
        result.reasons_right += got == want
        for reason in {want, got}:
            result.by_reason.setdefault(reason, Counts()).add(reason == want, reason == got)
        if got != want:
            result.confusions[(want, got)] += 1
        asked = analyst.follow_up(PROBE, text, []) is not None
        result.probe.add(bool(row["probe"]), asked)
        flagged = serious_disclosure(text) is not None
        result.serious.add(bool(row.get("serious")), flagged)
        if got != want or asked != bool(row["probe"]) or flagged != bool(row.get("serious")):
            result.misses.append(
                f"{text[:70]!r}: reason {got} (want {want}), follow-up {asked} "
                f"(want {bool(row['probe'])}), serious {flagged} (want {row.get('serious')})"
            )
    return result


def report(split: str, result: Insight, misses: bool) -> None:
    print(f"split: {split}, {result.answers} answers")
    print(f"\n{'reason':<20}{'n':>4}{'precision':>11}{'recall':>8}")
    for reason, counts in sorted(result.by_reason.items()):
        n = counts.true_positive + counts.false_negative
        print(f"{reason:<20}{n:>4}{counts.precision:>11.0%}{counts.recall:>8.0%}")
    print(f"\n{'task':<26}{'score':>8}{'precision':>11}{'recall':>8}")
    print(f"{'primary reason':<26}{result.reason_accuracy:>8.0%}")
    for task, counts in (("follow-up (F1)", result.probe), ("serious disclosure", result.serious)):
        print(f"{task:<26}{counts.f1:>8.2f}{counts.precision:>11.0%}{counts.recall:>8.0%}")
    print("\nmost confused (wanted -> coded):")
    for (want, got), n in result.confusions.most_common(8):
        print(f"  {want} -> {got}: {n}")
    if misses:
        print("\n" + "\n".join(result.misses))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["dev", "test", "fresh"], default="dev")
    parser.add_argument("--misses", action="store_true", help="list what it got wrong (dev only)")
    args = parser.parse_args()
    if args.misses and args.split != "dev":
        parser.error(f"--misses is for the dev split: the {args.split} split is only scored")
    report(args.split, measure(labelled(args.split)), args.misses)


if __name__ == "__main__":
    main()
