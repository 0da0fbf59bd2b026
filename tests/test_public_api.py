"""The public surface is deliberate: __all__ lists exactly the public names, sorted."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import types
import typing

import pytest

import agentwrap
import agentwrap.provider
import agentwrap.records
import agentwrap.testing


def _public(module) -> list[str]:
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("agentwrap")
    )


def test_top_level_all_is_sorted_and_complete():
    exported = [n for n in agentwrap.__all__ if n != "__version__"]
    assert exported == sorted(exported)
    assert set(_public(agentwrap)) <= set(agentwrap.__all__)
    for name in agentwrap.__all__:
        assert hasattr(agentwrap, name)


def test_submodule_all_lists():
    for module in (agentwrap.records, agentwrap.provider, agentwrap.testing):
        assert list(module.__all__) == sorted(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name)


# Every public package (found by walking agentwrap/, so a new one is checked too), the patch
# registry, and the records every provider builds: each ``__all__`` is exactly the sorted
# public names of its namespace, as httpx's test_exported_members checks.
NAMESPACES = ("agentwrap.patches", "agentwrap.records")
INCLUDED_PRIVATE = ("__version__",)


def _public_namespaces() -> list[str]:
    found = ["agentwrap", *NAMESPACES]
    for info in pkgutil.walk_packages(agentwrap.__path__, "agentwrap."):
        if info.ispkg and not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return sorted(found)


def _foreign_imports(tree: ast.Module) -> set[str]:
    """Names a module binds by importing from outside agentwrap (typing, os, the OTel SDK)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not (
            node.level or (node.module or "").startswith("agentwrap")
        ):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _public_names(module) -> list[str]:
    foreign = _foreign_imports(ast.parse(inspect.getsource(module))) | {"TYPE_CHECKING"}
    names = []
    for name in dir(module):  # dir(): lazily imported names (PEP 562 __dir__) count too
        if name.startswith("_") and name not in INCLUDED_PRIVATE or name in foreign:
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType) and value.__name__ == f"{module.__name__}.{name}":
            continue  # a submodule the import system set on its package
        names.append(name)
    return sorted(names)


@pytest.mark.parametrize("name", _public_namespaces())
def test_all_is_exactly_the_sorted_public_names(name):
    module = importlib.import_module(name)
    assert list(module.__all__) == _public_names(module)


@pytest.mark.parametrize("name", _public_namespaces())
def test_exported_classes_and_functions_have_docstrings(name):
    module = importlib.import_module(name)
    for exported in module.__all__:
        value = getattr(module, exported)
        if typing.get_origin(value) is not None:
            continue  # a type alias (Callable[...]): Python 3.10 calls it a class, it has no __doc__
        if inspect.isclass(value) or inspect.isfunction(value):
            doc = (value.__doc__ or "").strip()
            assert doc and not doc.startswith(f"{value.__name__}("), f"{name}.{exported}"  # not dataclass's


def test_the_testing_helpers_are_public():
    from agentwrap.sinks import ListSink
    from agentwrap.testing import Captured, capture
    from agentwrap.testing import ListSink as TestingListSink

    assert TestingListSink is ListSink
    with capture() as captured:
        assert isinstance(captured, Captured) and isinstance(captured.sink, ListSink)
