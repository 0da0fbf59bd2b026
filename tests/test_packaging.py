"""The card's top-level patches/ folder installs as agentwrap.patches, never as `patches`."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this source tree, built offline."""
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [built] = out.glob("agentwrap-*.whl")
    return built


def test_wheel_puts_patches_under_agentwrap(wheel, tmp_path):
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


def _venv_with_the_wheel(tmp_path: Path, wheel: Path) -> Path:
    """A fresh venv with the wheel installed as a regular (not editable) install; its
    dependencies come from this venv's site-packages, named by a .pth line (the .pth files
    there, the editable install's finder among them, are not run)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    zipfile.ZipFile(wheel).extractall(purelib)
    (Path(purelib) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return python


def test_source_tree_shadowing_a_regular_install_fails_open(wheel, tmp_path):
    # Run from the source tree, `import agentwrap` finds the local agentwrap/ folder first, and
    # the patches (patches/, beside it) are not agentwrap.patches there: nothing can be patched.
    python = _venv_with_the_wheel(tmp_path, wheel)
    code = (
        "import logging; logging.basicConfig(format='%(name)s %(levelname)s %(message)s')\n"
        "import agentwrap; agentwrap.instrument()\n"
        "print(agentwrap.__file__, agentwrap.instrumented_providers())\n"
    )
    proc = subprocess.run(
        [str(python), "-c", code], cwd=ROOT, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(ROOT / "agentwrap" / "__init__.py"), "[]"]
    [line] = proc.stderr.splitlines()
    assert line.startswith("agentwrap WARNING agentwrap: "), line
    assert "agentwrap.patches" in line and str(ROOT / "agentwrap") in line, line
    assert "uninstrumented" in line, line
