"""The modules of cms import one another without a circle.

Every import counts, at module level or inside a function: an import moved into a function only to
dodge a circle still makes the circle (and hides it until that function runs first).
"""

import ast
from pathlib import Path

import pytest

CMS = Path(__file__).resolve().parents[2] / "cms"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(CMS.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def cms_imports(path: Path, modules: set[str]) -> set[str]:
    """The cms modules that ``path`` imports (``from . import x`` names module ``cms.x`` when there is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            targets = [source, *(f"{source}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            # "import cms.a.b" imports cms.a.b; the packages above it are only its containers.
            if target in modules and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = [p for p in CMS.rglob("*.py") if "migrations" not in p.parts]
    modules = {module_name(p) for p in paths}
    return {module_name(p): cms_imports(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph as a list of modules (first == last), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_cms_modules_import_each_other_without_a_circle():
    graph = import_graph()
    assert "cms.models" in graph and "cms.selectors" in graph["cms.models"]  # the parser sees relative imports
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " → ".join(cycle)


@pytest.mark.parametrize(
    ("graph", "circle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, False),  # a diamond is not a circle
    ],
)
def test_find_cycle_tells_a_circle_from_a_diamond(graph, circle):
    assert (find_cycle(graph) is not None) == circle


def test_a_function_level_import_is_part_of_the_graph(tmp_path, monkeypatch):
    package = tmp_path / "cms"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("from . import selectors\n")
    (package / "selectors.py").write_text("def f():\n    from .models import Page\n")
    monkeypatch.setattr(f"{__name__}.CMS", package)
    assert find_cycle(import_graph()) == ["cms.models", "cms.selectors", "cms.models"]
