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
            passed_through = passed_through or any(
                "imports_passed_through" in ast.unparse(i.context_expr) for i in node.items
            )
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
        p
        for pkg in ("api", "workers", "cli", "bench")
        for p in modules(pkg)
        if "Client.connect(" in p.read_text() and p != ROOT / "workers" / "client.py"
    ]
    assert offenders == []


# ---- activities and workflows: activities see the workflows' contract and ids, nothing else ----
CONTRACT = ("workflows.messages", "workflows.ids", "workflows.contract")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module of ours `path` imports, anywhere in it (in functions too): `from a.b import c`
    names `a.b.c` when that is a module, else `a.b`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                is_module = (ROOT / sub.replace(".", "/")).with_suffix(".py").exists() or (
                    ROOT / sub.replace(".", "/")
                ).is_dir()
                found.add(sub if is_module else node.module)
    return {m for m in found if m.split(".")[0] in OURS}


def test_activities_import_only_the_contract_and_ids_from_workflows():
    for path in modules("activities"):
        for module in imported_modules(path):
            if module.split(".")[0] == "workflows":
                assert any(module == c or module.startswith(c + ".") for c in CONTRACT), (path, module)


def test_the_contract_imports_no_activities_and_no_workflow():
    for path in modules("workflows"):
        name = module_name(path)
        if any(name == c or name.startswith(c + ".") for c in CONTRACT):
            for module in imported_modules(path):
                top = module.split(".")[0]
                assert top == "domain" or any(module == c or module.startswith(c + ".") for c in CONTRACT), (
                    path,
                    module,
                )


def test_no_import_cycle_between_activities_and_workflows():
    graph = {module_name(p): imported_modules(p) for pkg in ("activities", "workflows") for p in modules(pkg)}
    for name, targets in graph.items():  # `import a.b.c` also runs a/__init__ and a/b/__init__
        graph[name] = {t for t in targets if t in graph} | {
            ".".join(t.split(".")[:i])
            for t in targets
            for i in range(1, t.count(".") + 1)
            if ".".join(t.split(".")[:i]) in graph
        }

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    # A cycle through both packages: an activities module reachable from a workflows module that reaches it back.
    crossing = [
        (w, a)
        for w in graph
        if w.startswith("workflows")
        for a in reachable(w)
        if a.startswith("activities") and w in reachable(a)
    ]
    assert crossing == []


# ---- the API: queries live in db/, carriers behind activities/, Temporal behind one gateway ----
TEMPORAL_GATEWAY = ROOT / "api" / "returns_gateway.py"


def top_level_imports(path: Path) -> set[str]:
    """Every top-level package `path` imports, ours or not, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_api_writes_no_queries():
    """Reads and writes are db/ functions by area (db/returns.py, db/orders.py, ...), tenant-scoped there."""
    assert [p for p in modules("api") if any(q in p.read_text() for q in ("select(", ".exec(", ".execute("))] == []


def test_the_api_imports_no_carrier_sdk():
    assert [p for p in modules("api") if "easypost" in top_level_imports(p)] == []


def test_only_the_gateway_starts_or_addresses_workflows():
    offenders = [
        p
        for p in modules("api")
        if p != TEMPORAL_GATEWAY and any(call in p.read_text() for call in ("get_workflow_handle", "start_workflow"))
    ]
    assert offenders == []
