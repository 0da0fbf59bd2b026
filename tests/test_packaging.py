"""The card's top-level patches/ folder installs as agentwrap.patches, never as `patches`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, sys
import agentwrap, agentwrap.patches.openai
print(agentwrap.__file__)
print(agentwrap.patches.openai.__file__)
try:
    import patches
except ImportError:
    print("no top-level patches")
else:
    print("top-level patches at", patches.__file__)
"""


def _probe(cwd: Path, extra_path: str | None = None) -> list[str]:
    env = {"PATH": "/usr/bin:/bin"}
    if extra_path:
        env["PYTHONPATH"] = extra_path
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_editable_install_maps_patches(tmp_path):
    package, patch, verdict = _probe(tmp_path)
    assert Path(package).parent == ROOT / "agentwrap"
    assert Path(patch) == ROOT / "patches" / "openai.py"
    assert verdict == "no top-level patches"


def test_wheel_puts_patches_under_agentwrap(tmp_path):
    out = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [wheel] = out.glob("agentwrap-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "agentwrap/patches/openai.py" in names
    assert "agentwrap/py.typed" in names
    assert not any(n.startswith("patches/") for n in names)
    for init in (ROOT / "agentwrap").rglob("__init__.py"):  # every subpackage ships
        assert init.relative_to(ROOT).as_posix() in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    package, patch, verdict = _probe(tmp_path, extra_path=str(site))
    assert Path(package) == site / "agentwrap" / "__init__.py"
    assert Path(patch) == site / "agentwrap" / "patches" / "openai.py"
    assert verdict == "no top-level patches"
