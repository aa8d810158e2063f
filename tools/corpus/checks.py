"""Self-checks run on every build before anything is written or compared: label rules, minimum counts, and
no duplicate or near-duplicate texts (character-bigram Jaccard < 0.8, the evaluation's test)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from phrasebook import ANGER_MARKERS, KINDS, MODELS, POSITIVE_MARKERS, PRIORITIES, SENTIMENTS, STRONG_ANGER

_REPEATED = re.compile(r"[!！]{3,}|[?？]{3,}")
_NOISE = re.compile(r"[\W\d_]+", re.UNICODE)
_CODE = {
    model: re.compile(r"(?<![A-Z0-9])(?:YL[-_ —]?)?" + model[3] + r"-?" + model[4:] + r"(?![0-9])") for model in MODELS
}


def fold(text: str) -> str:
    """The evaluation's comparison form: NFKC, lower case, letters only (no punctuation, digits, emoji)."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(text: str) -> set[str]:
    folded = fold(text)
    return {folded[i : i + 2] for i in range(max(1, len(folded) - 1))}


@dataclass
class Corpus:
    """Accepted messages with the dedupe index."""

    rows: list[dict[str, object]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    index: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    sizes: list[int] = field(default_factory=list)

    def near_duplicate(self, text: str, limit: float = 0.8) -> bool:
        key = fold(text)
        if not key or key in self.keys:
            return True
        grams = shingles(text)
        overlap: Counter[int] = Counter()
        for gram in grams:
            for position in self.index.get(gram, ()):
                overlap[position] += 1
        return any(count / (len(grams) + self.sizes[pos] - count) >= limit for pos, count in overlap.items())

    def add(self, row: dict[str, object]) -> None:
        text = str(row["text"])
        position = len(self.rows)
        self.rows.append(row)
        self.keys.add(fold(text))
        grams = shingles(text)
        self.sizes.append(len(grams))
        for gram in grams:
            self.index[gram].append(position)


MINIMUMS = {"records": 1800, "groups": 300, "kind": 200, "priority": 200, "fault": 30, "anger": 200, "positive": 150}


def has_anger_marker(text: str) -> bool:
    folded = unicodedata.normalize("NFKC", text)
    return any(marker in folded for marker in ANGER_MARKERS) or bool(_REPEATED.search(folded))


def validate(rows: list[dict[str, object]]) -> None:
    assert len(rows) >= MINIMUMS["records"], len(rows)
    texts = [str(r["text"]) for r in rows]
    assert len(set(texts)) == len(texts), "duplicate texts"
    assert len({fold(t) for t in texts}) == len(texts), "near-exact duplicate texts"
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        assert set(row) - {"_multi"} == {
            "id",
            "group",
            "text",
            "kind",
            "priority",
            "product_model",
            "fault_type",
            "sentiment",
            "anger",
        }
        text = str(row["text"])
        assert text.strip() == text and text, row
        assert row["kind"] in KINDS, row
        assert row["priority"] in PRIORITIES, row
        assert row["sentiment"] in SENTIMENTS, row
        assert row["anger"] in (0, 1), row
        assert row["product_model"] is None or row["product_model"] in MODELS, row
        fault = row["fault_type"]
        assert fault is None or re.fullmatch(r"[a-z]+(_[a-z]+)*", str(fault)), row
        if row["anger"] == 1:
            assert row["sentiment"] == "negative", row
            assert has_anger_marker(text), row
        else:
            folded = unicodedata.normalize("NFKC", text)
            assert not any(m in folded for m in STRONG_ANGER) or "不是要投诉" in folded, row
            assert not _REPEATED.search(folded), row
        if row["sentiment"] == "positive":
            assert any(m in text for m in POSITIVE_MARKERS), row
        # an explicit model code must agree with the label (comparisons of two models are null)
        upper = unicodedata.normalize("NFKC", text).upper()
        found = [model for model, pattern in _CODE.items() if pattern.search(upper)]
        if len(found) == 1 and not row["_multi"]:
            assert row["product_model"] == found[0], row
        if row["priority"] == "urgent":
            assert row["kind"] == "repair", row
        groups[str(row["group"])].append(row)
    assert len(groups) >= MINIMUMS["groups"], len(groups)
    for members in groups.values():
        for name in ("kind", "priority", "fault_type"):
            assert len({str(m[name]) for m in members}) == 1, members
    kinds = Counter(str(r["kind"]) for r in rows)
    priorities = Counter(str(r["priority"]) for r in rows)
    faults = Counter(str(r["fault_type"]) for r in rows if r["fault_type"])
    assert all(kinds[k] >= MINIMUMS["kind"] for k in KINDS), kinds
    assert all(priorities[p] >= MINIMUMS["priority"] for p in PRIORITIES), priorities
    assert len(faults) >= 24, faults
    assert all(count >= MINIMUMS["fault"] for count in faults.values()), faults
    assert sum(int(str(r["anger"])) for r in rows) >= MINIMUMS["anger"]
    assert sum(r["sentiment"] == "positive" for r in rows) >= MINIMUMS["positive"]
    lengths = [len(t) for t in texts]
    assert min(lengths) <= 6 and max(lengths) >= 150, (min(lengths), max(lengths))
    assert sum(length >= 150 for length in lengths) >= 20
    assert all(any(m in t for t in texts) for m in ("咋", "啥", "木有", "晓得", "搞掂", "冇", "嘞", "俺", "侬"))
    assert all(any(m in t for t in texts) for m in ("指文", "密吗", "充不近电", "😡", "🙏", "👍", "😭", "wifi", "OK"))
    # no cross-group near-duplicates (character-bigram Jaccard ≥ 0.8, the evaluation's test)
    corpus = Corpus()
    for row in rows:
        assert not corpus.near_duplicate(str(row["text"])), row
        corpus.add(row)
