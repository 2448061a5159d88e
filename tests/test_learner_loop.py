"""The learner's loop as a newcomer lives it: hint, progress, reset (with confirmation and backup),
watch (file events and polling), and a whole session on a fresh clone."""

from __future__ import annotations

import os
import pty
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, run_dia3
from dia3 import scaffold

EX01 = "exercises/ex01_geradores.py"


def _learner_copy(tmp_path: Path) -> Path:
    """A learner's working copy: the generated files, as committed."""
    for path, text in scaffold.generate().items():
        target = tmp_path / path.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return tmp_path


def test_hints_go_one_level_further_each_time_and_are_remembered(tmp_path):
    root = _learner_copy(tmp_path)
    outs = [run_dia3("hint", "ex01", "--target", str(root)).stdout for _ in range(4)]
    assert "Dica 1/3 (empurrão)" in outs[0] and "Dica 2/3 (caminho)" in outs[1]
    assert "Dica 3/3 (quase a solução)" in outs[2] and "Dica 3/3" in outs[3]
    assert "GUIA_APRENDIZADO.md §2" in outs[0]
    again = run_dia3("hint", "1", "--level", "1", "--target", str(root))
    assert again.returncode == 0 and "Dica 1/3" in again.stdout
    assert "💡3" in run_dia3("progress", "--target", str(root)).stdout
    assert run_dia3("hint", "ex99").returncode == 2


def test_reset_restores_the_scaffold_and_keeps_a_backup(tmp_path):
    root = _learner_copy(tmp_path)
    mine = root / EX01
    mine.write_text("# meu trabalho\n", encoding="utf-8")
    refused = run_dia3("reset", "ex01", "--target", str(root))  # no terminal, no --sim: nothing changes
    assert refused.returncode == 1 and mine.read_text(encoding="utf-8") == "# meu trabalho\n"
    done = run_dia3("reset", "ex01", "--sim", "--target", str(root))
    assert done.returncode == 0, done.stderr
    assert mine.read_text(encoding="utf-8") == scaffold.learner_text(EX01)
    backups = list((root / ".dia3" / "backup").glob("ex01_geradores-*.py"))
    assert [b.read_text(encoding="utf-8") for b in backups] == ["# meu trabalho\n"]


def test_reset_asks_on_a_terminal(tmp_path):
    root = _learner_copy(tmp_path)
    (root / EX01).write_text("# meu\n", encoding="utf-8")
    for answer, changed in (("n", False), ("s", True)):
        controller, terminal = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "dia3.cli", "reset", "ex01", "--target", str(root)],
                                stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)
        os.close(terminal)
        os.write(controller, f"{answer}\n".encode())
        out, _ = proc.communicate(timeout=60)
        os.close(controller)
        assert "[s/N]" in out.decode()
        assert ((root / EX01).read_text(encoding="utf-8") != "# meu\n") is changed


def test_reset_level_switches_every_file_and_is_remembered(tmp_path):
    root = _learner_copy(tmp_path)
    proc = run_dia3("reset", "--todos", "--level", "3", "--sim", "--target", str(root))
    assert proc.returncode == 0, proc.stderr
    assert (root / EX01).read_text(encoding="utf-8") == scaffold.learner_text(EX01, level=3)
    assert (root / "template.py").read_text(encoding="utf-8") == scaffold.learner_text("template.py", level=3)
    (root / EX01).unlink()
    run_dia3("reset", "ex01", "--sim", "--target", str(root))  # no --level: the class's level
    assert (root / EX01).read_text(encoding="utf-8") == scaffold.learner_text(EX01, level=3)
    assert "nível de scaffolding 3" in run_dia3("progress", "--target", str(root)).stdout


def test_reset_starts_the_step_over_in_the_progress(tmp_path):
    root = _learner_copy(tmp_path)
    shutil.copy(REPO / "solutions" / "ex01_geradores.py", root / EX01)
    assert run_dia3("check", "ex01", "--target", str(root)).returncode == 0
    assert "1/8 passos obrigatórios" in run_dia3("progress", "--target", str(root)).stdout
    assert run_dia3("reset", "ex01", "--sim", "--target", str(root)).returncode == 0
    progress = run_dia3("progress", "--target", str(root)).stdout
    assert "0/8 passos obrigatórios" in progress and "✓ concluído" not in progress
    assert "Próximo (~20 min): abra exercises/ex01_geradores.py" in progress


def test_a_copied_folder_is_the_one_checked(tmp_path):
    """`.venv/bin/dia3` from a copy of the kit: the package is installed editable from the first
    clone, but the checks run on the folder the learner is in — and the CLI says which."""
    copy = _learner_copy(tmp_path / "copia")
    shutil.copy(REPO / "solutions" / "ex01_geradores.py", copy / EX01)
    script = Path(sys.executable).with_name("dia3")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from dia3.cli import main; raise SystemExit(main())"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
    env["PYTHONIOENCODING"] = "utf-8"
    work = copy / "exercises"  # from a subfolder, too

    def dia3(*args):
        return subprocess.run([*command, *args], cwd=work, env=env, capture_output=True, text=True,
                              encoding="utf-8", timeout=300, stdin=subprocess.DEVNULL)

    checked = dia3("check", "ex01")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"em {copy.resolve()}" in checked.stdout
    assert f"usando a pasta em que você está, {copy.resolve()}" in checked.stderr
    assert "✓ concluído" in dia3("progress").stdout
    assert (copy / ".dia3" / "progresso.json").exists()
    (copy / EX01).write_text("# meu\n", encoding="utf-8")
    assert dia3("reset", "ex01", "--sim").returncode == 0
    assert (copy / EX01).read_text(encoding="utf-8") == scaffold.learner_text(EX01)


class _Lines:
    """Read a process' output in a thread; wait (bounded) for a line that says something."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.seen: list[str] = []
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

    def _pump(self, proc) -> None:
        for line in proc.stdout:
            self._q.put(line)
        self._q.put(None)

    def wait_for(self, text: str, timeout: float = 90) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._q.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                return False
            self.seen.append(line)
            if text in line:
                return True
        return False


@pytest.mark.parametrize("polling", [False, True], ids=["eventos", "polling"])
def test_watch_reruns_the_checks_when_the_file_is_saved(tmp_path, polling):
    root = _learner_copy(tmp_path)
    cmd = [sys.executable, "-m", "dia3.cli", "watch", "ex01", "--target", str(root), "--max-runs", "2"]
    if polling:
        cmd += ["--polling", "--interval", "0.2"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=env)
    try:
        lines = _Lines(proc)
        assert lines.wait_for("0/6 verificações passaram"), "".join(lines.seen)
        assert lines.wait_for("Observando"), "".join(lines.seen)
        assert lines.wait_for("Observando", timeout=1) is False  # settled: nothing re-runs by itself
        shutil.copy(REPO / "solutions" / "ex01_geradores.py", root / EX01)  # the learner saves a fix
        assert lines.wait_for("6/6 verificações passaram"), "".join(lines.seen)
        assert ("polling" in "".join(lines.seen)) is polling
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()


def test_a_newcomer_session_on_a_fresh_clone(tmp_path):
    clone = tmp_path / "dia3"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    for path, text in scaffold.generate().items():  # the clone has the committed files; so must the tree under test
        assert (clone / path.relative_to(REPO)).read_text(encoding="utf-8") == text, "faça commit dos arquivos gerados"

    def dia3(*args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
        return subprocess.run([sys.executable, "-m", "dia3.cli", *args], cwd=clone, capture_output=True, text=True,
                              encoding="utf-8", timeout=300, env={**env, "PYTHONIOENCODING": "utf-8"})

    first = dia3("check")
    assert first.returncode == 1
    assert "Falta fazer: TODO 1 em count()" in first.stdout  # the first step's first TODO, in full
    assert "0/12 passos completos" in first.stdout
    assert "dia3 hint ex01" in first.stdout
    shutil.copy(clone / "solutions" / "ex01_geradores.py", clone / EX01)  # the learner solves ex01
    second = dia3("check", "ex01")
    assert second.returncode == 0, second.stdout
    assert "6/6 verificações passaram" in second.stdout
    progress = dia3("progress").stdout
    assert "ex01_geradores" in progress and "✓ concluído" in progress
    assert "1/8 passos obrigatórios" in progress
    assert "Próximo (~15 min): abra exercises/ex02_formato_sse.py" in progress
    assert not (clone / "solutions" / ".dia3").exists()


def test_ctrl_c_in_the_middle_of_a_check_leaves_watch(tmp_path):
    """pytest turns Ctrl+C into "interrupted" and returns: the watcher must leave then too, not go
    back to watching (a learner would have to press it twice)."""
    root = _learner_copy(tmp_path)
    source = (REPO / "solutions" / "ex01_geradores.py").read_text(encoding="utf-8")
    stuck = source.replace("        await asyncio.sleep(delay)\n", "        await asyncio.Event().wait()\n", 1)  # checks wait seconds
    assert stuck != source
    (root / EX01).write_text(stuck, encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "dia3.cli", "watch", "ex01", "--target", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=env)
    try:
        lines = _Lines(proc)
        assert lines.wait_for("corrigindo"), "".join(lines.seen)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, "".join(lines.seen)
        assert lines.wait_for("Até mais!", timeout=5), "".join(lines.seen)
        assert "Observando" not in "".join(lines.seen)
    finally:
        proc.kill()
