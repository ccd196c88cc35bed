"""The boundaries of DESIGN.md, checked over the import graph (ast, no imports run)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {"domain", "workflows", "activities", "api", "workers", "db", "sandboxes", "cli", "settings", "bench", "tests"}


def imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level package, inside `imports_passed_through()`) for each import of ours."""
    tree = ast.parse(path.read_text())
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, passed_through: bool) -> None:
        if isinstance(node, ast.With):
            passed_through = passed_through or any("imports_passed_through" in ast.unparse(i.context_expr) for i in node.items)
        if isinstance(node, ast.Import):
            found.extend((a.name.split(".")[0], passed_through) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], passed_through))
        for child in ast.iter_child_nodes(node):
            visit(child, passed_through)

    visit(tree, False)
    return [(m, p) for m, p in found if m in OURS]


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_domain_imports_nothing_of_ours():
    for path in modules("domain"):
        assert {m for m, _ in imports(path)} <= {"domain"}, path


def test_workflows_import_domain_and_activities_only_passed_through():
    for path in modules("workflows"):
        for module, passed in imports(path):
            assert module in {"domain", "workflows"} or (module == "activities" and passed), (path, module)


def test_nothing_imports_the_api_and_settings_stay_out_of_workflows_and_activities():
    for package in ("domain", "workflows", "activities", "workers", "db", "sandboxes"):
        for path in modules(package):
            found = {m for m, _ in imports(path)}
            assert "api" not in found, path
            if package in ("workflows", "activities", "domain"):
                assert "settings" not in found, path


def test_sandboxes_are_independent_of_the_product():
    for path in modules("sandboxes"):
        assert {m for m, _ in imports(path)} <= {"sandboxes"}, path


def test_one_temporal_client_factory():
    offenders = [
        p for pkg in ("api", "workers", "cli", "bench") for p in modules(pkg)
        if "Client.connect(" in p.read_text() and p != ROOT / "workers" / "client.py"
    ]
    assert offenders == []
