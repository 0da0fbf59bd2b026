"""Which SDK patches exist: ``agentwrap.patches.PROVIDERS``, read without importing any SDK.

The patches live in the source tree's top-level ``patches/`` folder and are installed as
``agentwrap.patches``. A program run from inside a source tree that is not installed in
editable mode imports the tree's ``agentwrap/`` folder (the current directory comes first on
``sys.path``) instead of the installed package, and there ``agentwrap.patches`` does not
exist. agentwrap then fails open: one warning line says why nothing is patched, and the
program runs uninstrumented.
"""

from __future__ import annotations

import importlib
import os

__all__ = ["patch_table"]

_warned = False


def patch_table() -> dict[str, tuple[str, str]]:
    """Provider name -> (SDK import name, patch module); empty if the patches cannot be imported."""
    try:
        module = importlib.import_module("agentwrap.patches")
    except ModuleNotFoundError as exc:
        if exc.name != "agentwrap.patches":
            raise
        _warn_once()
        return {}
    table: dict[str, tuple[str, str]] = module.PROVIDERS
    return table


def _warn_once() -> None:
    global _warned
    if _warned:
        return
    _warned = True
    from agentwrap._log import log

    package = os.path.dirname(os.path.abspath(__file__))
    source_tree = os.path.isfile(os.path.join(os.path.dirname(package), "patches", "__init__.py"))
    why = (
        "a source tree, whose patches/ folder is agentwrap.patches only once installed: run from "
        "another directory, or install the tree with `pip install -e .`"
        if source_tree
        else "an incomplete installation: reinstall agentwrap"
    )
    log.warning(
        "agentwrap: agentwrap.patches cannot be imported (agentwrap was imported from %s, %s); "
        "the program runs uninstrumented",
        package,
        why,
    )
