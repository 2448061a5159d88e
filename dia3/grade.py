"""`dia3 grade`: grade a whole class — one subprocess per submission, in parallel.

Each submission (a folder, or a .zip of one) is copied to a scratch folder and checked there by
``python -m dia3.cli check --json-file ...`` with the kit's own checks (never the copy a learner may
have edited). The process gets a wall-clock budget, an environment with no API key and proxies
pointed at a closed loopback port, and its output is read through a pipe that keeps only the last
64 KB. Whatever a submission does — hang, crash the interpreter, print megabytes, delete files,
fail to parse — it gets a status and the batch goes on.

Why our own runner and not nbgrader/otter: they grade notebooks; ours are web apps that must be
served and spoken to over HTTP, which `dia3 check` already does. This module only adds isolation,
parallelism, points and reports around it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = REPO_ROOT / "checks" / "pesos.toml"
OUTPUT_TAIL = 64 * 1024

STATUS_TEXT = {
    "corrigido": "corrigido",
    "nao_importa": "não importa (erro de sintaxe ou na importação)",
    "tempo_esgotado": "tempo esgotado (travou?)",
    "processo_morreu": "o processo morreu (os._exit, falha do interpretador…)",
    "vazio": "entrega vazia (nenhum arquivo do dia)",
}


@dataclass
class Submission:
    name: str
    status: str
    score: float = 0.0  # 0–100
    points: float = 0.0
    max_points: float = 0.0
    seconds: float = 0.0
    checks: dict[str, float] = field(default_factory=dict)  # base id → fraction passed
    records: list[dict] = field(default_factory=list)
    detail: str = ""  # exit code, output tail: why the status


def load_weights(path: Path = WEIGHTS) -> dict[str, dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def checks_checksum() -> str:
    """sha256 of the checks and of the kit code that runs them: which grader produced a grade."""
    digest = hashlib.sha256()
    files = sorted([*(REPO_ROOT / "checks").glob("*"), *(REPO_ROOT / "dia3").glob("*.py")])
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def find_submissions(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".zip"))


def _prepare(source: Path, scratch: Path) -> Path:
    """Copy (or unzip) one submission into ``scratch``; the original is never touched."""
    target = scratch / "entrega"
    if source.suffix == ".zip":
        with zipfile.ZipFile(source) as archive:
            archive.extractall(target)  # zipfile drops absolute paths and '..' components
        entries = [p for p in target.iterdir() if not p.name.startswith(("__MACOSX", "."))]
        if len(entries) == 1 and entries[0].is_dir():  # a zip of the folder, not of its contents
            target = entries[0]
    else:
        shutil.copytree(source, target, symlinks=False, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".dia3"))
    return target


def _tail_reader(stream, keep: bytearray) -> None:
    for chunk in iter(lambda: stream.read(65536), b""):
        keep.extend(chunk)
        del keep[:-OUTPUT_TAIL]


def _sandbox_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_", "AZURE_", "ANTHROPIC_"))}
    dead = "http://127.0.0.1:9"  # discard port: a library that ignores NO_PROXY still goes nowhere
    env.update(HOME=str(home), HTTP_PROXY=dead, HTTPS_PROXY=dead, ALL_PROXY=dead, http_proxy=dead, https_proxy=dead,
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONIOENCODING="utf-8",
               PYTHONDONTWRITEBYTECODE="1", HF_HUB_OFFLINE="1")
    return env


_running: set[subprocess.Popen] = set()  # so an interrupted batch leaves no checker behind
_running_lock = threading.Lock()


def _kill_all() -> None:
    with _running_lock:
        for proc in list(_running):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def grade_one(source: Path, budget: float, steps: list[str]) -> Submission:
    start = time.monotonic()
    name = source.stem if source.suffix == ".zip" else source.name
    with tempfile.TemporaryDirectory(prefix="dia3-grade-") as tmp:
        scratch = Path(tmp)
        try:
            target = _prepare(source, scratch)
        except (OSError, zipfile.BadZipFile) as exc:
            return Submission(name, "vazio", detail=f"não consegui abrir a entrega: {exc}")
        if not (target / "template.py").exists() and not (target / "exercises").is_dir():
            return Submission(name, "vazio", detail="sem template.py nem exercises/")
        report = scratch / "resultado.json"
        cmd = [sys.executable, "-m", "dia3.cli", "check", *steps, "--target", str(target), "--json-file", str(report)]
        kept = bytearray()
        proc = subprocess.Popen(cmd, cwd=scratch, env=_sandbox_env(scratch), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        with _running_lock:
            _running.add(proc)
        reader = threading.Thread(target=_tail_reader, args=(proc.stdout, kept), daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: servers, children, everything
            proc.wait()
            code = None
        finally:
            with _running_lock:
                _running.discard(proc)
        reader.join(5)
        tail = kept.decode("utf-8", "replace")[-2000:]
        seconds = round(time.monotonic() - start, 1)
        if code is None:
            return Submission(name, "tempo_esgotado", seconds=seconds, detail=f"passou de {budget:g} s; fim da saída:\n{tail}")
        try:
            records = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return Submission(name, "processo_morreu", seconds=seconds, detail=f"saiu com {code} sem resultado; fim da saída:\n{tail}")
    status = "corrigido"
    if records and all("não pôde ser importado" in r["message"] for r in records if r["step"] == "template") and any(
        r["step"] == "template" for r in records
    ):
        status = "nao_importa"
    return Submission(name, status, seconds=seconds, records=records)


def score(sub: Submission, weights: dict[str, dict]) -> None:
    """Weighted sum with partial credit: a parametrized check splits its weight among its cases."""
    by_check: dict[str, list[bool]] = {}
    for r in sub.records:
        by_check.setdefault(r["id"].split("[")[0], []).append(r["passed"])
    sub.checks = {cid: (sum(v) / len(v) if v else 0.0) for cid, v in by_check.items()}
    sub.max_points = sum(w["peso"] for w in weights.values())
    sub.points = round(sum(w["peso"] * sub.checks.get(cid, 0.0) for cid, w in weights.items()), 3)
    sub.score = round(100 * sub.points / sub.max_points, 1) if sub.max_points else 0.0


def grade(folder: Path, out: Path, *, budget: float = 120, jobs: int | None = None, steps: list[str] | None = None,
          progress=None) -> list[Submission]:
    weights = load_weights()
    if steps:
        wanted = set(steps)
        weights = {cid: w for cid, w in weights.items() if w["passo"] in wanted}
    sources = find_submissions(folder)
    jobs = jobs or os.cpu_count() or 2
    results: list[Submission] = []
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_one, src, budget, steps or []): src for src in sources}
        for future in as_completed(futures):
            sub = future.result()
            score(sub, weights)
            results.append(sub)
            if progress:
                progress(len(results), len(sources), sub)
    except BaseException:  # Ctrl+C or SIGTERM: stop every checker still running, then leave
        pool.shutdown(wait=False, cancel_futures=True)
        _kill_all()
        raise
    pool.shutdown()
    results.sort(key=lambda s: s.name)
    write_reports(results, weights, out)
    return results


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------


def write_reports(results: list[Submission], weights: dict[str, dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    checksum = checks_checksum()
    ids = list(weights)
    with (out / "notas.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["aluno", "situacao", "nota", "pontos", "pontos_max", *ids])
        for s in results:
            writer.writerow([s.name, s.status, s.score, s.points, s.max_points, *(round(s.checks.get(c, 0.0), 3) for c in ids)])
    payload = {
        "checksum_das_verificacoes": checksum,
        "gerado_em": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "pesos": weights,
        "alunos": [asdict(s) for s in results],
    }
    (out / "notas.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "relatorio.md").write_text(class_report(results, weights, checksum), encoding="utf-8")


def class_report(results: list[Submission], weights: dict[str, dict], checksum: str) -> str:
    from dia3.guide import SECTIONS

    graded = [s for s in results if s.status == "corrigido"]
    lines = [
        "# Relatório da turma — Dia 3",
        "",
        f"- Entregas: {len(results)} ({', '.join(f'{n} {STATUS_TEXT[k]}' for k, n in Counter(s.status for s in results).items())})",
    ]
    if results:
        scores = sorted(s.score for s in results)
        lines.append(f"- Nota média: {sum(scores) / len(scores):.1f}; mediana: {scores[len(scores) // 2]:.1f}".replace(".", ","))
    lines += [f"- Verificações usadas: checksum sha256 `{checksum}`", ""]
    lines += ["## Onde a turma travou (da verificação mais difícil para a mais fácil)", "",
              "| Verificação | Passo | Guia | Acertos |", "|---|---|---|---|"]
    rates = {cid: (sum(s.checks.get(cid, 0.0) for s in graded) / len(graded) if graded else 0.0) for cid in weights}
    for cid in sorted(weights, key=lambda c: (rates[c], c)):
        w = weights[cid]
        sec = w["secao"]
        lines.append(f"| `{cid}` | {w['passo']} | §{sec} {SECTIONS.get(sec, '')} | {100 * rates[cid]:.0f}% |")
    messages = Counter()
    for s in graded:
        for r in s.records:
            if not r["passed"] and r["message"]:
                messages[r["message"].splitlines()[0][:160]] += 1
    lines += ["", "## As falhas mais comuns (o que reexplicar amanhã)", ""]
    for text, n in messages.most_common(10):
        lines.append(f"- **{n}×** {text}")
    problems = [s for s in results if s.status != "corrigido"]
    if problems:
        lines += ["", "## Entregas que não puderam ser corrigidas por inteiro", ""]
        for s in problems:
            first = (s.detail or next((r["message"] for r in s.records if not r["passed"]), "")).strip().splitlines()[:1]
            lines.append(f"- `{s.name}`: {STATUS_TEXT[s.status]}" + (f" — {first[0][:200]}" if first else ""))
    lines += ["", "## Notas", "", "| Aluno | Situação | Nota |", "|---|---|---|"]
    for s in results:
        lines.append(f"| {s.name} | {STATUS_TEXT[s.status]} | {s.score:.1f} |".replace(".", ","))
    return "\n".join(lines) + "\n"
