"""The judge apart from the judged: cheating and hostile submissions against `dia3 grade` and
`dia3 check`.

Each cheat is the untouched scaffold plus a few lines a dishonest learner would add; each must
score 0 (and `dia3 check` must exit non-zero), while the honest submission in the same batch
scores 100. Each hostile submission (not dishonest, just strange) must not stop the batch or
change anyone else's result. Everything is bounded: the memory hog stops at the subjects' memory
cap, the rewriter lives at most 40 s, and the test looks for survivors by a marker in their
command line.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from conftest import LANES, REPO, run_dia3

SCAFFOLD = (REPO / "template.py").read_text(encoding="utf-8")
SOLUTION = (REPO / "solutions" / "template.py").read_text(encoding="utf-8")
FUTURE = "from __future__ import annotations\n"
SURVIVOR = "dia3-teste-sobrevivente"
pytestmark = pytest.mark.timeout(900)

REWRITER = f'''
import os, sys, time
sys.argv.append("{SURVIVOR}")
end = time.time() + 40
while time.time() < end:
    for pid in os.listdir("/proc"):
        try:
            args = open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        if b"--saida" in args:
            out = args[args.index(b"--saida") + 1].decode()
            for name in ("notas.csv", "notas.json", "relatorio.md"):
                try:
                    open(os.path.join(out, name), "w").write("aluno,nota\\ntrapaceiro,100\\n")
                except OSError:
                    pass
    time.sleep(0.2)
'''

FORGE = '''
import json as _json, os as _os
try:
    # the records file: named in the judge's argv (a one-shot `dia3 check --records`), or, under
    # `dia3 grade`, next to this copy (scratch/juiz/registros.jsonl beside scratch/entrega)
    _args = open(f"/proc/{_os.getppid()}/cmdline", "rb").read().split(b"\\0")
    if b"--records" in _args:
        _path = _args[_args.index(b"--records") + 1].decode()
    else:
        _up = _os.path.abspath(__file__)
        for _ in range(4):  # the copy may sit in a scratch folder inside entrega/
            _up = _os.path.dirname(_up)
            _path = _os.path.join(_up, "juiz", "registros.jsonl")
            if _os.path.basename(_up) != "entrega" and _os.path.exists(_os.path.dirname(_path)):
                break
    _rec = {"id": "login.ok", "step": "template", "passed": True, "message": "", "cause": None, "seconds": 0}
    with open(_path, "w") as _fh:
        _fh.write(_json.dumps({"body": _json.dumps({"seq": 1, "r": _rec}), "mac": "0" * 64}) + "\\n")
except Exception as _exc:
    print("não deu para forjar:", _exc)
'''

# what is added at the top of the scaffold (after `from __future__`), or at its end ("fim:")
CHEATS = {
    "sai_com_zero": "import os\nos._exit(0)\n",
    "system_exit_zero": "raise SystemExit(0)\n",
    "forja_registros": FORGE,
    "remenda_o_plugin": (
        "try:\n"
        "    import dia3.pytest_plugin as _p, _pytest.reports as _r\n"
        "    _p.records = lambda: [{'id': 'login.ok', 'step': 'template', 'passed': True, 'message': '', 'seconds': 0}]\n"
        "    _r.TestReport.passed = property(lambda self: True)\n"
        "    _r.TestReport.failed = property(lambda self: False)\n"
        "except Exception as _exc:\n"
        "    print(_exc)\n"
    ),
    "fim:executa_a_solucao": (
        "from pathlib import Path as _P\nimport dia3 as _d\n"
        "_ref = _P(_d.__file__).resolve().parents[1] / 'solutions' / 'template.py'\n"
        "exec(compile(_ref.read_text(encoding='utf-8'), str(_ref), 'exec'))\n"
    ),
    "fim:copia_o_colega": (
        "import glob as _g\nfrom pathlib import Path as _P\n"
        "_me = _P(__file__).resolve()\n"
        "for _f in _g.glob(str(_me.parents[2] / '*' / '*' / 'template.py')) + _g.glob(str(_me.parents[1] / '*' / 'template.py')):\n"
        "    if _P(_f).resolve() != _me:\n"
        "        try:\n"
        "            exec(compile(open(_f, encoding='utf-8').read(), _f, 'exec'))\n"
        "            break\n"
        "        except Exception:\n"
        "            pass\n"
    ),
    "processo_destacado": (
        "import subprocess as _s, sys as _sys\n"
        f"_s.Popen([_sys.executable, '-c', {REWRITER!r}, '{SURVIVOR}'], start_new_session=True)\n"
    ),
    "fork_destacado": (
        "import os as _o\n"
        "if _o.fork() == 0:\n"
        "    _o.setsid()\n"
        f"    _o.execv(__import__('sys').executable, [__import__('sys').executable, '-c', {REWRITER!r}, '{SURVIVOR}'])\n"
    ),
    "fork_por_ctypes": (
        "import ctypes as _c\n"
        "_libc = _c.CDLL(None)\n"
        "if _libc.fork() == 0:\n"
        "    _libc.setsid()\n"
        f"    __import__('os').execv(__import__('sys').executable, [__import__('sys').executable, '-c', {REWRITER!r}, '{SURVIVOR}'])\n"
    ),
    "memoria_sem_fim": "_hog = []\nfor _ in range(40):\n    _hog.append(bytearray(100 * 2**20))\n",  # 4 GB > the cap
    "ignora_sigterm": (
        "import signal as _sg, threading as _th, time as _t\n"
        "_sg.signal(_sg.SIGTERM, _sg.SIG_IGN)\n"
        "_th.Thread(target=lambda: _t.sleep(600), daemon=False).start()\n"
    ),
}


def _scaffold_with(cheat: str, code: str) -> str:
    if cheat.startswith("fim:"):
        return SCAFFOLD + "\n" + code
    head, tail = SCAFFOLD.split(FUTURE, 1)
    return head + FUTURE + code + tail


def _submission(folder: Path, template: str, exercises_from: Path = REPO / "exercises") -> None:
    (folder / "exercises").mkdir(parents=True)
    shutil.copy(exercises_from / "ex01_geradores.py", folder / "exercises" / "ex01_geradores.py")
    (folder / "template.py").write_text(template, encoding="utf-8")


def _survivors() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(SURVIVOR in part for part in proc.info["cmdline"] or []):
                found.append(proc)
        except psutil.Error:
            continue
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    turma = tmp_path_factory.mktemp("turma")
    for cheat, code in CHEATS.items():
        _submission(turma / cheat.removeprefix("fim:"), _scaffold_with(cheat, code))
    _submission(turma / "honesta", SOLUTION, REPO / "solutions")
    # hostile, not dishonest
    _submission(turma / "link_para_urandom", SOLUTION, REPO / "solutions")
    os.symlink("/dev/urandom", turma / "link_para_urandom" / "dados.bin")
    os.symlink("/etc/passwd", turma / "link_para_urandom" / "senhas.txt")
    odd = os.fsdecode(b"nome_\xff_nao_utf8")
    _submission(turma / odd, SOLUTION, REPO / "solutions")
    _submission(turma / "arquivo_enorme", SOLUTION, REPO / "solutions")
    with open(turma / "arquivo_enorme" / "video.bin", "wb") as fh:
        fh.truncate(5 * 2**30)  # sparse: 5 GB on paper, nothing on disk
    many = turma / "arquivos_demais"
    _submission(many, SOLUTION, REPO / "solutions")
    (many / "lixo").mkdir()
    for i in range(6000):
        (many / "lixo" / f"{i}.txt").write_bytes(b"x")
    _submission(turma / "mensagem_estranha", SOLUTION.replace(FUTURE, FUTURE + "raise RuntimeError('\\udcff\\x1b[31m vermelho \\x00')\n", 1), REPO / "solutions")
    (turma / "mensagem_estranha" / ".dia3").mkdir()
    (turma / "mensagem_estranha" / ".dia3" / "progresso.json").write_bytes(b"\xff{nao json")
    outside = tmp_path_factory.mktemp("fora") / "escapou.txt"
    with zipfile.ZipFile(turma / "zip_que_escapa.zip", "w") as archive:
        archive.writestr("zip_que_escapa/template.py", SOLUTION)
        archive.writestr("zip_que_escapa/exercises/ex01_geradores.py", (REPO / "solutions" / "ex01_geradores.py").read_text(encoding="utf-8"))
        archive.writestr("../../../../../../../.." + str(outside), "fugi")
    out = tmp_path_factory.mktemp("notas")
    started = time.monotonic()
    proc = run_dia3("grade", str(turma), "--saida", str(out), "--tempo", "90", "--jobs", LANES, "--passos", "template,ex01",
                    timeout=900)
    returned = time.monotonic()
    survivors = _survivors()
    for p in survivors:  # clean up before asserting: the test must leave nothing behind
        p.kill()
    yield {"turma": turma, "out": out, "proc": proc, "survivors": survivors, "outside": outside,
           "odd": odd, "seconds": returned - started}


def _rows(out: Path) -> dict[str, dict]:
    return {r["aluno"]: r for r in csv.DictReader((out / "notas.csv").open(encoding="utf-8"))}


def test_the_batch_finishes_with_valid_reports(batch):
    assert batch["proc"].returncode == 0, batch["proc"].stdout[-3000:] + batch["proc"].stderr[-3000:]
    out = batch["out"]
    data = json.loads((out / "notas.json").read_text(encoding="utf-8"))
    assert len(data["alunos"]) == len(_rows(out)) == len(CHEATS) + 7
    report = (out / "relatorio.md").read_text(encoding="utf-8")
    assert "trapaceiro" not in report and "## Notas" in report
    assert data["kit_mudou_durante_a_correcao"] is False


@pytest.mark.parametrize("cheat", [c.removeprefix("fim:") for c in CHEATS])
def test_every_cheat_scores_zero(batch, cheat):
    row = _rows(batch["out"])[cheat]
    assert float(row["nota"]) == 0.0, row


def test_the_honest_and_the_hostile_but_honest_score_100(batch):
    rows = _rows(batch["out"])
    for name in ("honesta", "link_para_urandom", "arquivo_enorme", "zip_que_escapa"):
        assert (rows[name]["situacao"], float(rows[name]["nota"])) == ("corrigido", 100.0), rows[name]
    odd = next(name for name in rows if name.startswith("nome_"))
    assert "\\xff" in odd and float(rows[odd]["nota"]) == 100.0
    assert rows["arquivos_demais"]["situacao"] == "grande_demais"
    assert rows["mensagem_estranha"]["situacao"] == "nao_importa"


def test_nothing_of_a_submission_survives_the_batch(batch):
    assert batch["survivors"] == []
    assert not batch["outside"].exists()
    assert (batch["turma"] / "honesta" / "template.py").exists()


def test_skipped_files_are_reported(batch):
    data = json.loads((batch["out"] / "notas.json").read_text(encoding="utf-8"))
    by_name = {s["name"]: s for s in data["alunos"]}
    detail = by_name["link_para_urandom"]["detail"]
    assert "dados.bin (link simbólico)" in detail and "senhas.txt" in detail
    assert "video.bin" in by_name["arquivo_enorme"]["detail"]
    assert "\x1b" not in json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("cheat", ["sai_com_zero", "system_exit_zero", "remenda_o_plugin", "executa_a_solucao"])
def test_dia3_check_exits_non_zero_for_a_cheat(tmp_path, cheat):
    key = next(k for k in CHEATS if k.removeprefix("fim:") == cheat)
    _submission(tmp_path / "entrega", _scaffold_with(key, CHEATS[key]))
    proc = run_dia3("check", "template", "--target", str(tmp_path / "entrega"), "--json")
    assert proc.returncode == 1
    records = json.loads(proc.stdout)
    assert records and not any(r["passed"] for r in records)


def test_a_spinning_generator_fails_its_check_and_not_the_others(tmp_path):
    """A learner generator that never awaits freezes its own subject; the judge ends it and goes on."""
    entrega = tmp_path / "entrega"
    _submission(entrega, SOLUTION, REPO / "solutions")
    ex01 = entrega / "exercises" / "ex01_geradores.py"
    source = ex01.read_text(encoding="utf-8")
    ex01.write_text(source.replace("        await asyncio.sleep(delay)\n", "        while delay > 0.05:\n            pass\n        await asyncio.sleep(delay)\n", 1),
                    encoding="utf-8")
    proc = run_dia3("check", "ex01", "--target", str(entrega), "--json", timeout=300)
    records = {r["id"]: r for r in json.loads(proc.stdout)}
    assert not records["ex01.count.espera"]["passed"] and "não terminou" in records["ex01.count.espera"]["message"]
    assert records["ex01.count.valores"]["passed"] and records["ex01.collect"]["passed"] and records["ex01.take.fecha"]["passed"]
