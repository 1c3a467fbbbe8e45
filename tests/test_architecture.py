"""The house rules docs/ARCHITECTURE.md states and a reader can check: core never imports Streamlit, no
import circle among core's modules, no core module over 450 lines, at most 16 rooms at core's top level, no
module importing another's private name, a trainer that knows nothing of the class or of insight, and the
model's input conversion written once."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"
MAX_LINES = 450
MAX_TOP_LEVEL = 16  # core's own modules and packages, __init__.py and __main__.py included
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


def test_core_has_at_most_16_top_level_modules_and_packages():
    entries = sorted(p.name for p in CORE.iterdir() if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir()))
    assert len(entries) <= MAX_TOP_LEVEL, entries


def test_no_module_imports_another_modules_private_name():
    """A name with a leading underscore stays in its module (dunders such as __future__ are not private)."""
    found = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                parts = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                for name in parts:
                    if any(p.startswith("_") and not p.startswith("__") for p in name.split(".")):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert found == []


def test_the_trainer_imports_nothing_of_the_class_or_of_insight():
    """core/training/ is general: the class's drawings come in as a dataset, the map is drawn by its callers."""
    users = {}
    for path in (CORE / "training").rglob("*.py"):
        bad = {i for i in _imports(path, top_level_only=False) if i.startswith(("core.classroom", "core.insight"))}
        if bad:
            users[str(path.relative_to(ROOT))] = sorted(bad)
    assert users == {}


def test_the_model_input_conversion_is_written_once():
    """uint8 <-> [0, 1] lives in core/model/input.py (its PIXEL is 1 / 255); nothing else in core, ui or the
    pages divides by 255. The export's templates are left out: they are the code a class takes home, which runs
    without this app (tests/test_export.py checks that they frame pictures as the app does)."""
    allowed = {CORE / "model" / "input.py", CORE / "model" / "pictures.py"}
    templates = CORE / "export" / "templates"
    found = [f"{p.relative_to(ROOT)}:{i}" for folder in ("core", "ui", "app_pages") for p in (ROOT / folder).rglob("*.py")
             if p not in allowed and templates not in p.parents
             for i, line in enumerate(p.read_text().splitlines(), 1) if "/ 255" in line]
    assert found == []
