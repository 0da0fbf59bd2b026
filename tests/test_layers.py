"""The layers hold: no import cycle, the core knows no SDK, one composition root, small modules.

The imports are read with ``ast`` from the source tree, so every import counts: top-level,
function-level and the ones under ``if TYPE_CHECKING:`` alike. A package's ``__init__`` is a
module of its own here: a submodule that imports names from its package, while that package
imports the submodule, is a loop too. (That patches reach the core only through the provider
kit is checked in ``test_patch_modules.py``.)
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {"agentwrap": ROOT / "agentwrap", "agentwrap.patches": ROOT / "patches"}
SDKS = ("openai", "anthropic", "httpx", "httpx2", "google", "boto3", "botocore", "mcp", "litellm")
MAX_MODULE_LINES = 400


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of agentwrap and agentwrap.patches: dotted name -> (file, is a package)."""
    found: dict[str, tuple[Path, bool]] = {}
    for package, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found[".".join([package, *parts])] = (path, is_package)
    return found


MODULES = _modules()


def _targets(name: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names one import statement reaches (a submodule when it names one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        module = ".".join([*base, *([node.module] if node.module else [])])
    else:
        module = node.module or ""
    return [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names]


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in MODULES.items():
        reached: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                reached.update(_targets(name, is_package, node))
        graph[name] = reached
    return graph


IMPORTS = _imports()


def _internal(name: str) -> set[str]:
    return {target for target in IMPORTS[name] if target in MODULES and target != name}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _is_sdk(target: str) -> bool:
    return target.split(".")[0] in SDKS


def test_the_cycle_finder_finds_loops_of_any_length():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": set()}
    assert sorted(_cycles(edges)) == [["a", "b", "c"], ["d", "e"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_reader_counts_function_level_and_type_checking_imports():
    # agentwrap/__init__ imports its submodules only under TYPE_CHECKING and lazily by name.
    assert "agentwrap._errors" in _internal("agentwrap")


def test_no_import_cycles():
    assert _cycles({name: _internal(name) for name in MODULES}) == []


def test_the_core_imports_no_sdk():
    offenders = {
        name: sorted(t for t in IMPORTS[name] if _is_sdk(t))
        for name in MODULES
        if not name.startswith(("agentwrap.patches", *SDK_USERS))
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_core_never_imports_patches():
    offenders = [
        name
        for name in MODULES
        if not name.startswith("agentwrap.patches")
        and any(t.startswith("agentwrap.patches") for t in _internal(name))
    ]
    # The composition root installs the patches; nothing else of the core knows them.
    assert [name for name in offenders if name not in ROOT_MODULES] == []


def test_nothing_below_the_composition_root_imports_it():
    importers = sorted(
        name for name in MODULES if name not in ENTRY_MODULES and _internal(name) & set(ROOT_MODULES)
    )
    assert importers == []


def test_no_module_is_over_the_size_limit():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, (path, _) in MODULES.items()}
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


# The composition root, and the public entry points allowed to call it.
ROOT_MODULES = ("agentwrap._setup",)
ENTRY_MODULES = (*ROOT_MODULES, "agentwrap", "agentwrap._instrument", "agentwrap._autoinstrument")
# Not the core but programs built on it: the demo's agent and the test corpus drive the real SDKs
# the way an application does.
SDK_USERS = ("agentwrap.cli", "agentwrap.demo", "agentwrap.testing")
