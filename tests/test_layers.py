"""The shape of the house: imports go down, no circles, no imports hidden in functions, short modules.

docs/ARCHITECTURE.md draws the layers; this file keeps them true. It reads the source with `ast`, so
it needs no import of the code and no new dependency.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "conversations", "storage", "localapi", "miniapp")
MAX_LINES = 400
LONG_ALLOWED = {"storage/models.py"}  # the one model module
# An import inside a function needs a reason written here.
FUNCTION_IMPORTS_ALLOWED = {
    ("bot/cli.py", "bot.demo"): "the demo (and the local Bot API it starts) loads only for `binome demo`",
    ("bot/cli.py", "bot.runner"): "the bot's runtime loads only for `binome run`",
}

# Which layer may import which: a layer imports itself and what is below it.
WIRING = {"bot.app", "bot.runner", "bot.cli", "bot.demo", "bot.__main__"}


def layer_of(module: str) -> str:
    if module.startswith("localapi"):
        return "localapi"
    if module in WIRING:
        return "wiring"
    if module.startswith("miniapp"):
        return "miniapp"
    if module.startswith("conversations"):
        return "conversations"
    if module.startswith("bot"):
        return "services"
    if module.startswith("storage"):
        return "storage"
    return "outside"


MAY_IMPORT = {
    "wiring": {"wiring", "miniapp", "conversations", "services", "storage", "localapi"},
    "miniapp": {"miniapp", "conversations", "services", "storage"},  # the coordinator's page, over the chat's texts
    "conversations": {"conversations", "services", "storage"},
    "services": {"services", "storage"},
    "storage": {"storage"},
    "localapi": {"localapi"},
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def sources(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[module_name(path, root)] = path
    return found


def imports_of(module: str, path: Path, known: set[str]) -> list[tuple[str, bool]]:
    """(imported project module, inside a function?) for every import in the file, type-only ones left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: list[tuple[str, bool]] = []

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # for annotations only: never executed
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = resolve(alias.name)
                    if target:
                        found.append((target, inner))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module if is_package else module.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}" if base else package
                for alias in child.names:
                    target = resolve(f"{base}.{alias.name}") or resolve(base)
                    if target:
                        found.append((target, inner))
            visit(child, inner)

    visit(tree, False)
    return [(target, inner) for target, inner in found if target != module]


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    files = sources(root, packages)
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in files.items():
        graph[module]
        for target, _ in imports_of(module, path, set(files)):
            if not (module.startswith(target + ".")):  # a module importing its own package's __init__
                graph[module].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of two or more modules (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def test_no_import_circles():
    assert circles(import_graph()) == []


def test_the_circle_check_finds_a_circle(tmp_path):
    """The check above would fail on a circle: a package whose modules import each other in a ring,
    one of them from inside a function."""
    package = tmp_path / "ring"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from ring import b\n")
    (package / "b.py").write_text("def later():\n    from ring.c import thing\n")
    (package / "c.py").write_text("import ring.a\nthing = 1\n")
    (package / "d.py").write_text("from ring import a\n")
    assert circles(import_graph(tmp_path, ("ring",))) == [["ring.a", "ring.b", "ring.c"]]


def test_imports_go_down():
    files = sources()
    wrong = []
    for module, path in files.items():
        for target, _ in imports_of(module, path, set(files)):
            if layer_of(target) not in MAY_IMPORT[layer_of(module)]:
                wrong.append(f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})")
    assert wrong == []


def test_storage_knows_nothing_of_telegram_or_translations():
    wrong = []
    for module, path in sources(packages=("storage",)).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            wrong += [f"{module} imports {name}" for name in names if name.split(".")[0] in ("telegram", "bot")]
    assert wrong == []


def function_level_imports(path: Path) -> list[str]:
    """Every module imported inside a function (project, standard library or third party alike)."""
    names = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names.append("." * node.level + (node.module or ""))
    return names


def test_no_import_hidden_in_a_function():
    hidden = []
    for module, path in sources().items():
        relative = path.relative_to(ROOT).as_posix()
        hidden += [f"{relative} imports {name} inside a function" for name in function_level_imports(path)
                   if (relative, name) not in FUNCTION_IMPORTS_ALLOWED]
    assert hidden == []


def test_modules_stay_short():
    long = {}
    for module, path in sources().items():
        relative = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and relative not in LONG_ALLOWED:
            long[relative] = lines
    assert long == {}
