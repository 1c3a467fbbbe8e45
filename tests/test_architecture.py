"""The house rules docs/ARCHITECTURE.md states and a reader can check: core never imports Streamlit, no
import circle among core's modules, and no core module over 450 lines."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"
MAX_LINES = 450
# Cut to size on issue 17's branch (the settings schema moves out of them): empty this set when it is merged.
def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """The core modules `path` imports (relative imports resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = ".".join(base[:len(base) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}  # `from . import registry` names a module
    return out


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in CORE.rglob("*.py")}
    return {m: {i for i in _imports(p, top_level_only) if i in files and i != m} for m, p in files.items()}


def _cycle(graph: dict[str, set[str]]):
    """One import circle as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_circle_among_core_modules():
    """Counting imports inside functions too: a lazy import that closes a circle is still one."""
    graph = _graph(top_level_only=False)
    # A package's __init__ re-exporting its own modules is not a circle with them.
    for m in graph:
        graph[m] = {n for n in graph[m] if not (m.startswith(n + ".") and n.count(".") >= 1)}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_core_never_imports_streamlit():
    users = [str(p.relative_to(ROOT)) for p in CORE.rglob("*.py")
             if any(i.split(".")[0] == "streamlit" for i in _imports(p, top_level_only=False))]
    assert users == []


def test_no_core_module_over_450_lines():
    long = {str(p.relative_to(ROOT)): n for p in CORE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
