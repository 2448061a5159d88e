"""Side-by-side timings of `dia3 check`, each next to its floor (the bare imports it cannot avoid).

    python benchmarks/medir.py            # ex01 and the capstone, 3 alternating runs each
    python benchmarks/medir.py --turma 20 # also: `dia3 grade` of 20 copies of the day's solutions, -j 2

Also `dia3 watch exNN` for ex01–ex05: the time from a save to the verdict on screen (the warm judge).

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


def watch_rechecks(step: str, saves: int) -> list[float]:
    """Seconds from a save to the verdict on screen, in `dia3 watch` (the warm judge)."""
    import queue
    import threading

    from dia3 import exercises

    found = exercises.find(step)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "exercises").mkdir()
        shutil.copy(REPO / "solutions" / "template.py", root / "template.py")
        file = root / found.learner_path
        shutil.copy(REPO / "solutions" / f"{found.name}.py", file)
        proc = subprocess.Popen([sys.executable, "-m", "dia3.cli", "watch", found.short, "--target", str(root)],
                                cwd=REPO, env={**ENV, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, encoding="utf-8")
        lines: queue.Queue = queue.Queue()

        def read() -> None:
            for line in proc.stdout:
                lines.put((time.perf_counter(), line))

        def until(text: str, timeout: float = 60) -> float:
            deadline = time.perf_counter() + timeout
            while True:
                at, line = lines.get(timeout=max(0.1, deadline - time.perf_counter()))
                if text in line:
                    return at

        threading.Thread(target=read, daemon=True).start()
        try:
            until("Observando")
            time.sleep(2)  # the watcher imports the other steps' libraries once, while the learner reads
            seconds = []
            for i in range(saves):
                source = file.read_text(encoding="utf-8")
                saved = time.perf_counter()
                file.write_text(source + f"\n# salvo {i}\n", encoding="utf-8")
                seconds.append(until("verificações passaram") - saved)
                until("Observando")
            return seconds
        finally:
            proc.kill()
            proc.wait()


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
    for step in ("ex01", "ex02", "ex03", "ex04", "ex05"):
        times = watch_rechecks(step, args.vezes)
        print(f"| `dia3 watch {step}`: do salvar ao veredito | {statistics.median(times):.2f} s | — | — | "
              f"meta ≤ 0,5 s |".replace(".", ",", 1))
    if args.turma:
        elapsed, note = grade_copies(args.turma)
        print(f"| `dia3 grade` de {args.turma} cópias do dia inteiro, `-j 2` | {elapsed:.0f} s | — | — | {note} |")


if __name__ == "__main__":
    main()
