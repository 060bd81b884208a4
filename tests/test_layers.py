"""The house plan's layer rule, kept true by a test: imports only point down, and no module imports itself back.

Layers, lowest first: config < core < mail < community < harvest, search < kb < support < notifications < demo.
Every import of every app module counts, function-local ones included (ast). Exempt: migrations,
the composition roots (``config/urls.py``, ``config/gunicorn_conf.py``, ``config/celery.py``,
``config/wsgi.py``, ``config/asgi.py``) and the demo app, which sits on top of everything.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYER = {"config": 0, "core": 1, "mail": 2, "community": 3, "harvest": 4, "search": 4, "kb": 5, "support": 6,
         "notifications": 7, "demo": 8}
ROOTS = {"config/urls.py", "config/gunicorn_conf.py", "config/celery.py", "config/wsgi.py", "config/asgi.py"}


def app_modules() -> dict[str, Path]:
    modules = {}
    for app in LAYER:
        for path in sorted((REPO / app).rglob("*.py")):
            rel = path.relative_to(REPO)
            if "migrations" not in rel.parts:
                parts = list(rel.with_suffix("").parts)
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = rel
    return modules


def import_graph() -> dict[str, set[str]]:
    """``{module: app modules it imports}``; ``from a.b import c`` counts as ``a.b.c`` when that is a module."""
    modules = app_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, rel in modules.items():
        package = name.split(".") if rel.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse((REPO / rel).read_text(encoding="utf-8"), str(rel))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    modules = app_modules()
    layer = lambda name: LAYER[name.split(".")[0]]  # noqa: E731
    return sorted(
        f"{modules[source]} imports {modules[target]}"
        for source, targets in graph.items() for target in targets
        if str(modules[source]) not in ROOTS and source.split(".")[0] != "demo" and layer(target) > layer(source)
    )


def test_no_module_imports_from_a_higher_layer():
    assert upward_imports(import_graph()) == []


def test_no_import_circles():
    assert [sorted(c) for c in circles(import_graph())] == []


def test_the_rule_sees_what_it_is_meant_to_catch(tmp_path, monkeypatch):
    """The checks themselves: an upward import and a circle written into a throwaway tree are both found."""
    for path, text in {
        "core/__init__.py": "", "core/helpers.py": "from community.models import Thread\n",
        "community/__init__.py": "", "community/models.py": "def f():\n    from community import views\n",
        "community/views.py": "from community.models import f\n",
    }.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    monkeypatch.setitem(globals(), "REPO", tmp_path)
    graph = import_graph()
    assert upward_imports(graph) == ["core/helpers.py imports community/models.py"]
    assert circles(graph) == [{"community.models", "community.views"}]
