"""The kit's own suite: its wall time next to its floor on this machine — the CPU it burns, spread
over every core (what it would take if no core ever waited).

    python benchmarks/suite.py            # `python -m pytest -n 2 -q`, once
    python benchmarks/suite.py --vezes 3  # three runs: medians

Why the CPU of the whole machine (psutil.cpu_times) and not the run's rusage: the suite's work is
done by grandchildren (subjects forked from a zygote, lanes of `dia3 grade`, Jupyter kernels,
Chromium) that rusage never sees; counted that way the suite looked 35 % busy when it kept both
cores 90 % busy. Run it on an otherwise idle machine. Numbers go in the README, never in asserts.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}


def busy() -> float:
    """Seconds of CPU the whole machine has spent not idle (all cores, all processes)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def once(workers: int) -> tuple[float, float, str]:
    before, started = busy(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", str(workers), "-q", "-p", "no:cacheprovider"],
                          cwd=REPO, env=ENV, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - started, busy() - before
    summary = (proc.stdout.strip().splitlines() or ["?"])[-1]
    if proc.returncode != 0:
        sys.exit(f"a suíte falhou:\n{proc.stdout[-3000:]}")
    return wall, cpu, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vezes", type=int, default=1)
    parser.add_argument("-n", type=int, default=2, help="workers do pytest-xdist (o README usa 2)")
    args = parser.parse_args()
    cores = psutil.cpu_count() or 1
    runs = [once(args.n) for _ in range(args.vezes)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    print(f"{platform.machine()}, {cores} núcleos, Python {platform.python_version()}; {runs[-1][2]}")
    print("| O quê | mediana |")
    print("|---|---|")
    print(f"| suíte, `-n {args.n}` | {wall:.0f} s |")
    print(f"| CPU da máquina durante a suíte | {cpu:.0f} s de núcleo ({100 * cpu / (wall * cores):.0f} % dos {cores} núcleos) |")
    print(f"| piso: essa CPU dividida pelos {cores} núcleos | {cpu / cores:.0f} s |")


if __name__ == "__main__":
    main()
