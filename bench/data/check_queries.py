"""Check the 售后辞典 seed articles and the knowledge-search test queries (stdlib only).

    python bench/data/check_queries.py [--articles PATH] [--queries PATH] [--verbose]

Articles (src/aftersales/knowledge/data/articles.json):
  fields and enums, unique slug keys, 3-6 questions, 3-12 body lines, known product codes,
  no near-identical questions across two articles, minimum counts (articles, agent-only, drafts, fault types).
Queries (bench/data/knowledge_queries.jsonl):
  expected_key exists, is published and its audience fits the query's; product_model is a known code that
  the article covers; the query is not equal to its article's title or a question, is not a substring of
  one (queries of 8+ characters) and does not contain one (8+ characters); no duplicate queries; counts.
Exits 1 when an error is found; warnings (close paraphrases) are printed but do not fail.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "src" / "aftersales" / "knowledge" / "data" / "articles.json"
QUERIES = Path(__file__).resolve().parent / "knowledge_queries.jsonl"

PRODUCTS = {"YL-S7", "YL-F3", "YL-P1", "YL-A9", "YL-T10", "YL-W2", "YL-R5", "YL-C2"}
TYPES = {"faq", "script", "part_standard"}
AUDIENCES = {"customer", "agent", "both"}
STATUSES = {"published", "draft"}
KEY = re.compile(r"^[a-z0-9][a-z0-9\-_.]*$")
FAULT = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_ARTICLES, MIN_AGENT, MIN_DRAFTS, MIN_FAULTS = 140, 15, 8, 24
MIN_QUERIES, MIN_QUERY_ARTICLES = 330, 100
SUBSTRING_MIN = 8
NEAR_IDENTICAL = 0.8  # character-bigram Jaccard between questions of two different articles
CLOSE_PARAPHRASE = 0.6  # warn when a query is this close to one of its own article's phrasings
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def norm(text: str) -> str:
    """NFKC, lower case, no spaces or punctuation (emoji included)."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


def bigrams(text: str) -> set[str]:
    t = norm(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def check_articles(articles: list[dict], errors: list[str], warnings: list[str]) -> dict[str, dict]:
    by_key: dict[str, dict] = {}
    required = {
        "key",
        "title",
        "body",
        "questions",
        "product_models",
        "fault_types",
        "tags",
        "audience",
        "status",
        "type",
    }
    for i, art in enumerate(articles):
        where = f"article #{i} {art.get('key')!r}"
        missing = required - art.keys()
        if missing:
            errors.append(f"{where}: missing fields {sorted(missing)}")
            continue
        if set(art) - required:
            errors.append(f"{where}: unknown fields {sorted(set(art) - required)}")
        key = art["key"]
        if not isinstance(key, str) or not KEY.match(key):
            errors.append(f"{where}: key is not a slug")
        if key in by_key:
            errors.append(f"{where}: duplicate key")
        by_key[key] = art
        if art["type"] not in TYPES:
            errors.append(f"{where}: type {art['type']!r}")
        if art["audience"] not in AUDIENCES:
            errors.append(f"{where}: audience {art['audience']!r}")
        if art["status"] not in STATUSES:
            errors.append(f"{where}: status {art['status']!r}")
        if art["type"] in {"script", "part_standard"} and art["audience"] != "agent":
            errors.append(f"{where}: {art['type']} articles are agent-only")
        if not str(art["title"]).strip() or len(art["title"]) > 200:
            errors.append(f"{where}: title empty or longer than 200")
        lines = [line for line in str(art["body"]).splitlines() if line.strip()]
        if not 3 <= len(lines) <= 12:
            errors.append(f"{where}: body has {len(lines)} lines (3-12)")
        questions = art["questions"]
        if not isinstance(questions, list) or not 3 <= len(questions) <= 6:
            errors.append(f"{where}: needs 3-6 questions")
        elif len({norm(q) for q in questions}) != len(questions):
            errors.append(f"{where}: repeated question")
        bad_models = set(art["product_models"]) - PRODUCTS
        if bad_models:
            errors.append(f"{where}: unknown product codes {sorted(bad_models)}")
        if not art["fault_types"] or any(not FAULT.match(f) for f in art["fault_types"]):
            errors.append(f"{where}: fault_types must be non-empty snake_case ids")
    # near-identical questions across different articles
    phrasings = [(art["key"], q, bigrams(q)) for art in articles for q in art.get("questions", [])]
    for i, (key_a, q_a, g_a) in enumerate(phrasings):
        for key_b, q_b, g_b in phrasings[i + 1 :]:
            if key_a == key_b:
                continue
            score = jaccard(g_a, g_b)
            if norm(q_a) == norm(q_b) or score >= NEAR_IDENTICAL:
                errors.append(f"near-identical questions: {key_a} {q_a!r} / {key_b} {q_b!r} ({score:.2f})")
    published = [a for a in articles if a.get("status") == "published"]
    drafts = [a for a in articles if a.get("status") == "draft"]
    agent_only = [a for a in articles if a.get("audience") == "agent"]
    faults = {f for a in published for f in a.get("fault_types", [])}
    if len(articles) < MIN_ARTICLES:
        errors.append(f"only {len(articles)} articles (< {MIN_ARTICLES})")
    if len(agent_only) < MIN_AGENT:
        errors.append(f"only {len(agent_only)} agent-only articles (< {MIN_AGENT})")
    if len(drafts) < MIN_DRAFTS:
        errors.append(f"only {len(drafts)} drafts (< {MIN_DRAFTS})")
    if len(faults) < MIN_FAULTS:
        errors.append(f"only {len(faults)} fault types in published articles (< {MIN_FAULTS})")
    shadowed = [d["key"] for d in drafts if any(set(d["fault_types"]) & set(p["fault_types"]) for p in published)]
    if not shadowed:
        errors.append("no draft shares a topic (fault type) with a published article")
    covered = {m for a in published for m in (a["product_models"] or PRODUCTS)}
    if PRODUCTS - covered:
        errors.append(f"products without a published article: {sorted(PRODUCTS - covered)}")
    return by_key


def check_queries(rows: list[dict], by_key: dict[str, dict], errors: list[str], warnings: list[str]) -> None:
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        where = f"query line {n}"
        if set(row) != {"query", "expected_key", "product_model", "audience"}:
            errors.append(f"{where}: fields must be query, expected_key, product_model, audience")
            continue
        query, key, model, audience = row["query"], row["expected_key"], row["product_model"], row["audience"]
        if not isinstance(query, str) or not query.strip():
            errors.append(f"{where}: empty query")
            continue
        nq = norm(query)
        if nq in seen:
            errors.append(f"{where}: same query as line {seen[nq]}: {query!r}")
        seen[nq] = n
        if audience not in {"customer", "agent"}:
            errors.append(f"{where}: audience {audience!r}")
        if model is not None and model not in PRODUCTS:
            errors.append(f"{where}: unknown product_model {model!r}")
        art = by_key.get(key)
        if art is None:
            errors.append(f"{where}: unknown expected_key {key!r}")
            continue
        if art["status"] != "published":
            errors.append(f"{where}: expected_key {key!r} is a {art['status']}")
        if art["audience"] not in {audience, "both"}:
            errors.append(f"{where}: {audience} query for {art['audience']}-only article {key!r}")
        if model is not None and art["product_models"] and model not in art["product_models"]:
            errors.append(f"{where}: {key!r} does not cover {model}")
        grams = bigrams(query)
        for text in [art["title"], *art["questions"]]:
            nt = norm(text)
            if nq == nt:
                errors.append(f"{where}: query equals a phrasing of {key!r}: {text!r}")
            elif len(nq) >= SUBSTRING_MIN and nq in nt:
                errors.append(f"{where}: query is a substring of {key!r} phrasing {text!r}")
            elif len(nt) >= SUBSTRING_MIN and nt in nq:
                errors.append(f"{where}: query contains {key!r} phrasing {text!r}")
            elif nq in nt:
                warnings.append(f"{where}: short query {query!r} is part of {text!r}")
            elif jaccard(grams, bigrams(text)) >= CLOSE_PARAPHRASE:
                warnings.append(f"{where}: {query!r} close to {text!r} ({jaccard(grams, bigrams(text)):.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ARTICLES)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--verbose", action="store_true", help="print every warning")
    args = parser.parse_args()
    errors: list[str] = []
    warnings: list[str] = []
    articles = json.loads(args.articles.read_text(encoding="utf-8"))
    by_key = check_articles(articles, errors, warnings)
    rows = []
    for n, line in enumerate(args.queries.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                errors.append(f"query line {n}: not JSON ({exc})")
    check_queries(rows, by_key, errors, warnings)

    published = [a for a in articles if a["status"] == "published"]
    targets = Counter(r["expected_key"] for r in rows)
    if len(rows) < MIN_QUERIES:
        errors.append(f"only {len(rows)} queries (< {MIN_QUERIES})")
    if len(targets) < MIN_QUERY_ARTICLES:
        errors.append(f"queries cover only {len(targets)} articles (< {MIN_QUERY_ARTICLES})")

    def count(items, field):
        return ", ".join(f"{k}={v}" for k, v in sorted(Counter(str(i[field]) for i in items).items()))

    lengths = sorted(len(r["query"]) for r in rows)
    print("articles:", len(articles), f"(published {len(published)}, drafts {len(articles) - len(published)})")
    print("  by type:", count(articles, "type"))
    print("  by audience:", count(articles, "audience"))
    print("  questions:", sum(len(a["questions"]) for a in articles))
    print("  fault types (published):", len({f for a in published for f in a["fault_types"]}))
    per_product = Counter(m for a in published for m in (a["product_models"] or ["(all)"]))
    print("  published per product:", ", ".join(f"{k}={v}" for k, v in sorted(per_product.items())))
    print("queries:", len(rows), f"over {len(targets)} articles")
    print("  by audience:", count(rows, "audience"))
    print("  by product_model:", count(rows, "product_model"))
    if lengths:
        print(f"  length: min {lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]} characters")
    print(
        f"warnings (short fragments of a phrasing; close paraphrases, bigram Jaccard >= {CLOSE_PARAPHRASE}): {len(warnings)}"
    )
    for message in warnings if args.verbose else warnings[:10]:
        print("  WARN", message)
    print(f"errors: {len(errors)}")
    for message in errors:
        print("  ERROR", message)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
