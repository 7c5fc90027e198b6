"""The house rules of issue 15, checked on the source: module size, no import cycles, and no
state or kind spelled as a bare string outside mailer.states."""

from __future__ import annotations

import ast
from pathlib import Path

from mailer.states import DeliveryState, Mark, ReplyKind, Standing

PACKAGE = Path(__file__).resolve().parent.parent / "mailer"
MAX_LINES = 400
STATE_WORDS = {str(m) for enum in (DeliveryState, ReplyKind, Mark, Standing) for m in enum}
# where the words are defined, and migrations whose text is history
STATE_HOMES = {"states.py", "journal/schema.py"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers inside `if TYPE_CHECKING:` blocks: imports there never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_module_is_over_the_limit() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _modules().items()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_the_import_graph_has_no_cycles() -> None:
    """A package's __init__ re-exporting its modules is not a cycle of design: the edges from
    a module to its own package's __init__ are left out."""
    modules = _modules()
    known = set(modules)
    graph = {
        name: {t for t in _imports(name, path, known) if not name.startswith(f"{t}.")}
        for name, path in modules.items()
    }
    assert _cycles(graph) == []


def _bare_state_words(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def words(node: ast.AST) -> list[ast.Constant]:
        if isinstance(node, ast.Constant) and node.value in STATE_WORDS:
            return [node]
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return [c for e in node.elts for c in words(e)]
        return []

    for node in ast.walk(tree):
        hits: list[ast.Constant] = []
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                hits += words(operand)
        elif isinstance(node, ast.keyword) and node.arg in {"state", "kind"}:
            hits += words(node.value)
        elif isinstance(node, ast.Dict):
            hits += [k for k in node.keys if k is not None for k in words(k)]
        found += [f"{path.name}:{c.lineno}: {c.value!r}" for c in hits]
    return found


def test_no_state_is_a_bare_string_outside_its_module() -> None:
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(PACKAGE)) not in STATE_HOMES
        for hit in _bare_state_words(path)
    ]
    assert found == []
