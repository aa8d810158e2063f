"""No test module imports another: shared data comes from the factories, shared helpers from support
modules (``conftest.py``, ``factories``, ``pages.py``, ``*_support.py`` …). Checked by reading every
``tests/**/test_*.py`` with ``ast``; the second test shows the check catches what it should."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(path: Path) -> bool:
    return path.suffix == ".py" and path.name.startswith("test_")


def _resolve(root: Path, module: str) -> Path | None:
    """The file of a dotted module name under ``root``'s parent (``tests.a.test_b`` → tests/a/test_b.py)."""
    base = root.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(root: Path, path: Path) -> list[str]:
    return [root.name, *path.parent.relative_to(root).parts]


def _imported_modules(root: Path, path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every module ``path`` imports, relative imports made absolute; for
    ``from package import name`` both the package and ``package.name`` (which may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(root, path)
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*")
    return found


def cross_imports(root: Path) -> list[str]:
    """Every import of one test module by another under ``root`` (a ``tests`` package), as
    "importer:line imports imported"; empty when the layout is clean."""
    problems = []
    for path in sorted(root.rglob("test_*.py")):
        for line, module in _imported_modules(root, path):
            target = _resolve(root, module)
            if target is not None and target != path and _is_test_module(target):
                problems.append(f"{path.relative_to(root.parent)}:{line} imports {target.relative_to(root.parent)}")
    return sorted(set(problems))


def test_no_test_module_imports_another() -> None:
    assert cross_imports(TESTS) == []


def test_the_check_finds_every_way_of_importing_a_test_module(tmp_path: Path) -> None:
    root = tmp_path / "tests"
    (root / "area").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "conftest.py": "from tests.area.helpers import log_in\n",
        "area/__init__.py": "",
        "area/helpers.py": "def log_in() -> None: ...\n",
        "area/test_journeys.py": "from tests.area.helpers import log_in\n\ndef _shared() -> None: ...\n",
        "area/test_absolute.py": "from tests.area.test_journeys import _shared\n",
        "area/test_package.py": "from tests.area import test_journeys\n",
        "area/test_relative.py": "from .test_journeys import _shared\n",
        "area/test_plain.py": "import tests.area.test_journeys\n",
        "area/test_clean.py": "from tests.area.helpers import log_in\nfrom tests import conftest\n",
    }
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    assert cross_imports(root) == [
        "tests/area/test_absolute.py:1 imports tests/area/test_journeys.py",
        "tests/area/test_package.py:1 imports tests/area/test_journeys.py",
        "tests/area/test_plain.py:1 imports tests/area/test_journeys.py",
        "tests/area/test_relative.py:1 imports tests/area/test_journeys.py",
    ]
    (root / "area/test_absolute.py").write_text("from tests.area.helpers import log_in\n", encoding="utf-8")
    assert "tests/area/test_absolute.py:1 imports tests/area/test_journeys.py" not in cross_imports(root)
