"""The layering of STYLE.md, checked by the import-linter contracts in ``.importlinter``.

The contracts: the packages form layers (composition root → use cases → domains → plumbing), each
domain package has its own layers (edges → jobs → flows → services → data → rules → enums and
errors), rules are pure, services import no web framework, cores never import an edge. Every layers
contract is exhaustive, so a module that fits no layer (an unclassified module) fails the check too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]


def _lint(source_root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the package found under ``source_root`` (it shadows the installed one)."""
    return subprocess.run(
        [*LINT, "--no-cache", str(REPO / ".importlinter")],
        cwd=REPO,
        env={"PYTHONPATH": str(source_root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_contracts_hold() -> None:
    result = _lint(REPO / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A copy of the package with three violations planted in it."""
    package = tmp_path / "src" / "aftersales"
    shutil.copytree(REPO / "src" / "aftersales", package, ignore=shutil.ignore_patterns("__pycache__"))
    # 1. An upward import: the lowest ticket domain reaching into dispatch.
    service = package / "tickets" / "service.py"
    service.write_text(
        service.read_text(encoding="utf-8") + "\nfrom aftersales.dispatch.network import service as _planted\n",
        encoding="utf-8",
    )
    # 2. A module that fits no contract's layers.
    (package / "sla" / "unclassified_helpers.py").write_text('"""Planted."""\n', encoding="utf-8")
    # 3. Impure rules: a database import in a rules module.
    rules = package / "customers" / "rules.py"
    rules.write_text(
        rules.read_text(encoding="utf-8") + "\nimport sqlalchemy as _planted_sqlalchemy\n", encoding="utf-8"
    )
    return tmp_path / "src"


def test_planted_violations_break_the_contracts(planted: Path) -> None:
    result = _lint(planted)
    output = " ".join(result.stdout.split())
    assert result.returncode == 1, output
    assert "aftersales.tickets is not allowed to import aftersales.dispatch" in output
    assert "aftersales.sla.unclassified_helpers" in output
    assert "aftersales.customers.rules is not allowed to import sqlalchemy" in output
    # Exactly the three planted breaches, nothing else.
    assert "3 broken" in output
