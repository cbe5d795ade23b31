"""How well the offline analyst codes reasons and decides on follow-ups, on the hand-labelled
exit answers in bench/labelled_answers.yaml. Prints a table; not a test.

    python bench/offline_accuracy.py [--misses]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import yaml

from adapters.llm.offline import OfflineAnalyst, reason_scores
from core.question_kinds import TextQuestion

LABELLED = Path(__file__).with_name("labelled_answers.yaml")
PROBE = TextQuestion(
    id="trigger",
    text="What happened that made you start thinking about leaving?",
    kind="text",
    probe=True,
)


@dataclass(frozen=True)
class Scores:
    answers: int
    reasons_right: int
    probes_right: int
    misses: list[str]

    @property
    def reason_accuracy(self) -> float:
        return self.reasons_right / self.answers

    @property
    def probe_accuracy(self) -> float:
        return self.probes_right / self.answers


def score(path: Path = LABELLED) -> Scores:
    labelled = yaml.safe_load(path.read_text())
    analyst = OfflineAnalyst()
    reasons = probes = 0
    misses = []
    for item in labelled:
        found = reason_scores(item["text"]).most_common(1)
        coded = found[0][0].value if found else None
        asked = analyst.follow_up(PROBE, item["text"], []) is not None
        wanted_probe = bool(item["probe"])
        reasons += coded == item["reason"]
        probes += asked == wanted_probe
        if coded != item["reason"] or asked != wanted_probe:
            misses.append(
                f"{item['text'][:60]!r}: reason {coded} (want {item['reason']}), "
                f"follow-up {asked} (want {wanted_probe})"
            )
    return Scores(len(labelled), reasons, probes, misses)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="list what it got wrong")
    args = parser.parse_args()
    result = score()
    print(f"{'task':<26} {'right':>6} {'of':>4} {'accuracy':>9}")
    rows = [
        ("reason for leaving", result.reasons_right, result.reason_accuracy),
        ("follow-up or not", result.probes_right, result.probe_accuracy),
    ]
    for task, right, accuracy in rows:
        print(f"{task:<26} {right:>6} {result.answers:>4} {accuracy:>9.0%}")
    if args.misses:
        print("\n".join(result.misses))


if __name__ == "__main__":
    main()
