"""Side-by-side timings of `dia3 check`, each next to its floor (the bare imports it cannot avoid).

    python benchmarks/medir.py            # ex01 and the capstone, 3 alternating runs each
    python benchmarks/medir.py --turma 20 # also: `dia3 grade` of 20 copies of the day's solutions, -j 2

Runs alternate (floor, check, floor, check, ...) so a busy moment of the machine hits both sides;
the table shows medians and the ratio. Numbers go in the README, never in timed asserts.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}

PAIRS = [
    ("dia3 check ex01 --target solutions", [sys.executable, "-m", "dia3.cli", "check", "ex01", "--target", "solutions"],
     "import pytest, fastapi, httpx", [sys.executable, "-c", "import pytest, fastapi, httpx"]),
    ("dia3 check template --target solutions", [sys.executable, "-m", "dia3.cli", "check", "template", "--target", "solutions"],
     "… + langchain_openai, uvicorn", [sys.executable, "-c", "import pytest, fastapi, httpx, langchain_openai, uvicorn"]),
]


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"falhou: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def grade_copies(n: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        turma = Path(tmp) / "turma"
        for i in range(n):
            folder = turma / f"aluno_{i:02d}"
            (folder / "exercises").mkdir(parents=True)
            shutil.copy(REPO / "solutions" / "template.py", folder / "template.py")
            for path in (REPO / "solutions").glob("ex*.py"):
                shutil.copy(path, folder / "exercises" / path.name)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "dia3.cli", "grade", str(turma), "--saida", str(Path(tmp) / "notas"),
                               "-j", "2"], cwd=REPO, env=ENV, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        notas = (Path(tmp) / "notas" / "notas.csv").read_text(encoding="utf-8") if proc.returncode == 0 else proc.stderr
        perfect = sum(1 for line in notas.splitlines()[1:] if line.split(",")[2] == "100.0")
        return elapsed, f"{perfect}/{n} com nota 100"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vezes", type=int, default=3)
    parser.add_argument("--turma", type=int, default=0, help="também corrige N cópias da solução do dia inteiro")
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d')} — {platform.machine()}, {os.cpu_count()} núcleos, Python {platform.python_version()}\n")
    print("| O quê | mediana | piso (só os imports) | mediana do piso | razão |")
    print("|---|---|---|---|---|")
    for label, cmd, floor_label, floor in PAIRS:
        timed(cmd)  # warm the disk cache once; not counted
        checks, floors = [], []
        for _ in range(args.vezes):
            floors.append(timed(floor))
            checks.append(timed(cmd))
        c, f = statistics.median(checks), statistics.median(floors)
        print(f"| `{label}` | {c:.2f} s | `{floor_label}` | {f:.2f} s | {c / f:.1f}× |".replace(".", ","))
    if args.turma:
        elapsed, note = grade_copies(args.turma)
        print(f"| `dia3 grade` de {args.turma} cópias do dia inteiro, `-j 2` | {elapsed:.0f} s | — | — | {note} |")


if __name__ == "__main__":
    main()
