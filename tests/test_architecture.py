"""The layering of STYLE.md, checked on the real import graph (grimp)."""

from __future__ import annotations

import grimp
import pytest

PACKAGE = "aftersales"
CORE_MODULES = {
    "enums",
    "models",
    "schemas",
    "rules",
    "service",
    "errors",
    "defaults",
    "geo",
    "sla_tracking",
    "presenters",
    "sessions",
    "queries",
    "tokens",
    "index",
    "embedder",
    "classifier",
    "evaluation",
    "learning",
    "transfer",
    "hot_issues",
    "solomon",
    "routing",
    "simulation",
    "appointments",
    "fieldwork",
    "field_rules",
    "planning",
    "dayplans",
    "emergencies",
    "sender",
    "channels",
    "rendering",
    "preferences",
    "bulletins",
    "visits",
    "surveys",
    "promises",
    "inspection",
    "compensation",
    "quality_models",
    "quality_rules",
}
EDGE_MODULES = {
    "flows",
    "history",
    "api",
    "console",
    "cli",
    "jobs",
    "assist",
    "field_api",
    "plans_console",
    "quality_api",
}
# The web edge, the app factory and the process entry points sit above every core.
TOP_MODULES = ("web", "app", "cli", "worker", "demo")
# Lower packages never import higher ones (cores only). Same level = same number, no imports between them.
LEVELS = {
    "core": 0,
    "config": 0,
    "accounts": 1,
    "notifications": 1,
    "sla": 2,
    "customers": 2,
    "tickets": 3,
    "triage": 4,
    "knowledge": 4,
    "dispatch": 4,
    "parts": 4,
    "repairs": 4,
    "feedback": 4,
    "analytics": 5,
    "maintenance": 5,
}
FORBIDDEN_IN_RULES = ("sqlalchemy", "fastapi", "jinja2", "typer", "starlette")
FORBIDDEN_IN_SERVICE = ("fastapi", "jinja2", "typer", "starlette")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, include_external_packages=True)


def _split(module: str) -> tuple[str | None, str | None]:
    parts = module.split(".")
    if len(parts) < 2:
        return None, None
    return parts[1], parts[2] if len(parts) > 2 else None


def _imports(graph: grimp.ImportGraph, module: str) -> set[str]:
    return graph.find_modules_directly_imported_by(module)


def test_cores_only_import_lower_or_same_package_cores(graph: grimp.ImportGraph) -> None:
    problems = []
    for module in sorted(graph.modules):
        package, leaf = _split(module)
        if package not in LEVELS or leaf not in CORE_MODULES:
            continue
        for imported in _imports(graph, module):
            if not imported.startswith(PACKAGE + "."):
                continue
            other, other_leaf = _split(imported)
            if other in TOP_MODULES:
                problems.append(f"{module} -> {imported}")
                continue
            if other == package or other not in LEVELS:
                continue
            if LEVELS[other] >= LEVELS[package] or (other_leaf is not None and other_leaf in EDGE_MODULES):
                problems.append(f"{module} -> {imported}")
    assert problems == []


def test_edges_never_import_another_package_edges(graph: grimp.ImportGraph) -> None:
    problems = []
    for module in sorted(graph.modules):
        package, leaf = _split(module)
        if package not in LEVELS or leaf not in EDGE_MODULES:
            continue
        for imported in _imports(graph, module):
            other, other_leaf = _split(imported)
            if imported.startswith(PACKAGE + ".") and other != package and other_leaf in EDGE_MODULES:
                problems.append(f"{module} -> {imported}")
    assert problems == []


def test_rules_are_pure_and_services_have_no_web(graph: grimp.ImportGraph) -> None:
    problems = []
    for module in sorted(graph.modules):
        _, leaf = _split(module)
        forbidden = (
            FORBIDDEN_IN_RULES
            if leaf in ("rules", "field_rules")
            else FORBIDDEN_IN_SERVICE
            if leaf == "service"
            else ()
        )
        for imported in _imports(graph, module):
            if imported.split(".")[0] in forbidden:
                problems.append(f"{module} -> {imported}")
    assert problems == []


def test_the_checks_can_fail(graph: grimp.ImportGraph) -> None:
    # The graph really holds the package's edges (guards against a vacuous pass).
    assert "aftersales.tickets.service" in graph.modules
    assert "aftersales.sla.service" in _imports(graph, "aftersales.tickets.service")
    assert "sqlalchemy" in {module.split(".")[0] for module in _imports(graph, "aftersales.tickets.models")}
