"""A class of submissions for `dia3 grade` — the grader's test fixture, built from the solutions and
the visible corpus (so it never drifts from them and nothing is copied by hand).

    python tests/turma.py /tmp/turma     # build it to try `dia3 grade /tmp/turma` by hand

Three correct submissions (one written differently, one delivered as a .zip), five with different
realistic mistakes, one that hangs forever (a retry loop that swallows even the checks' timeout),
one with a syntax error, one that calls os._exit at import, a noisy one that prints 10 MB and
deletes its own files, and one that brings its own checks/ (which say everything passed).
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import ALTERNATIVES, MISTAKES, apply  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SOLUTION = (REPO / "solutions" / "template.py").read_text(encoding="utf-8")
# mistakes that fail fast (framing mistakes like the literal "\\n" make every stream wait for its read
# timeout: right for the class, slow for CI)
WITH_MISTAKES = ["eventos_vazios", "done_ausente", "jwt_sem_require_exp", "stream_ignorado", "modelo_ignorado"]

HANG = '''import time

while True:  # "tenta até conseguir": um laço que engole tudo, até o tempo limite das verificações
    try:
        time.sleep(1)
    except BaseException:
        pass
'''
NOISY = '''import os, sys

print("x" * 10_000_000)  # 10 MB na saída
os.remove(__file__)  # e apaga o próprio arquivo (só a cópia dele some)
'''

FUTURE = "from __future__ import annotations\n"
# The grader takes a class's submissions by name. The one that waits out the import's time limit is
# named to come first, so that its wait overlaps the other lane's work: last (as "trava_..."), it
# ended the batch alone, with a core idle for its whole 8 s.
HUNG = "_trava_para_sempre"


def _after_future(code: str) -> str:
    """Code run at import, right after the solution's `from __future__` line (which must come first)."""
    head, tail = SOLUTION.split(FUTURE, 1)
    return head + FUTURE + code + tail


# what `dia3 grade` must say about each one: (status, score is 100 / between / 0). The exercises
# of every submission are right, so a broken template.py still scores the exercises' points.
EXPECTED = {
    "correta_1": ("corrigido", "100"),
    "correta_2_sse_nativo": ("corrigido", "100"),
    "correta_3_zip": ("corrigido", "100"),
    **{f"erro_{m}": ("corrigido", "parcial") for m in WITH_MISTAKES},
    # the template's subject hangs or dies at import; the exercises, in subjects of their own, still count
    HUNG: ("nao_importa", "parcial"),
    "erro_de_sintaxe": ("nao_importa", "parcial"),
    "os_exit_no_import": ("nao_importa", "parcial"),
    "barulhenta": ("corrigido", "parcial"),
    # an untouched app and a checks/ of its own in which everything passes: the kit's checks grade it
    "espertinho": ("corrigido", "parcial"),
}
OWN_CHECKS = "def test_tudo():\n    assert True\n"


def _submission(folder: Path, template: str) -> None:
    (folder / "exercises").mkdir(parents=True)
    for path in (REPO / "solutions").glob("ex*.py"):
        shutil.copy(path, folder / "exercises" / path.name)
    (folder / "template.py").write_text(template, encoding="utf-8")


def build(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    _submission(dest / "correta_1", SOLUTION)
    native = next(v for v in ALTERNATIVES if v.id == "fastapi_eventsourceresponse")
    _submission(dest / "correta_2_sse_nativo", apply(SOLUTION, native))
    staging = dest / ".zip-staging" / "correta_3_zip"
    _submission(staging, SOLUTION)
    with zipfile.ZipFile(dest / "correta_3_zip.zip", "w") as archive:
        for path in staging.rglob("*"):
            archive.write(path, path.relative_to(staging.parent).as_posix())
    shutil.rmtree(dest / ".zip-staging")
    by_id = {m.id: m for m in MISTAKES}
    for mistake in WITH_MISTAKES:
        _submission(dest / f"erro_{mistake}", apply(SOLUTION, by_id[mistake]))
    _submission(dest / HUNG, _after_future(HANG))
    _submission(dest / "erro_de_sintaxe", SOLUTION.replace("def format_sse(", "def format_sse(:", 1))
    _submission(dest / "os_exit_no_import", _after_future("import os\nos._exit(3)\n"))
    _submission(dest / "barulhenta", NOISY)
    _submission(dest / "espertinho", "from fastapi import FastAPI\napp = FastAPI()\n")
    (dest / "espertinho" / "checks").mkdir()
    for step in ("template", "ex01"):
        (dest / "espertinho" / "checks" / f"test_{step}.py").write_text(OWN_CHECKS, encoding="utf-8")
    return dest


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
