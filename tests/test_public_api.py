"""The public surface is deliberate: __all__ lists exactly the public names, sorted."""

from __future__ import annotations

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
