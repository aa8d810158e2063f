"""Triage on real text it was not trained on: sentiment on real reviews, anger on real Weibo posts (issue 14).

Scores the model that ships in the package (``triage.shipped``) — or any stored model file given with
``--model`` — on the public sets in ``../shared/data/real-text`` (see its README). The shipped recipe
(``triage.shipped.train``) trains sentiment on the food-delivery and shopping reviews except 酒店, and anger
on two thirds of the Weibo posts; the hotel reviews, the 酒店 category and the other third are never seen:

* sentiment: each review set (hotel, food delivery, and the six shopping categories) with positive and
  negative reviews balanced, at most ``--per-class`` of each: accuracy of the sign of ``sentiment`` and the
  ROC AUC of the score;
* anger: the Weibo emotion posts, ``anger`` against every other emotion: ROC AUC of ``anger``, and the
  precision and recall of the hand-off threshold (``classifier.HANDOFF_ANGER``), on the third of the posts
  the shipped recipe leaves out of training (``id`` a multiple of 3) and, for reference, on all of them;
* the survey comment of the issue ("非常生气") and a few after-sales phrasings.

    .venv/bin/python bench/triage_real_text.py [--data ../shared/data/real-text] [--per-class 1000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, machine_info, run_at_commit, write_result
from sklearn.metrics import roc_auc_score

from aftersales.triage import classifier, shipped

SURVEY_EXAMPLES = ["非常生气", "师傅迟到两个小时，非常生气", "修了三次还没修好，我要去12315投诉", "服务很好，谢谢师傅"]


def _reviews(path: Path, *, category: str | None = None) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (row["review"].strip().lstrip("\ufeff"), int(row["label"]))
        for row in rows
        if row.get("review") and (category is None or row.get("cat") == category)
    ]


def _balanced(rows: list[tuple[str, int]], per_class: int, seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    chosen: list[tuple[str, int]] = []
    for label in (0, 1):
        of_label = [row for row in rows if row[1] == label]
        rng.shuffle(of_label)
        chosen += of_label[:per_class]
    return chosen


def _sentiment(model: classifier.TriageModel, rows: list[tuple[str, int]]) -> dict[str, Any]:
    scores = [model.predict(text).sentiment for text, _ in rows]
    labels = [label for _, label in rows]
    correct = sum((score > 0) == bool(label) for score, label in zip(scores, labels, strict=True))
    return {
        "texts": len(rows),
        "accuracy": round(correct / len(rows), 4),
        "auc": round(float(roc_auc_score(labels, scores)), 4),
    }


def _anger(model: classifier.TriageModel, path: Path, *, held_out_only: bool) -> dict[str, Any]:
    posts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if held_out_only:  # the posts the shipped recipe leaves out of training
        posts = [post for post in posts if post["id"] % shipped.HELD_OUT_POST_EVERY == 0]
    scores = [model.predict(post["content"]).anger for post in posts]
    labels = [int(post["label"] == "anger") for post in posts]
    flagged = [score >= classifier.HANDOFF_ANGER for score in scores]
    true_positive = sum(f and y for f, y in zip(flagged, labels, strict=True))
    return {
        "posts": len(posts),
        "angry_posts": sum(labels),
        "auc": round(float(roc_auc_score(labels, scores)), 4),
        "handoff_precision": round(true_positive / max(1, sum(flagged)), 4),
        "handoff_recall": round(true_positive / max(1, sum(labels)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "real-text")
    parser.add_argument("--model", type=Path, help="a stored model file (default: the shipped one)")
    parser.add_argument("--per-class", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--commit", metavar="REV", help="measure src/ as of this git revision")
    args = parser.parse_args()
    run_at_commit()
    started = time.monotonic()
    model = classifier.TriageModel.loads(args.model.read_bytes()) if args.model else shipped.load()
    if model is None:
        raise SystemExit("no model: the package has no shipped model file and --model was not given")
    sets: dict[str, list[tuple[str, int]]] = {
        "hotel (ChnSentiCorp_htl_all)": _reviews(args.data / "ChnSentiCorp_htl_all.csv"),
        "food delivery (waimai_10k)": _reviews(args.data / "waimai_10k.csv"),
    }
    shopping = args.data / "online_shopping_6_cats.csv"
    for category in ("书籍", "水果", "洗发水", "蒙牛", "衣服", "酒店"):
        sets[f"shopping: {category}"] = _reviews(shopping, category=category)
    sentiment = {name: _sentiment(model, _balanced(rows, args.per_class, args.seed)) for name, rows in sets.items()}
    for name, figures in sentiment.items():
        print(f"# sentiment {name:32} accuracy {figures['accuracy']:.4f} AUC {figures['auc']:.4f}", file=sys.stderr)
    anger = {
        "held_out": _anger(model, args.data / "clue_emotion_valid.txt", held_out_only=True),
        "all": _anger(model, args.data / "clue_emotion_valid.txt", held_out_only=False),
    }
    for which, figures in anger.items():
        print(f"# anger (Weibo, anger vs the rest), {which} posts: {figures}", file=sys.stderr)
    survey = {text: model.predict(text).anger for text in SURVEY_EXAMPLES}
    print(f"# anger of survey comments: {survey}", file=sys.stderr)
    result = {
        "benchmark": "triage_real_text",
        "machine": machine_info(),
        "model": dict(model.about) or {"file": str(args.model)},
        "per_class": args.per_class,
        "sentiment": sentiment,
        "anger": anger,
        "survey_anger": survey,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(write_result("triage_real_text", result))


if __name__ == "__main__":
    main()
