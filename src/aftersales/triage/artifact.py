"""A trained triage model as plain arrays: each feature set's vocabulary and IDF weights and each target's
linear weights in one NumPy ``.npz`` file, read without pickle (``allow_pickle=False``) and without
scikit-learn.

A pickled scikit-learn estimator loads only into the library version that wrote it; these arrays load into
any NumPy. The features are recomputed here exactly as scikit-learn's ``TfidfVectorizer`` computes them
for the settings triage trains with (``classifier._features``: character n-grams inside word boundaries,
sublinear term frequency, IDF, L2 norm), so a model gives the same answers before and after the round trip.
Pure: no database, no clock.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

FORMAT = "aftersales-triage-model/1"
_WHITESPACE_RUNS = re.compile(r"\s\s+")


class ArtifactError(ValueError):
    """Bytes that are not a triage model this code can read."""


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """The n-grams scikit-learn's ``analyzer="char_wb"`` yields: per word, padded with one space each side,
    every n-gram of each length; a word no longer than n ends the lengths for that word."""
    low, high = ngram_range
    grams: list[str] = []
    for word in _WHITESPACE_RUNS.sub(" ", text).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[:n])
            while offset + n < size:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:
                break
    return grams


@dataclass
class CharNgramFeatures:
    """TF-IDF over character n-grams, from a stored vocabulary and IDF weights."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    ngram_range: tuple[int, int]
    preprocess: Callable[[str], str]

    def transform(self, texts: Iterable[str]) -> sparse.csr_matrix:
        """One L2-normalised row per text (the n-grams the vocabulary does not know are left out)."""
        data: list[float] = []
        indices: list[int] = []
        pointers = [0]
        for text in texts:
            counts = Counter(
                self.vocabulary[gram]
                for gram in char_wb_ngrams(self.preprocess(text), self.ngram_range)
                if gram in self.vocabulary
            )
            columns = sorted(counts)
            weights = [(math.log(counts[column]) + 1.0) * float(self.idf[column]) for column in columns]
            norm = math.sqrt(sum(weight * weight for weight in weights))
            if norm:  # a text with no known n-gram is an empty row
                data.extend(weight / norm for weight in weights)
                indices.extend(columns)
            pointers.append(len(indices))
        return sparse.csr_matrix(
            (np.asarray(data, dtype=self.idf.dtype), np.asarray(indices, dtype=np.int32), np.asarray(pointers)),
            shape=(len(pointers) - 1, len(self.vocabulary)),
        )


@dataclass
class LinearModel:
    """A fitted linear classifier's weights, with the attribute names prediction reads."""

    coef_: np.ndarray
    intercept_: np.ndarray
    classes_: np.ndarray


@dataclass(frozen=True)
class FeatureSet:
    """One fitted TF-IDF to store: its vocabulary (n-gram → column), IDF weights and n-gram lengths."""

    vocabulary: Mapping[str, int]
    idf: np.ndarray
    ngram_range: tuple[int, int]


def write(
    *,
    feature_sets: Mapping[str, FeatureSet],
    feature_of: Mapping[str, str],
    models: Mapping[str, Any],
    labels: Mapping[str, list[str]],
    about: Mapping[str, Any] | None = None,
) -> bytes:
    """The model as ``.npz`` bytes. ``feature_sets`` are named (``text``, ``sentiment`` …) and ``feature_of``
    says which one each target reads; ``models`` maps a target to anything with ``coef_``, ``intercept_``
    and ``classes_``; ``about`` is kept as JSON (where and how it was trained)."""
    meta = {
        "format": FORMAT,
        "feature_sets": {name: list(features.ngram_range) for name, features in feature_sets.items()},
        "feature_of": {target: feature_of[target] for target in sorted(models)},
        "targets": sorted(models),
        "labels": {target: list(values) for target, values in labels.items()},
        "about": dict(about or {}),
    }
    arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True))}
    for name, features in feature_sets.items():
        terms = np.empty(len(features.vocabulary), dtype=object)
        for term, column in features.vocabulary.items():
            terms[column] = term
        arrays[f"vocabulary__{name}"] = terms.astype(str)
        arrays[f"idf__{name}"] = np.asarray(features.idf)
    for target, model in models.items():
        arrays[f"coef__{target}"] = np.asarray(model.coef_)
        arrays[f"intercept__{target}"] = np.asarray(model.intercept_)
        arrays[f"classes__{target}"] = np.asarray(model.classes_).astype(str)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


@dataclass
class Loaded:
    """What :func:`read` found: the named feature sets, which one each target reads, one linear model per
    target, their labels and ``about``."""

    features: dict[str, CharNgramFeatures]
    feature_of: dict[str, str]
    models: dict[str, LinearModel]
    labels: dict[str, list[str]]
    about: dict[str, Any]


def is_artifact(blob: bytes) -> bool:
    """True for bytes written by :func:`write` (an ``.npz`` is a zip file), False for anything else."""
    return blob[:4] == b"PK\x03\x04"


def read(blob: bytes, *, preprocess: Callable[[str], str]) -> Loaded:
    """The model back from :func:`write`'s bytes; never unpickles anything."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        meta = json.loads(str(arrays["meta"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise ArtifactError(f"not a triage model file: {error}") from error
    if meta.get("format") != FORMAT:
        raise ArtifactError(f"unknown triage model format {meta.get('format')!r}")
    features = {
        name: CharNgramFeatures(
            vocabulary={str(term): column for column, term in enumerate(arrays[f"vocabulary__{name}"].tolist())},
            idf=arrays[f"idf__{name}"],
            ngram_range=(int(low), int(high)),
            preprocess=preprocess,
        )
        for name, (low, high) in meta["feature_sets"].items()
    }
    models = {
        target: LinearModel(
            coef_=arrays[f"coef__{target}"],
            intercept_=arrays[f"intercept__{target}"],
            classes_=arrays[f"classes__{target}"],
        )
        for target in meta["targets"]
    }
    return Loaded(
        features=features,
        feature_of=dict(meta["feature_of"]),
        models=models,
        labels=dict(meta["labels"]),
        about=dict(meta["about"]),
    )
