"""Train the offline analyst's reason model (adapters/llm/reason_model.py) on the dev split
of bench/exit_answers.yaml, never the test split, and write it to reason_model.tsv.
Needs scikit-learn (the dev extra); the bot itself does not.

    python -m bench.train_reasons          # write the model
    python -m bench.train_reasons --check  # exit 1 if the shipped model is not this one
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter

from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from adapters.llm.reason_model import MODEL, NONE, ReasonModel, grams, weighted
from bench.insight import labelled

MIN_ANSWERS = 3  # a sequence seen in one or two answers says more about them than a reason
STRENGTH = 10.0  # LogisticRegression's C, chosen on fresh dev batches (see the README)


def train(rows: list[dict[str, object]]) -> ReasonModel:
    counts = [grams(str(row["text"])) for row in rows]
    seen_in: Counter[str] = Counter(g for c in counts for g in c)
    total = len(rows)
    idf = {g: math.log((1 + total) / (1 + n)) + 1 for g, n in seen_in.items() if n >= MIN_ANSWERS}
    vectors = DictVectorizer()
    features = vectors.fit_transform([weighted(c, idf) for c in counts])
    labels = [str(row["reason"] or NONE) for row in rows]
    fitted = LogisticRegression(C=STRENGTH, max_iter=5000).fit(features, labels)
    names = vectors.get_feature_names_out()
    return ReasonModel(
        labels=tuple(str(label) for label in fitted.classes_),
        intercepts=tuple(float(b) for b in fitted.intercept_),
        idf={str(g): idf[str(g)] for g in names},
        weights={str(g): tuple(float(w) for w in fitted.coef_[:, i]) for i, g in enumerate(names)},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="compare with the shipped model")
    args = parser.parse_args()
    made = train(labelled("dev")).dump()
    if args.check:
        same = MODEL.read_text(encoding="utf-8") == made
        print("the shipped model is the dev split's" if same else "the shipped model differs")
        sys.exit(0 if same else 1)
    MODEL.write_text(made, encoding="utf-8")
    print(f"{MODEL}: {len(made.splitlines()) - 2} sequences, {len(made) // 1024} KiB")


if __name__ == "__main__":
    main()
