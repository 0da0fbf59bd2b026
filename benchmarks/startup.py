"""Start-up cost of the AGENTWRAP_AUTO_INSTRUMENT hook (the agentwrap-auto.pth line).

    python -m benchmarks.startup [runs]

Prints the median wall time of ``python -c pass`` with the variable unset and set (alternated,
so machine load affects both alike), and the cost of executing the .pth line itself when unset.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
import time
import timeit
from pathlib import Path


def _interpreter_ms(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTWRAP_", "OTEL_"))}
    unset, on = [], []
    for _ in range(runs):
        unset.append(_interpreter_ms(base))
        on.append(_interpreter_ms({**base, "AGENTWRAP_AUTO_INSTRUMENT": "1"}))
    line = (Path(sysconfig.get_paths()["purelib"]) / "agentwrap-auto.pth").read_text().strip()
    code = compile(line, "agentwrap-auto.pth", "exec")
    os.environ.pop("AGENTWRAP_AUTO_INSTRUMENT", None)
    loops = 100_000
    per_line_us = timeit.timeit(lambda: exec(code, {}), number=loops) / loops * 1e6
    print(
        f"python -c pass, median of {runs}: unset {statistics.median(unset):.1f} ms, "
        f"AGENTWRAP_AUTO_INSTRUMENT=1 {statistics.median(on):.1f} ms "
        f"(+{statistics.median(on) - statistics.median(unset):.1f} ms)"
    )
    print(f"the .pth line with the variable unset: {per_line_us:.2f} us")


if __name__ == "__main__":
    main()
