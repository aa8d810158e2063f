"""Deterministic generator of the triage corpus, ``src/aftersales/triage/data/corpus.jsonl``.

    python tools/corpus/build_corpus.py           # rewrite corpus.jsonl, print the counts
    python tools/corpus/build_corpus.py --check   # exit 1 if corpus.jsonl is not what this script writes

Plain Python, stdlib only, one seeded ``random.Random``: the output is byte-identical on every run. The
phrase tables are the JSON files in ``phrases/`` next to this script (every phrase was written for this
project; no copied data). Messages are composed from independent slot lists: a scenario skeleton (fault +
symptom phrasing + kind/priority story) picks the labels, and each message of the skeleton draws its own
product mention, opener, context, consequence, request, tone, closing, register (app chat, WeChat, web form,
hotline transcript, agent note, formal letter, terse) and noise (typos, homophones, regional words, emoji,
English). Messages of one skeleton share a ``group`` id so an evaluation can split by group. The labelling
rules are in ``src/aftersales/triage/data/README.md``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from checks import Corpus, validate
from compose import allowed_products
from phrasebook import FAMILY, FAULTS, LOCK_URGENCIES, STORIES, STORY_CHANCE, TOPICS, VARIANTS, Fault, Phrase, Topic
from stories import compose_fault, compose_topic

SEED = 20261122
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "src" / "aftersales" / "triage" / "data" / "corpus.jsonl"


def skeletons(rng: random.Random) -> list[tuple[str, Fault | Topic, Phrase, str]]:
    """(skeleton key, fault or topic, phrasing, story) in a fixed order."""
    out: list[tuple[str, Fault | Topic, Phrase, str]] = []
    for fault in FAULTS:
        chosen_by_story: dict[str, int] = Counter()
        plan: list[tuple[int, str]] = []
        for index, phrase in enumerate(fault.phrases):
            stories = phrase.stories or tuple(s for s in fault.stories if rng.random() < STORY_CHANCE[s])
            for story in stories:
                plan.append((index, story))
                chosen_by_story[story] += 1
        for story in fault.stories:  # every listed story told at least once
            free = [i for i, p in enumerate(fault.phrases) if not p.stories]
            if not chosen_by_story[story] and free:
                plan.append((rng.choice(free), story))
        for index, story in sorted(set(plan), key=lambda item: (item[0], list(STORIES).index(item[1]))):
            phrase = fault.phrases[index]
            lockless = all(FAMILY[p] != "lock" for p in allowed_products(fault.products, phrase))
            if story == "ru" and fault.urgent in LOCK_URGENCIES and (lockless or phrase.mild):
                continue  # a tablet or watch fault, or a slow / intermittent one, does not lock anyone out
            out.append((f"{fault.id}/{index}/{story}", fault, fault.phrases[index], story))
    for topic in TOPICS:
        for index, phrase in enumerate(topic.phrases):
            out.append((f"{topic.id}/{index}/{topic.story}", topic, phrase, topic.story))
    return out


def build() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    corpus = Corpus()
    group_of: dict[str, str] = {}
    for key, source, phrase, story in skeletons(rng):
        wanted = VARIANTS.get(story, 3) if isinstance(source, Fault) else 3
        made = 0
        for _attempt in range(wanted * 12):
            if made >= wanted:
                break
            if isinstance(source, Fault):
                row = compose_fault(rng, source, phrase, story)
            else:
                row = compose_topic(rng, source, phrase)
            if corpus.near_duplicate(str(row["text"])):
                continue
            if key not in group_of:
                group_of[key] = f"g{len(group_of) + 1:04d}"
            row["group"] = group_of[key]
            row["_skeleton"] = key
            corpus.add(row)
            made += 1
    rows = corpus.rows
    rng.shuffle(rows)
    ordered = []
    for number, row in enumerate(rows, start=1):
        ordered.append(
            {
                "id": f"c{number:05d}",
                "group": row["group"],
                "text": row["text"],
                "kind": row["kind"],
                "priority": row["priority"],
                "product_model": row["product_model"],
                "fault_type": row["fault_type"],
                "sentiment": row["sentiment"],
                "anger": row["anger"],
                "_multi": row.get("_multi", False),
            }
        )
    return ordered


def counts(rows: list[dict[str, object]]) -> str:
    lines = [f"records: {len(rows)}", f"groups: {len({r['group'] for r in rows})}"]
    for name in ("kind", "priority", "sentiment", "anger", "product_model", "fault_type"):
        counter = Counter("null" if r[name] is None else str(r[name]) for r in rows)
        lines.append(f"{name}:")
        lines += [f"  {label}: {count}" for label, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    lengths = sorted(len(str(r["text"])) for r in rows)
    lines.append(f"text length: min {lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}")
    return "\n".join(lines)


def render(rows: list[dict[str, object]]) -> str:
    public = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in public)


def first_difference(current: str, expected: str) -> int:
    """1-based number of the first line that differs."""
    current_lines, expected_lines = current.split("\n"), expected.split("\n")
    for number, (old, new) in enumerate(zip(current_lines, expected_lines, strict=False), start=1):
        if old != new:
            return number
    return min(len(current_lines), len(expected_lines)) + 1


def check(path: Path, data: str) -> str | None:
    """Why the corpus at ``path`` is not byte for byte what the generator writes, or None when it is."""
    shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
    if not path.exists():
        return f"{shown} is missing"
    current = path.read_bytes().decode("utf-8", errors="replace")
    if current != data:
        line = first_difference(current, data)
        return f"{shown} differs from what the generator writes (first difference at line {line})"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the corpus differs from a fresh build")
    parser.add_argument("--corpus", type=Path, default=OUT, help="corpus file to write or check (default: %(default)s)")
    args = parser.parse_args(argv)
    rows = build()
    validate(rows)
    data = render(rows)
    if args.check:
        problem = check(args.corpus, data)
        if problem:
            print(
                f"corpus check failed: {problem}. Run `python tools/corpus/build_corpus.py` and commit corpus.jsonl "
                "together with the generator or phrase-table change.",
                file=sys.stderr,
            )
            return 1
        print(f"corpus check passed: {args.corpus.name} is what the generator writes ({len(rows)} records)")
        return 0
    args.corpus.write_text(data, encoding="utf-8", newline="\n")
    print(counts(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
