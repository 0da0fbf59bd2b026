"""Every registered patch module keeps the provider kit's contract (see agentwrap.provider).

It is a PatchModule (and, where it has routes, a WireFormat) with the signatures the kit's
protocols declare; importing it imports no SDK; and patches/ talks to the core only through
the kit: no other agentwrap module, no OpenTelemetry, no attribute name written as a literal,
no private member of a kit object.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import agentwrap.patches
import pytest
from agentwrap.patches import PROVIDERS

from agentwrap import _semconv
from agentwrap.provider import PatchModule, WireFormat

PATCHES = Path(agentwrap.patches.__file__).parent
SOURCES = sorted(PATCHES.glob("*.py"))


def _positional(function: object) -> list[str]:
    """The names of the parameters a caller must pass (``self`` of a protocol method left out)."""
    parameters = list(inspect.signature(function).parameters.values())  # type: ignore[arg-type]
    if parameters and parameters[0].name == "self":
        parameters = parameters[1:]
    return [p.name for p in parameters if p.default is inspect.Parameter.empty]


def _check_members(module: object, protocol: type) -> None:
    for name, member in vars(protocol).items():
        if callable(member) and not name.startswith("_"):
            assert callable(getattr(module, name)), name
            assert len(_positional(getattr(module, name))) == len(_positional(member)), name


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_each_registered_module_is_a_patch_module(provider):
    sdk, module_name = PROVIDERS[provider]
    module = importlib.import_module(module_name)
    assert isinstance(module, PatchModule)
    _check_members(module, PatchModule)
    assert re.fullmatch(r">=\d+(\.\d+)*", module.SUPPORTED)
    assert {"SUPPORTED", "install", "uninstall"} <= set(module.__all__)
    if hasattr(module, "route") or hasattr(module, "sent_by_sdk"):
        assert isinstance(module, WireFormat)
        _check_members(module, WireFormat)
        assert module.route("GET", "/not/an/llm/api") is None


def test_importing_the_patch_modules_imports_no_sdk():
    sdks = sorted({sdk for sdk, _ in PROVIDERS.values()})
    modules = [module for _, module in PROVIDERS.values()]
    script = (
        "import sys, importlib, agentwrap.provider\n"
        f"before = {{name for name in {sdks!r} if name in sys.modules}}\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(name for name in {sdks!r} if name in sys.modules and name not in before))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


# Attribute names (and gen_ai.provider.name values) of _semconv: patches write them by name.
NAMES = {value for name, value in vars(_semconv).items() if name.isupper() and "." in str(value)}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_patches_use_the_core_only_through_the_kit(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            targets = [node.module or ""]
        else:
            targets = []
        for target in targets:
            assert not target.startswith("opentelemetry"), f"{path.name} imports {target}"
            assert not target.startswith("agentwrap") or target == "agentwrap.provider", (
                f"{path.name} imports {target}: take it from agentwrap.provider"
            )
        if isinstance(node, ast.Attribute) and node.attr.startswith("_self_"):  # wrapt proxy state
            owner = node.value
            assert isinstance(owner, ast.Name) and owner.id == "self", (
                f"{path.name} uses another proxy's private {node.attr}"
            )
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            literal = node.value
            assert literal not in NAMES and not literal.startswith("gen_ai."), (
                f"{path.name} writes {literal!r}: use agentwrap.provider.semconv"
            )
