"""No module under ``src/aftersales`` is longer than 400 lines (STYLE.md: split a growing one into a
subpackage or sibling modules by use case). Migrations are exempt: each is one frozen revision. The second
test shows the check finds an oversized module and nothing else."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "aftersales"
MAX_LINES = 400


def oversized_modules(root: Path, *, max_lines: int = MAX_LINES) -> list[str]:
    """Every ``.py`` under ``root`` (outside ``migrations/``) longer than ``max_lines``, as
    "path (lines)" relative to ``root``, sorted; empty when every module fits."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if "migrations" in relative.parts:
            continue
        with path.open(encoding="utf-8") as text:
            lines = sum(1 for _ in text)
        if lines > max_lines:
            found.append(f"{relative.as_posix()} ({lines})")
    return found


def test_every_module_is_at_most_400_lines() -> None:
    offenders = oversized_modules(PACKAGE)
    assert offenders == [], f"modules over {MAX_LINES} lines (split them by use case): " + ", ".join(offenders)


def test_the_check_finds_an_oversized_module(tmp_path: Path) -> None:
    root = tmp_path / "aftersales"
    files = {
        "fits.py": MAX_LINES,
        "area/too_long.py": MAX_LINES + 1,
        "area/sub/also_fits.py": 3,
        "migrations/versions/2026_01_01_big.py": MAX_LINES * 3,
    }
    for name, count in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n" * count, encoding="utf-8")
    (root / "area" / "notes.txt").write_text("x\n" * (MAX_LINES + 5), encoding="utf-8")

    assert oversized_modules(root) == ["area/too_long.py (401)"]
