"""`dia3 dev check` holds on the kit and fails, in pt-BR, on each convention broken on purpose;
`dia3 dev new` writes a step that only needs its content (and its corpus) to pass."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import REPO

PARTS = ["exercises", "solutions", "checks", "GUIA_APRENDIZADO.md", "GUIA_INSTRUTOR.md", "README.md", "template.py"]


@pytest.fixture
def kit(tmp_path):
    for part in PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / part)
    (tmp_path / "tests").mkdir()
    for name in ("corpus.py", "corpus_exercises.py"):
        shutil.copy(REPO / "tests" / name, tmp_path / "tests" / name)
    return tmp_path


def dev(*args: str, root) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dia3.cli", "dev", *args, "--raiz", str(root)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


def test_the_kit_keeps_its_conventions():
    proc = subprocess.run([sys.executable, "-m", "dia3.cli", "dev", "check"], cwd=REPO, capture_output=True, text=True,
                          encoding="utf-8", timeout=60)
    assert proc.returncode == 0, proc.stdout


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = {
    "dica_faltando": (lambda k: _edit(k / "exercises" / "exercicios.toml", '  "Um async generator é', '  # "Um async generator é'),
                      "3 dicas"),
    "arquivo_desatualizado": (lambda k: _edit(k / "exercises" / "ex01_geradores.py", "# TODO 1:", "# TODO 1 (editado à mão):"),
                              "desatualizado"),
    "secao_inexistente": (lambda k: _edit(k / "exercises" / "exercicios.toml", 'secao = "3.1"', 'secao = "3.9"'), "§3.9"),
    "id_fora_do_prefixo": (lambda k: _edit(k / "checks" / "test_ex01_geradores.py", '"ex01.collect"', '"collect"'),
                           "deveria começar com 'ex01.'"),
    "todo_que_nao_existe": (lambda k: _edit(k / "checks" / "test_ex01_geradores.py", '"ex01.collect", todo=2', '"ex01.collect", todo=7'),
                            "TODO 7"),
    "assert_numa_verificacao": (lambda k: _edit(k / "checks" / "test_ex02_formato_sse.py", "def test_done(exercise):\n",
                                                "def test_done(exercise):\n    assert exercise\n"), "`assert`"),
    "fail_sem_dica": (lambda k: _edit(k / "checks" / "test_ex01_geradores.py", ', hint="use range(1, n + 1).", section="2")', ', section="2")'),
                      "fail(...) sem hint"),
    "plano_errado": (lambda k: _edit(k / "exercises" / "exercicios.toml", "minutos = 20", "minutos = 25"), "160"),
    "sem_solucao": (lambda k: (k / "solutions" / "ex04_streaming_response.py").unlink(), "falta a solução"),
    "tabela_do_guia": (lambda k: _edit(k / "GUIA_APRENDIZADO.md", "gerador de tokens falso | §1 |", "gerador de tokens falso | §2 |"),
                       "§10"),
    "lista_do_readme": (lambda k: _edit(k / "exercises" / "exercicios.toml", 'nome = "ex07_chat"\n', 'nome = "ex07_chat"\nbonus = true\n'),
                        "README.md"),
    "peso_de_quem_nao_existe": (lambda k: _edit(k / "exercises" / "exercicios.toml", 'secao = "2"\n', 'secao = "2"\npesos = { "ex01.nada" = 2 }\n'),
                                "ex01.nada"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_broken_convention_is_named(kit, case):
    breaks, said = BROKEN[case]
    breaks(kit)
    proc = dev("check", root=kit)
    assert proc.returncode == 1
    assert said in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_dev_new_writes_a_step_that_needs_only_its_content(kit):
    proc = dev("new", "ex12_retentativas", "--titulo", "Retentativa com espera", root=kit)
    assert proc.returncode == 0, proc.stderr
    for path in ("solutions/ex12_retentativas.py", "checks/test_ex12_retentativas.py", "exercises/ex12_retentativas.py"):
        assert (kit / path).exists(), path
    assert 'nome = "ex12_retentativas"' in (kit / "exercises" / "exercicios.toml").read_text(encoding="utf-8")
    check = dev("check", root=kit)
    # everything is in place but the corpus: the one thing a contributor must still write by hand
    assert check.returncode == 1 and check.stdout.count("✗") == 1 and "corpus" in check.stdout, check.stdout
    assert dev("new", "ex12_outro", root=kit).returncode == 2  # the step number is taken
