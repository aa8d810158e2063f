"""Knowledge search: recall@1 and recall@5 on the test queries, and latency with 10,000 articles / 50,000 questions.

1. Recall: a fresh SQLite database with the shipped seed articles (``aftersales knowledge seed``), then
   every query of ``bench/data/knowledge_queries.jsonl`` through ``knowledge.service.search`` with its
   product model and audience; a hit is the expected article first (recall@1) or among the first 5.
   Then the triage corpus's customer descriptions (phrased as customers write, unlike the articles) as
   agent searches with their product model: a hit is any published article for the message's fault type.
2. Scale: the same database grown to ``--articles`` articles / ``--questions`` questions. The extra
   articles are synthetic: each copies a seed article's tokens-bearing text with a numbered suffix and
   takes a seed question's stored vector plus noise (encoding 50,000 sentences would take ~10 minutes
   and is not what is measured). Then ``--repeat`` searches with the test queries, timed one by one
   (query encoding, BM25, cosine, fusion, filters: everything ``search`` does), after the index is built.

    .venv/bin/python bench/knowledge_search.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import latency_summary_ms, machine_info, run_at_commit, write_result

QUERIES = Path(__file__).resolve().parent / "data" / "knowledge_queries.jsonl"
CORPUS = Path(__file__).resolve().parents[1] / "src" / "aftersales" / "triage" / "data" / "corpus.jsonl"


def main() -> None:
    run_at_commit()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument("--commit")
    parser.add_argument("--rrf-k", help="also measure recall with these fusion constants, e.g. 10,30,60")
    args = parser.parse_args()

    path = Path(tempfile.mkdtemp(prefix="aftersales-knowledge-")) / "kb.db"
    os.environ["AFTERSALES_DATABASE_URL"] = f"sqlite:///{path}"
    from sqlalchemy import func, insert, select

    from aftersales.core import migrate
    from aftersales.core.db import table_of, unit_of_work
    from aftersales.core.runtime import engine, session_factory
    from aftersales.knowledge import cli as knowledge_cli
    from aftersales.knowledge import embedder, service
    from aftersales.knowledge.models import Article, ArticleQuestion

    migrate.upgrade(engine())
    began = time.perf_counter()
    seeded = knowledge_cli.load_seed()
    seed_s = time.perf_counter() - began
    queries = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    embedder.warm_up()
    first: list[bool] = []  # per query of the last run: the expected article came first

    def run_queries(session) -> tuple[float, list[dict[str, object]]]:  # type: ignore[no-untyped-def]
        keys = dict(session.execute(select(Article.id, Article.key)).all())
        misses = []
        found = 0
        first.clear()
        for query in queries:
            hits = service.search(
                session,
                query=query["query"],
                product_model=query.get("product_model"),
                audience=query.get("audience"),
                limit=5,
            )
            got = [keys[hit.article_id] for hit in hits]
            first.append(got[:1] == [query["expected_key"]])
            if query["expected_key"] in got:
                found += 1
            else:
                misses.append({"query": query["query"], "expected": query["expected_key"], "got": got[:3]})
        return found / len(queries), misses

    def corpus_recall(session) -> dict[str, object]:  # type: ignore[no-untyped-def]
        """Customers' own descriptions (the triage corpus) as queries: a hit is any published article for
        the message's fault type, first or among the first 5 (agent search with the product model)."""
        by_fault: dict[str, set[str]] = {}
        for key, faults in session.execute(
            select(Article.key, Article.fault_types).where(Article.status == "published")
        ):
            for fault in faults or []:
                by_fault.setdefault(fault, set()).add(key)
        keys = dict(session.execute(select(Article.id, Article.key)).all())
        messages = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
        asked = [message for message in messages if message.get("fault_type") in by_fault]
        at_1 = at_5 = 0
        for message in asked:
            hits = service.search(
                session, query=message["text"], product_model=message.get("product_model"), audience="agent", limit=5
            )
            got = [keys[hit.article_id] for hit in hits]
            wanted = by_fault[message["fault_type"]]
            at_1 += bool(got[:1]) and got[0] in wanted
            at_5 += any(key in wanted for key in got)
        return {
            "messages": len(asked),
            "recall_at_1": round(at_1 / len(asked), 4),
            "recall_at_5": round(at_5 / len(asked), 4),
        }

    factory = session_factory()
    with unit_of_work(factory) as session:
        recall, misses = run_queries(session)
        recall_at_1 = sum(first) / len(first)
        from_corpus = corpus_recall(session)
        by_rrf_k = {}
        if args.rrf_k:
            from aftersales.knowledge import index as knowledge_index

            shipped_k = knowledge_index.RRF_K
            for constant in (int(part) for part in args.rrf_k.split(",")):
                knowledge_index.RRF_K = constant
                at_5, _ = run_queries(session)
                by_rrf_k[constant] = {
                    "queries": {"recall_at_1": round(sum(first) / len(first), 4), "recall_at_5": round(at_5, 4)},
                    "customer_descriptions": corpus_recall(session),
                }
                print(f"RRF_K={constant}: {by_rrf_k[constant]}", file=sys.stderr)
            knowledge_index.RRF_K = shipped_k
        seed_articles = session.scalar(select(func.count()).select_from(Article))
        seed_questions = session.scalar(select(func.count()).select_from(ArticleQuestion))
    print(f"recall@1 {recall_at_1:.4f} recall@5 {recall:.4f} on {len(queries)} queries", file=sys.stderr)
    print(f"customers' descriptions: {from_corpus}", file=sys.stderr)

    # --- grow to the target size -------------------------------------------------------------------
    rng = np.random.default_rng(7)
    random.seed(7)
    with unit_of_work(factory) as session:
        seeds = list(session.scalars(select(Article)))
        seed_questions_rows = session.execute(select(ArticleQuestion.text, ArticleQuestion.embedding)).all()
        extra_articles = args.articles - len(seeds)
        per_article = max(1, round((args.questions - len(seed_questions_rows)) / max(1, extra_articles)))
        counter = session.scalar(select(func.max(Article.index_seq))) or 0
        article_rows, question_rows = [], []
        base_id = (session.scalar(select(func.max(Article.id))) or 0) + 1
        for offset in range(extra_articles):
            template = random.choice(seeds)
            article_id = base_id + offset
            article_rows.append(
                {
                    "id": article_id,
                    "key": f"synthetic-{offset}",
                    "title": f"{template.title}（型号批次 {offset}）",
                    "body": template.body,
                    "type": str(template.type),
                    "audience": str(template.audience),
                    "status": "published",
                    "product_models": list(template.product_models),
                    "fault_types": list(template.fault_types),
                    "tags": [],
                    "version": 1,
                    "index_seq": counter,
                    "solved_count": 0,
                    "created_at": template.created_at,
                    "updated_at": template.updated_at,
                    "updated_by": "bench",
                    "title_embedding": template.title_embedding,
                }
            )
            for position in range(per_article):
                text, blob = random.choice(seed_questions_rows)
                vector = embedder.from_bytes(blob) + rng.normal(0, 0.02, 512).astype(np.float32)
                vector /= np.linalg.norm(vector)
                question_rows.append(
                    {
                        "article_id": article_id,
                        "position": position,
                        "text": f"{text} {offset}",
                        "embedding": embedder.to_bytes(vector),
                    }
                )
        connection = session.connection()
        for start in range(0, len(article_rows), 1000):
            connection.execute(insert(table_of(Article)), article_rows[start : start + 1000])
        for start in range(0, len(question_rows), 5000):
            connection.execute(insert(table_of(ArticleQuestion)), question_rows[start : start + 5000])
    service.reset_index()
    with unit_of_work(factory) as session:
        total_articles = session.scalar(select(func.count()).select_from(Article))
        total_questions = session.scalar(select(func.count()).select_from(ArticleQuestion))
        began = time.perf_counter()
        service.refresh_index(session)
        build_s = time.perf_counter() - began
        timings = []
        for index in range(args.repeat):
            query = queries[index % len(queries)]
            started = time.perf_counter()
            service.search(
                session,
                query=query["query"],
                product_model=query.get("product_model"),
                audience=query.get("audience"),
                limit=5,
            )
            timings.append(time.perf_counter() - started)
        large_recall, _ = run_queries(session)
    latency = latency_summary_ms(timings)
    print(
        f"{total_articles} articles / {total_questions} questions: p50 {latency['p50_ms']} p95 {latency['p95_ms']} ms",
        file=sys.stderr,
    )
    result = {
        "benchmark": "knowledge_search",
        "machine": machine_info(),
        "seed": {"articles": seed_articles, "questions": seed_questions, "load_s": round(seed_s, 1), **seeded},
        "queries": len(queries),
        "recall_at_1": round(recall_at_1, 4),
        "recall_at_5": round(recall, 4),
        "misses": misses,
        "customer_descriptions": from_corpus,
        "recall_by_rrf_k": by_rrf_k,
        "scale": {
            "articles": total_articles,
            "questions": total_questions,
            "index_build_s": round(build_s, 1),
            "search_latency": latency,
            "recall_at_5_among_synthetic": round(large_recall, 4),
        },
    }
    print(write_result("knowledge_search", result))


if __name__ == "__main__":
    main()
