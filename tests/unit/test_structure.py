"""The shape of the code base: pure domains, no import cycle, services that never import each
other, libraries layered one way, services built alike, module names that say one thing.

Everything is read from the repository's own source tree (not from site-packages): imports are
found with `ast` (module- and function-level, relative ones resolved), purity is checked by
importing in a fresh interpreter.
"""

import ast
import json
import os
import subprocess
import sys
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LIBRARIES = {
    name: ROOT / "libs" / name / f"textmill_{name}"
    for name in ("contracts", "runs", "infra", "storage", "tabular")
}
SERVICES = {
    name: ROOT / "services" / name / f"textmill_{name}"
    for name in ("gateway", "profiler", "estimator", "coordinator", "worker")
}
# What people install to use textmill: the SDK and the `textmill` command. A client is
# published on its own, so it imports no other workspace package.
CLIENTS = {"client": ROOT / "clients" / "textmill-client" / "textmill_client"}
# Top-level package name → its directory, for every distribution of the workspace.
PACKAGES = {f"textmill_{name}": path for name, path in {**LIBRARIES, **SERVICES, **CLIENTS}.items()}
CLIENT_PACKAGES = {f"textmill_{name}" for name in CLIENTS}
LIBRARY_PACKAGES = {f"textmill_{name}" for name in LIBRARIES}
SERVICE_PACKAGES = {f"textmill_{name}" for name in SERVICES}

# What each library may import from the workspace (besides itself).
LAYERS = {
    "textmill_contracts": set(),
    "textmill_runs": {"textmill_contracts"},
    "textmill_infra": {"textmill_contracts"},
    "textmill_tabular": set(),
    "textmill_storage": {
        "textmill_contracts",
        "textmill_runs",
        "textmill_infra",
        "textmill_tabular",
    },
}

IO_LIBRARIES = (
    "pymongo",
    "bson",
    "redis",
    "aiokafka",
    "faststream",
    "litestar",
    "httpx",
    "uvicorn",
    "motor",
)

# The estimator has no work yet (no handlers, domain or adapters): it only runs, heartbeats and
# answers probes. It joins the "working services" as soon as it has a `handlers.py`.
WITHOUT_WORK_YET = {"estimator"}
WORKING_SERVICES = sorted(
    name
    for name, path in SERVICES.items()
    if name not in WITHOUT_WORK_YET or (path / "handlers.py").exists()
)
# Services whose domain must be pure: the ones named here, plus any other that grows a domain.
PURE_DOMAINS = sorted(
    {"profiler", "coordinator", "worker", "gateway"}
    | {name for name, path in SERVICES.items() if (path / "domain").is_dir()}
)

CATCH_ALL_NAMES = {"runs", "utils", "helpers", "misc", "common"}


# ---------------------------------------------------------------------------------------------
# Reading the source tree
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


@dataclass(frozen=True)
class Import:
    """One import statement's target, as one module of the workspace sees it."""

    importer: str
    target: str  # absolute dotted name, as far as it could be resolved
    path: Path
    line: int

    @property
    def top(self) -> str:
        return self.target.partition(".")[0]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _source_files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


@cache
def modules() -> Mapping[str, Module]:
    found: dict[str, Module] = {}
    for package_dir in PACKAGES.values():
        for path in _source_files(package_dir):
            parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            name = ".".join(parts)
            found[name] = Module(name=name, path=path, is_package=is_package)
    return found


def _resolve_relative(module: Module, level: int, written: str | None) -> str | None:
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    parts = package.split(".")
    if level - 1 >= len(parts):
        return None  # beyond the top-level package
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{written}" if written else base


def _imports_of(module: Module) -> Iterator[Import]:
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    known = modules()

    def found(target: str, node: ast.AST) -> Import:
        return Import(module.name, target, module.path, node.lineno)

    dynamic = {"import_module", "__import__"}
    for node in ast.walk(tree):  # every level: module, functions, classes, branches
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield found(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(module, node.level, node.module)
                if base is None:
                    raise AssertionError(
                        f"{module.path}:{node.lineno}: relative import beyond the top package"
                    )
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                # `from pkg import name` imports the submodule `pkg.name` when there is one,
                # otherwise it takes `name` from the package's `__init__`.
                yield found(submodule if submodule in known else base, node)
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id in dynamic)
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and not node.args[0].value.startswith(".")
        ):
            yield found(node.args[0].value, node)


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(found for module in modules().values() for found in _imports_of(module))


def imports_from(package: str) -> list[Import]:
    return [i for i in all_imports() if i.importer.partition(".")[0] == package]


def _known_module(target: str) -> str | None:
    """The deepest module of the workspace that importing `target` runs, if any."""
    known = modules()
    parts = target.split(".")
    while parts:
        name = ".".join(parts)
        if name in known:
            return name
        parts.pop()
    return None


def module_graph() -> dict[str, dict[str, list[Import]]]:
    graph: dict[str, dict[str, list[Import]]] = {name: {} for name in modules()}
    for found in all_imports():
        target = _known_module(found.target)
        if target is not None:
            graph[found.importer].setdefault(target, []).append(found)
    return graph


def package_graph() -> dict[str, dict[str, list[Import]]]:
    graph: dict[str, dict[str, list[Import]]] = {name: {} for name in PACKAGES}
    for found in all_imports():
        source = found.importer.partition(".")[0]
        if found.top in PACKAGES and found.top != source:
            graph[source].setdefault(found.top, []).append(found)
    return graph


# ---------------------------------------------------------------------------------------------
# Cycles
# ---------------------------------------------------------------------------------------------


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm; gives every component that holds a cycle (a self-loop included)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def shortest_cycle_through(graph: Mapping[str, Iterable[str]], start: str) -> list[str]:
    """start → … → start, by breadth-first search; empty when there is none."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return []


def describe_cycles(graph: Mapping[str, Mapping[str, list[Import]]]) -> list[str]:
    reports = []
    for component in strongly_connected(graph):
        members = set(component)
        inside = {node: [n for n in graph[node] if n in members] for node in component}
        cycles: list[tuple[str, ...]] = []
        for node in component:  # one shortest cycle through each member, each cycle once
            cycle = shortest_cycle_through(inside, node)[:-1]
            turn = cycle.index(min(cycle))
            canonical = tuple(cycle[turn:] + cycle[:turn])
            if canonical not in cycles:
                cycles.append(canonical)
        lines = [f"component of {len(component)}: {', '.join(component)}"]
        for cycle in cycles:
            steps = []
            for here, there in zip(cycle, (*cycle[1:], cycle[0]), strict=True):
                steps.append(f"{here} -> {there} ({graph[here][there][0].where})")
            lines.append("  cycle: " + "; ".join(steps))
        reports.append("\n".join(lines))
    return reports


# ---------------------------------------------------------------------------------------------
# Purity, in a fresh interpreter
# ---------------------------------------------------------------------------------------------

# Imports a package and each of its submodules, watching which module first asks for one of
# the I/O libraries, and prints what is loaded in the end.
_PURITY_PROBE = r"""
import importlib, json, pkgutil, sys, traceback

FORBIDDEN = set(sys.argv[2].split(","))
TARGET = sys.argv[1]
PLUMBING = {
    "importlib", "importlib._bootstrap", "importlib._bootstrap_external",
    "_frozen_importlib", "_frozen_importlib_external", "pkgutil", "__main__",
}
chains = {}

class Watch:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in FORBIDDEN and top not in chains:
            chain, frame = [], sys._getframe(1)
            while frame is not None:
                who = frame.f_globals.get("__name__", "?")
                if who not in PLUMBING and (not chain or chain[-1] != who):
                    chain.append(who)
                frame = frame.f_back
            chains[top] = [*reversed(chain), name]
        return None

preloaded = sorted(m for m in sys.modules if m.partition(".")[0] in FORBIDDEN)
sys.meta_path.insert(0, Watch())
errors, origin, walked = [], None, []
try:
    package = importlib.import_module(TARGET)
    origin = package.__file__
    def failed(name):
        errors.append(f"{name}: {traceback.format_exc()}")
    for info in pkgutil.walk_packages(package.__path__, TARGET + ".", onerror=failed):
        if info.name.endswith(".__main__"):
            continue  # an entry point runs its program when imported; it is never imported
        walked.append(info.name)
        try:
            importlib.import_module(info.name)
        except Exception:
            failed(info.name)
except Exception:
    errors.append(f"{TARGET}: {traceback.format_exc()}")
present = sorted(m for m in sys.modules if m.partition(".")[0] in FORBIDDEN)
print(json.dumps({"origin": origin, "walked": walked, "errors": errors,
                  "preloaded": preloaded, "present": present, "chains": chains}))
"""


def probe_purity(package: str) -> dict:
    source_roots = [str(path.parent) for path in PACKAGES.values()]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*source_roots, env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", _PURITY_PROBE, package, ",".join(IO_LIBRARIES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=90,
    )
    assert done.returncode == 0, f"the probe of {package} crashed:\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_pure(package: str) -> None:
    report = probe_purity(package)
    assert report["origin"] and Path(report["origin"]).resolve().is_relative_to(ROOT), (
        f"{package} was imported from {report['origin']}, not from the repository"
    )
    assert not report["errors"], f"{package} does not import cleanly:\n" + "\n".join(
        report["errors"]
    )
    assert not report["preloaded"], (
        f"the fresh interpreter already had {report['preloaded']} before importing {package}"
    )
    pulled = defaultdict(list)
    for name in report["present"]:
        pulled[name.partition(".")[0]].append(name)
    problems = [
        f"{top} ({len(names)} modules) pulled in by "
        + " -> ".join(report["chains"].get(top, ["<unknown importer>"]))
        for top, names in sorted(pulled.items())
    ]
    assert not problems, f"importing {package} and its submodules loads I/O libraries:\n" + (
        "\n".join(problems)
    )


# ---------------------------------------------------------------------------------------------
# 0. The checks see the code they check
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_package_is_found_in_the_source_tree(package):
    # Given the place the workspace keeps the package
    directory = PACKAGES[package]
    # When it is looked for
    # Then it is a package with modules to check, so no check passes for want of code
    assert (directory / "__init__.py").is_file(), f"{directory} is not a package"
    assert package in modules()


def test_the_import_scan_sees_the_imports_the_code_makes():
    # Given a module known to import the contracts' topics and a submodule of its own package
    graph = module_graph()
    # When its edges are read from the scan
    edges = graph["textmill_gateway.app"]
    # Then both are there, the `from pkg import submodule` form counted as the submodule
    assert "textmill_contracts.topics" in edges
    assert "textmill_gateway.handlers" in edges
    assert "textmill_gateway.routes.ops" in edges


def test_the_cycle_finder_reports_a_cycle_and_its_path():
    # Given a small graph with one cycle a → b → c → a and a self-loop d → d
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}
    # When its strongly connected components are found
    components = strongly_connected(graph)
    # Then exactly the cycles are reported, each with a path around it
    assert components == [["a", "b", "c"], ["d"]]
    assert shortest_cycle_through(graph, "b") == ["b", "c", "a", "b"]


# ---------------------------------------------------------------------------------------------
# 1. The domains are pure
# ---------------------------------------------------------------------------------------------


def test_the_run_domain_loads_no_io_library():
    # Given a fresh interpreter
    # When textmill_runs and every submodule of it are imported
    # Then none of the I/O libraries (nor any submodule of them) is loaded
    assert_pure("textmill_runs")


def test_the_contracts_load_no_io_library():
    # Given a fresh interpreter
    # When textmill_contracts and every submodule of it are imported
    # Then none of the I/O libraries is loaded
    assert_pure("textmill_contracts")


@pytest.mark.parametrize("service", PURE_DOMAINS)
def test_a_service_domain_loads_no_io_library(service):
    # Given a fresh interpreter
    # When the service's domain package and every submodule of it are imported
    # Then none of the I/O libraries is loaded
    assert_pure(f"textmill_{service}.domain")


# ---------------------------------------------------------------------------------------------
# 2. No import cycle
# ---------------------------------------------------------------------------------------------


def test_no_module_import_cycle():
    # Given the graph of module → module imports of every workspace package
    graph = module_graph()
    # When its strongly connected components are found
    cycles = describe_cycles(graph)
    # Then there are none
    assert not cycles, f"{len(cycles)} import cycle(s) between modules:\n" + "\n".join(cycles)


def test_no_distribution_import_cycle():
    # Given the graph of distribution → distribution imports (libraries and services)
    graph = package_graph()
    # When its strongly connected components are found
    cycles = describe_cycles(graph)
    # Then there are none
    assert not cycles, f"{len(cycles)} import cycle(s) between distributions:\n" + "\n".join(cycles)


# ---------------------------------------------------------------------------------------------
# 3–5. Who may import whom
# ---------------------------------------------------------------------------------------------


def _listed(found: Iterable[Import]) -> str:
    return "\n".join(f"  {i.importer} imports {i.target} ({i.where})" for i in found)


@pytest.mark.parametrize("service", sorted(SERVICE_PACKAGES))
def test_a_service_imports_no_other_service(service):
    # Given every import, at any level, of the service's modules
    found = imports_from(service)
    # When the ones reaching into another service are picked
    crossing = [i for i in found if i.top in SERVICE_PACKAGES and i.top != service]
    # Then there are none
    assert not crossing, f"{service} imports other services:\n{_listed(crossing)}"


@pytest.mark.parametrize("library", sorted(LIBRARY_PACKAGES))
def test_a_library_imports_no_service(library):
    # Given every import, at any level, of the library's modules
    found = imports_from(library)
    # When the ones reaching into a service are picked
    upward = [i for i in found if i.top in SERVICE_PACKAGES]
    # Then there are none
    assert not upward, f"{library} imports services:\n{_listed(upward)}"


@pytest.mark.parametrize("client", sorted(CLIENT_PACKAGES))
def test_a_client_imports_no_other_workspace_package(client):
    # Given every import, at any level, of the client's modules
    found = imports_from(client)
    # When the ones reaching another textmill package are picked
    inside = [i for i in found if i.top.startswith("textmill_") and i.top != client]
    # Then there are none: it speaks to the gateway over HTTP alone
    assert not inside, f"{client} imports workspace packages:\n{_listed(inside)}"


@pytest.mark.parametrize("library", sorted(LAYERS))
def test_a_library_imports_only_the_layers_beneath_it(library):
    # Given every import, at any level, of the library's modules
    found = imports_from(library)
    # When the ones reaching a workspace package it may not use are picked
    allowed = LAYERS[library] | {library}
    outside = [i for i in found if i.top.startswith("textmill_") and i.top not in allowed]
    # Then there are none
    assert not outside, (
        f"{library} may import only {sorted(LAYERS[library]) or 'no textmill package'}, "
        f"but:\n{_listed(outside)}"
    )


# ---------------------------------------------------------------------------------------------
# 6. Every service has the same shape
# ---------------------------------------------------------------------------------------------


def _module_level_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions defined at module level, including under `if`/`try`/`with`, not nested ones."""
    found = []
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node)
        elif not isinstance(node, ast.ClassDef):
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                pending.extend(getattr(node, field, []) or [])
    return found


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_app_module_defines_create_app(service):
    # Given the service's app.py
    app = SERVICES[service] / "app.py"
    assert app.is_file(), f"{app.relative_to(ROOT)} is missing"
    # When its module-level functions are read
    names = {f.name for f in _module_level_functions(ast.parse(app.read_text(encoding="utf-8")))}
    # Then create_app is one of them
    assert "create_app" in names, f"{app.relative_to(ROOT)} defines no create_app"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_runs_as_a_module(service):
    # Given the service's package
    # When it is looked for a __main__.py
    main = SERVICES[service] / "__main__.py"
    # Then it has one
    assert main.is_file(), f"{main.relative_to(ROOT)} is missing"


@pytest.mark.parametrize("service", WORKING_SERVICES)
def test_a_working_service_has_handlers_a_domain_and_adapters(service):
    # Given a service with work to do (the estimator joins once it has a handlers.py)
    package = SERVICES[service]
    # When its parts are looked for
    missing = [
        part
        for part, present in (
            ("handlers.py", (package / "handlers.py").is_file()),
            ("domain/", (package / "domain" / "__init__.py").is_file()),
            ("adapters/", (package / "adapters" / "__init__.py").is_file()),
        )
        if not present
    ]
    # Then handlers.py, the domain package and the adapters package are all there
    assert not missing, f"{package.relative_to(ROOT)} lacks {', '.join(missing)}"


def test_the_gateway_keeps_its_routes_in_a_package():
    # Given the gateway's package
    # When it is looked for a routes package
    routes = SERVICES["gateway"] / "routes" / "__init__.py"
    # Then there is one
    assert routes.is_file(), f"{routes.parent.relative_to(ROOT)}/ is not a package"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_service_app_module_only_composes(service):
    # Given the service's app.py
    app = SERVICES[service] / "app.py"
    # When its module-level functions are read (those nested in create_app do not count)
    functions = _module_level_functions(ast.parse(app.read_text(encoding="utf-8")))
    # Then create_app is the only one
    others = [f"{f.name} (line {f.lineno})" for f in functions if f.name != "create_app"]
    assert not others, f"{app.relative_to(ROOT)} defines more than create_app: {others}"


# ---------------------------------------------------------------------------------------------
# 7. Module names say one thing
# ---------------------------------------------------------------------------------------------


def _module_names(directory: Path) -> Iterator[tuple[str, Path]]:
    """(basename, path) of every module and subpackage below a package, `__init__` aside."""
    for path in _source_files(directory):
        if path.name == "__init__.py":
            if path.parent != directory:
                yield path.parent.name, path.parent
        else:
            yield path.stem, path


def test_no_module_name_is_shared_between_the_libraries():
    # Given every module (and subpackage) of the libraries
    seen: dict[str, list[Path]] = defaultdict(list)
    for directory in LIBRARIES.values():
        for name, path in _module_names(directory):
            seen[name].append(path)
    # When the names used more than once are picked
    shared = {name: paths for name, paths in sorted(seen.items()) if len(paths) > 1}
    # Then there are none
    assert not shared, "module names used more than once in the libraries:\n" + "\n".join(
        f"  {name}: {', '.join(str(p.relative_to(ROOT)) for p in paths)}"
        for name, paths in shared.items()
    )


def test_no_module_has_a_catch_all_name():
    # Given every module (and subpackage) of every workspace package
    found = [
        path
        for directory in PACKAGES.values()
        for name, path in _module_names(directory)
        if name in CATCH_ALL_NAMES
    ]
    # When the ones named runs, utils, helpers, misc or common are picked
    # Then there are none
    assert not found, f"modules with a name that says nothing ({sorted(CATCH_ALL_NAMES)}):\n" + (
        "\n".join(f"  {p.relative_to(ROOT)}" for p in found)
    )
