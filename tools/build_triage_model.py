"""Train the triage model that ships with the package and write it to src/aftersales/triage/data/model.npz.

Run ``python tools/build_triage_model.py`` after changing the corpus, the review set or the training code
(``triage.shipped.train`` is the recipe; its real text is in data/real-text), then commit the file. ``tests/triage/test_shipped.py`` trains the
recipe again and fails when the committed file no longer answers as the recipe does.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from aftersales.triage import shipped

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "aftersales" / "triage" / "data" / "model.npz"
REAL_TEXT = ROOT / "data" / "real-text"


def main() -> None:
    started = time.monotonic()
    model = shipped.train(REAL_TEXT)
    TARGET.write_bytes(model.dumps())
    print(
        f"{TARGET}: {TARGET.stat().st_size / 1e6:.1f} MB, recipe {shipped.RECIPE!r}, "
        f"trained in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
