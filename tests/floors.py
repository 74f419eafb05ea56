"""The floors contract, read from the source: every import of a project module, where it
sits (module level or inside a function), and the rules `test_floors.py` holds the
code to. The rules take a graph, not the files, so a test can plant a violation in a
graph of its own and show that each rule catches it.

The floors, lowest first (README, "Floors"):

1. core: `policy/`, `money.py`, `registry.py`, `mailheaders.py`, `mailtext.py`,
   `spreadsheet.py`: no Django.
2. provider: `provider.py`, `capabilities.py`, `purposes.py`, the `versions` app.
3. enforcement: the gateway, the gate, the audit log, actors, cases, tokens.
4. domain: accounts at the bottom, the request ledger on it, then billing, tracking,
   messaging, disclosure, communications, hosted, sales.
5. interface: site, jobs, the project's urls/api/settings, and every app's views, api,
   admin, tasks, urls, forms, apps, management commands and the like.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "hippocratic"

CORE, PROVIDER, ENFORCEMENT, DOMAIN, INTERFACE = 1, 2, 3, 4, 5
FLOOR_NAMES = {1: "core", 2: "provider", 3: "enforcement", 4: "domain", 5: "interface"}

CORE_MODULES = {"policy", "money", "registry", "mailheaders", "mailtext", "spreadsheet"}
PROVIDER_MODULES = {"provider", "capabilities", "purposes", "versions"}
DOMAIN_APPS = (  # lowest first: an app may use any module of an app below it
    ("accounts",),
    ("requests",),
    ("billing", "tracking", "messaging", "disclosure", "communications", "hosted", "sales"),
)
# The parts of an app that face the outside world: the interface floor, whatever the app.
INTERFACE_PARTS = {
    "views", "api", "admin", "tasks", "urls", "forms", "context_processors", "apps",
    "lmtp", "decorators", "middleware", "checks", "management", "templatetags", "migrations",
}  # fmt: skip
# What one domain app may use of another on its own level: its tables and its events.
SHARED_PARTS = {"models", "signals"}
# Parts no other app may import, whatever the floors: another app's doors.
PRIVATE_DOORS = {"views", "tasks", "admin"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported project module, dotted
    line: int
    in_function: str | None  # the enclosing function's name, None at module level
    in_ready: bool = False  # inside an AppConfig's ready()


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_imports(source: str, text: str, known: set[str], is_package: bool = False):
    """The project imports in one module's source. `known` is every module name, to tell
    `from hippocratic.x import y` (a submodule y) from an import of a name in x."""
    tree = ast.parse(text)
    found: list[Import] = []

    def target_of(node: ast.ImportFrom, alias: ast.alias) -> str | None:
        if node.level:
            base = source.split(".") if is_package else source.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        if not (module == PACKAGE or module.startswith(PACKAGE + ".")):
            return None
        sub = f"{module}.{alias.name}"
        return sub if sub in known else module

    def visit(node: ast.AST, function: str | None, ready: bool, in_appconfig: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in child.bases}
                visit(child, function, ready, "AppConfig" in bases)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                name = getattr(child, "name", "<lambda>")
                is_ready = ready or (in_appconfig and function is None and name == "ready")
                visit(child, function or name, is_ready, False)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                        found.append(Import(source, alias.name, child.lineno, function, ready))
            elif isinstance(child, ast.ImportFrom):
                for alias in child.names:
                    target = target_of(child, alias)
                    if target:
                        found.append(Import(source, target, child.lineno, function, ready))
            else:
                visit(child, function, ready, in_appconfig)

    visit(tree, None, False, False)
    return found


def project_imports(src: Path) -> list[Import]:
    """Every project import in the package under `src` (the directory holding it)."""
    root = src / PACKAGE
    files = {module_name(p, src): p for p in root.rglob("*.py")}
    known = set(files)
    return [
        imp
        for name, path in sorted(files.items())
        for imp in read_imports(name, path.read_text(), known, path.name == "__init__.py")
    ]


# --- Where a module sits ------------------------------------------------------------


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def part_of(module: str) -> str | None:
    """The app's part a module is ("views", "models", …), None for the app's package. A
    door nested in a subpackage is a door (messaging.inbound.views is a views module)."""
    parts = module.split(".")[2:]
    return next((p for p in parts if p in INTERFACE_PARTS), parts[0] if parts else None)


def floor(module: str) -> int:
    app, part = app_of(module), part_of(module)
    if app is None:  # the package itself
        return INTERFACE
    if app in CORE_MODULES:
        return CORE
    if part in INTERFACE_PARTS:
        return INTERFACE
    if app in PROVIDER_MODULES:
        return PROVIDER
    if app == "enforcement":
        return ENFORCEMENT
    if any(app in level for level in DOMAIN_APPS):
        return DOMAIN
    return INTERFACE  # site, jobs, urls, api, settings, cli …


def domain_level(app: str) -> int:
    return next(i for i, level in enumerate(DOMAIN_APPS) if app in level)


# --- The rules: each takes the imports and returns what breaks it ---------------------


def climbs(imports: list[Import]) -> list[str]:
    """An import from a lower floor up to a higher one."""
    return [
        f"{i.source}:{i.line} ({FLOOR_NAMES[floor(i.source)]}) imports {i.target} "
        f"({FLOOR_NAMES[floor(i.target)]})"
        for i in imports
        if floor(i.target) > floor(i.source)
    ]


def sideways(imports: list[Import]) -> list[str]:
    """A domain app using more of another than its models and signals, unless that app
    sits on a lower level of the domain floor (accounts, then the request ledger); and
    nothing at all of an app on a higher level (accounts uses no billing model)."""
    found = []
    for i in imports:
        if floor(i.source) != DOMAIN or floor(i.target) != DOMAIN:
            continue
        mine, theirs = app_of(i.source), app_of(i.target)
        if mine == theirs or domain_level(theirs) < domain_level(mine):
            continue
        if domain_level(theirs) > domain_level(mine):
            found.append(f"{i.source}:{i.line} climbs to {i.target}")
        elif part_of(i.target) not in SHARED_PARTS:
            found.append(f"{i.source}:{i.line} reaches into {i.target}")
    return found


def private_doors(imports: list[Import]) -> list[str]:
    """An app importing another app's views, tasks or admin (the project's urls and the
    scheduler name tasks by dotted path, not by import)."""
    return [
        f"{i.source}:{i.line} imports another app's {part_of(i.target)}: {i.target}"
        for i in imports
        if part_of(i.target) in PRIVATE_DOORS and app_of(i.source) != app_of(i.target)
    ]


def hidden_imports(imports: list[Import]) -> list[str]:
    """A project import inside a function, outside AppConfig.ready()."""
    return [
        f"{i.source}:{i.line} imports {i.target} inside {i.in_function}()"
        for i in imports
        if i.in_function and not i.in_ready
    ]


def circles(imports: list[Import]) -> list[list[str]]:
    """Modules that import each other, directly or round a loop (Tarjan's SCCs)."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        if i.source != i.target:
            graph.setdefault(i.source, set()).add(i.target)
            graph.setdefault(i.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(node: str) -> None:
        # Iterative, so a long chain cannot hit the recursion limit.
        work: list[tuple[str, Iterator[str]]] = [(node, iter(sorted(graph[node])))]
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[current])
                if low[current] == index[current]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == current:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[current] = min(low[current], index[child])

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return found


# Imports by name at run time, each argued for: a dotted path in a setting or a table
# of jobs is how Django chooses backends, and what it names is held by the rules above
# where it is imported for real.
DYNAMIC_IMPORTS = {
    "capabilities.py": "each app's AppConfig, to read what it declares (apps.py modules "
                       "import only the purposes enum)",
    "enforcement/backends/gated.py": "the gate's guard, late: the backend is loaded before "
                                     "the models the gate reads",
    "jobs/tasks.py": "a scheduled job's task, by the dotted path jobs/schedule.py names",
    "jobs/workers.py": "a dead worker's resumable task, queued again by the dotted path the "
                       "task queue stored (RESUMABLE names which)",
    "billing/processors/__init__.py": "the payment processor a setting names",
    "accounts/sessions.py": "the session engine a setting names",
    "accounts/own_data.py": "django-axes' tables and the app's own sessions, at erasure",
    "enforcement/conformance.py": "libraries' tables (axes, the task queue), if installed",
}  # fmt: skip
DYNAMIC = {"import_module", "__import__", "import_string", "get_model"}


def dynamic_imports(sources: dict[str, str]) -> list[str]:
    """A module importing by name at run time that DYNAMIC_IMPORTS does not argue for.
    `sources`: path under the package -> source text."""
    found = []
    for path, text in sorted(sources.items()):
        if "migrations/" in path:
            continue  # a migration's apps.get_model is the historical model
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in DYNAMIC and path not in DYNAMIC_IMPORTS:
                    found.append(f"{path}:{node.lineno} imports by name ({name})")
    return found


def package_sources(src: Path) -> dict[str, str]:
    root = src / PACKAGE
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.py")}


RULES = {
    "no climbing": climbs,
    "sideways only to models and signals": sideways,
    "no other app's views, tasks or admin": private_doors,
    "no import hidden in a function": hidden_imports,
    "no circles": circles,
}
