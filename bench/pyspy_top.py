"""Summarise a py-spy ``--format raw`` profile (collapsed stacks): where the sampled time goes.

    .venv/bin/py-spy record --pid PID --duration 15 --rate 250 --gil --nonblocking --format raw -o stacks.txt
    .venv/bin/python bench/pyspy_top.py stacks.txt

Prints the share of samples by library of the innermost Python frame ("self"), the project functions
with the largest inclusive share, and the innermost frames with the largest self share.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

LIBRARIES = {
    "aftersales": "aftersales (project code)",
    "sqlalchemy": "sqlalchemy",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "fastapi": "fastapi",
    "starlette": "starlette",
    "uvicorn": "uvicorn",
    "anyio": "anyio (thread hand-off)",
    "cpca": "cpca (address parsing)",
    "pandas": "pandas (inside cpca)",
    "numpy": "numpy",
    "json": "json",
    "asyncio": "asyncio",
    "concurrent": "concurrent.futures",
    "threading.py": "threading",
    "zoneinfo": "zoneinfo",
    "argon2": "argon2",
}


def short_path(path: str) -> str:
    """'/…/site-packages/sqlalchemy/orm/x.py' or 'sqlalchemy/orm/x.py' → 'sqlalchemy/orm/x.py'."""
    for marker in ("/site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return path.lstrip("/")


def library(path: str) -> str:
    if not path:
        return "native / unknown"
    first = short_path(path).split("/", 1)[0]
    return LIBRARIES.get(first, f"other: {first}")


def parse(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack_text, _, count = line.rpartition(" ")
        frames = []
        for frame in stack_text.split(";"):
            match = FRAME.match(frame.strip())
            if match:
                frames.append((match["function"], match["file"]))
            else:
                frames.append((frame.strip(), ""))
        stacks.append((frames, int(count)))
    return stacks


def summarize(path: Path, top: int = 25) -> dict[str, Any]:
    """Shares (percent of samples) by library (self), project function (inclusive) and leaf frame (self)."""
    stacks = parse(path)
    total = sum(count for _, count in stacks) or 1
    by_library: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    by_project: Counter[str] = Counter()
    for frames, count in stacks:
        python_frames = [(fn, file) for fn, file in frames if file]
        leaf_fn, leaf_file = python_frames[-1] if python_frames else (frames[-1][0], "")
        by_library[library(leaf_file)] += count
        by_leaf[f"{leaf_fn} ({short_path(leaf_file)})"] += count
        seen = set()
        for fn, file in frames:
            if short_path(file).startswith("aftersales/"):
                key = f"{short_path(file)}:{fn}"
                if key not in seen:
                    seen.add(key)
                    by_project[key] += count

    def shares(counter: Counter[str], limit: int) -> list[tuple[str, float]]:
        return [(key, round(100 * value / total, 1)) for key, value in counter.most_common(limit)]

    return {
        "samples": total,
        "self_by_library_pct": shares(by_library, 30),
        "inclusive_project_functions_pct": shares(by_project, top),
        "self_leaf_frames_pct": shares(by_leaf, top),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stacks", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = summarize(args.stacks, args.top)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    print(f"{summary['samples']} samples")
    for title, key in (
        ("self time by library (innermost Python frame)", "self_by_library_pct"),
        ("inclusive time of project functions", "inclusive_project_functions_pct"),
        ("self time of innermost frames", "self_leaf_frames_pct"),
    ):
        print(f"\n== {title}")
        for name, pct in summary[key]:
            print(f"{pct:6.1f}%  {name}")


if __name__ == "__main__":
    main()
