"""Ships ``agentwrap-auto.pth`` into site-packages (the rest of the metadata is in pyproject.toml).

The .pth file is the start-up hook of ``AGENTWRAP_AUTO_INSTRUMENT=1``: Python's ``site``
module runs its one line in every interpreter start, and with the variable unset that line
only reads the variable. A wheel's root is installed into purelib, so the file is copied to
the build root; an editable wheel (PEP 660) gets it too, beside setuptools' own .pth.
"""

from __future__ import annotations

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "agentwrap-auto.pth"
HERE = os.path.dirname(os.path.abspath(__file__))


class build_py_with_pth(build_py):  # noqa: N801 - setuptools command naming
    def run(self) -> None:
        super().run()
        targets = [self.build_lib]
        if getattr(self, "editable_mode", False):
            # editable_wheel writes the unpacked wheel from install_lib, not build_lib.
            targets = [self.get_finalized_command("install").install_lib]
        for target in targets:
            self.copy_file(os.path.join(HERE, PTH), os.path.join(target, PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": build_py_with_pth})
