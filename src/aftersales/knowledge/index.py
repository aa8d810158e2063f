"""The in-memory search index: BM25 (bm25s) over tokens and cosine over USE vectors, fused by rank.

Documents are an article's title and each of its question phrasings. The index has a *main* segment
built from everything at load, and a small *delta* segment holding the articles changed since: a change
tombstones the article's documents in the main segment and rebuilds only the delta, so one edit never
re-indexes the whole knowledge base. When the delta grows past ``MAX_DELTA_DOCS`` the next refresh
rebuilds the main segment. Filters (published only, audience, product model) are applied as masks
before ranking, so a filtered search is as exact as an unfiltered one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np

from aftersales.knowledge.embedder import DIMENSIONS

# Reciprocal-rank fusion constant, tuned on the paraphrased queries and customers' descriptions
# (bench/knowledge_search.py --rrf-k 10,30,60; docs/benchmarks.md §5): 10 was best or equal on recall@1 and @5 of both.
RRF_K = 10
CANDIDATES = 100
MAX_DELTA_DOCS = 5_000


@dataclass(frozen=True)
class ArticleDoc:
    """What the index needs of an article."""

    article_id: int
    title: str
    status: str
    audience: str
    product_models: tuple[str, ...]
    questions: tuple[tuple[str, list[str], np.ndarray], ...]  # (text, tokens, vector)
    title_tokens: list[str]
    title_vector: np.ndarray


@dataclass(frozen=True)
class Hit:
    """One ranked article."""

    article_id: int
    title: str
    score: float
    matched_question: str


@dataclass
class _Segment:
    article_ids: np.ndarray
    texts: list[str]
    vectors: np.ndarray
    bm25: bm25s.BM25 | None

    @classmethod
    def build(cls, articles: Iterable[ArticleDoc]) -> _Segment:
        ids: list[int] = []
        texts: list[str] = []
        token_lists: list[list[str]] = []
        vectors: list[np.ndarray] = []
        for article in articles:
            for text, tokens, vector in (
                (article.title, article.title_tokens, article.title_vector),
                *article.questions,
            ):
                ids.append(article.article_id)
                texts.append(text)
                token_lists.append(tokens or ["∅"])
                vectors.append(vector)
        bm25 = None
        if token_lists:
            bm25 = bm25s.BM25()
            bm25.index(token_lists, show_progress=False)
        matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, DIMENSIONS), np.float32)
        return cls(np.asarray(ids, dtype=np.int64), texts, matrix, bm25)

    def __len__(self) -> int:
        return len(self.texts)

    def scored(
        self, query_tokens: list[str], query_vector: np.ndarray, mask: np.ndarray
    ) -> tuple[list[tuple[float, int, str]], list[tuple[float, int, str]]]:
        """(score, article, text) of the best documents by BM25 and by cosine, where ``mask`` allows."""
        if not len(self) or not mask.any():
            return [], []
        allowed = np.flatnonzero(mask)
        k = min(CANDIDATES, len(allowed))
        lexical: list[tuple[float, int, str]] = []
        if self.bm25 is not None and query_tokens:
            scores = self.bm25.get_scores(query_tokens)
            hits = allowed[scores[allowed] > 0]
            # Select among allowed documents only: partitioning an array full of equal (masked-out)
            # values is the slow case of introselect.
            top = hits[np.argpartition(-scores[hits], k - 1)[:k]] if len(hits) > k else hits
            lexical = [(float(scores[doc]), int(self.article_ids[doc]), self.texts[doc]) for doc in top]
        similarity = self.vectors @ query_vector
        candidates = similarity[allowed]
        top = allowed[np.argpartition(-candidates, k - 1)[:k]] if len(allowed) > k else allowed
        dense = [(float(similarity[doc]), int(self.article_ids[doc]), self.texts[doc]) for doc in top]
        return lexical, dense


@dataclass
class SearchIndex:
    """Main + delta segments over the articles, with per-article metadata for filtering."""

    seq: int = -1
    articles: dict[int, ArticleDoc] = field(default_factory=dict)
    main: _Segment = field(default_factory=lambda: _Segment.build([]))
    delta: _Segment = field(default_factory=lambda: _Segment.build([]))
    tombstoned: set[int] = field(default_factory=set)
    delta_ids: set[int] = field(default_factory=set)
    _masks: dict[tuple[str | None, str | None], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def rebuild(self, articles: Sequence[ArticleDoc], seq: int) -> None:
        """Index everything from scratch."""
        self.articles = {article.article_id: article for article in articles}
        self.main = _Segment.build(articles)
        self.delta = _Segment.build([])
        self.tombstoned, self.delta_ids = set(), set()
        self._masks = {}
        self.seq = seq

    def apply(self, changed: Sequence[ArticleDoc], removed: Iterable[int], seq: int) -> None:
        """Take changed (or new) articles and removed ones into the delta; main is only masked."""
        for article_id in removed:
            self.articles.pop(article_id, None)
            self.tombstoned.add(article_id)
            self.delta_ids.discard(article_id)
        for article in changed:
            self.articles[article.article_id] = article
            self.tombstoned.add(article.article_id)
            self.delta_ids.add(article.article_id)
        self.delta = _Segment.build(self.articles[article_id] for article_id in sorted(self.delta_ids))
        self._masks = {}
        self.seq = seq

    @property
    def needs_rebuild(self) -> bool:
        return len(self.delta) > MAX_DELTA_DOCS

    def _mask(self, segment: _Segment, allowed: set[int], *, is_main: bool) -> np.ndarray:
        if not len(segment):
            return np.zeros(0, dtype=bool)
        ids = segment.article_ids
        mask = np.isin(ids, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
        if is_main and self.tombstoned:
            mask &= ~np.isin(ids, np.fromiter(self.tombstoned, dtype=np.int64, count=len(self.tombstoned)))
        return mask

    def allowed(self, *, audience: str | None, product_model: str | None) -> set[int]:
        """Published articles visible to the audience and relevant to the product (none listed = all)."""
        audiences = {"customer": {"customer", "both"}, "agent": {"agent", "customer", "both"}}.get(audience or "agent")
        result = set()
        for article in self.articles.values():
            if article.status != "published" or (audiences is not None and article.audience not in audiences):
                continue
            if product_model and article.product_models and product_model not in article.product_models:
                continue
            result.add(article.article_id)
        return result

    def search(
        self,
        query_tokens: list[str],
        query_vector: np.ndarray,
        *,
        audience: str | None = None,
        product_model: str | None = None,
        limit: int = 5,
    ) -> list[Hit]:
        """Best articles first: reciprocal-rank fusion of BM25 and cosine, an article's best document."""
        key = (audience, product_model)
        masks = self._masks.get(key)
        if masks is None:
            allowed = self.allowed(audience=audience, product_model=product_model)
            masks = (self._mask(self.main, allowed, is_main=True), self._mask(self.delta, allowed, is_main=False))
            if len(self._masks) > 256:  # bounded: one entry per audience and product model in practice
                self._masks.clear()
            self._masks[key] = masks
        lexical: list[tuple[float, int, str]] = []
        dense: list[tuple[float, int, str]] = []
        for segment, mask in ((self.main, masks[0]), (self.delta, masks[1])):
            segment_lexical, segment_dense = segment.scored(query_tokens, query_vector, mask)
            lexical += segment_lexical
            dense += segment_dense
        fused: dict[int, float] = {}
        best_doc: dict[int, tuple[float, str]] = {}
        for ranking in (lexical, dense):
            ranking.sort(key=lambda item: -item[0])
            seen: set[int] = set()
            for _score, article_id, text in ranking:
                if article_id in seen:  # an article counts once per list: its best document
                    continue
                seen.add(article_id)
                contribution = 1.0 / (RRF_K + len(seen))
                fused[article_id] = fused.get(article_id, 0.0) + contribution
                if article_id not in best_doc or contribution > best_doc[article_id][0]:
                    best_doc[article_id] = (contribution, text)
        ceiling = 2.0 / (RRF_K + 1)
        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [
            Hit(article_id, self.articles[article_id].title, round(score / ceiling, 4), best_doc[article_id][1])
            for article_id, score in ranked
        ]
