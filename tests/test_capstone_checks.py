"""The capstone checks as a whole: green on the reference, all red (with TODO messages) on the
untouched scaffold, one clear message for a file that does not import."""

from __future__ import annotations

import json

from conftest import REPO, check_human, check_records, check_run, run_dia3


def test_every_check_passes_on_the_solution():
    # (a fresh `dia3 check`, as a learner runs it; the other tests here ask the warm judges)
    proc = run_dia3("check", "template", "--target", "solutions", "--json")
    records = json.loads(proc.stdout)
    assert len(records) >= 40
    assert [r for r in records if not r["passed"]] == []
    assert proc.returncode == 0
    assert all(set(r) == {"id", "step", "passed", "message", "cause", "todos", "seconds"} and r["step"] == "template" for r in records)
    assert all(r["cause"] is None for r in records)


def test_every_check_fails_on_the_untouched_scaffold_with_its_todo(tmp_path):
    (tmp_path / "template.py").write_text((REPO / "template.py").read_text(encoding="utf-8"), encoding="utf-8")
    code, records = check_run("template", "--target", str(tmp_path))
    assert code == 1
    assert len(records) >= 40
    not_failed = [r["id"] for r in records if r["passed"]]
    assert not_failed == []
    without_todo = [r["id"] for r in records if "Falta fazer: TODO" not in r["message"]]
    assert without_todo == []
    assert "Traceback" not in json.dumps(records, ensure_ascii=False)


def test_human_report_on_scaffold_points_to_the_first_todo(tmp_path):
    (tmp_path / "template.py").write_text((REPO / "template.py").read_text(encoding="utf-8"), encoding="utf-8")
    code, out = check_human("template", "--target", str(tmp_path))
    assert code == 1
    assert "Falta fazer: TODO 1" in out
    assert "GUIA_APRENDIZADO.md §5.1" in out
    assert "0/" in out and "verificações passaram" in out
    assert len(out.splitlines()) < 40  # failures with the same cause are folded


def test_a_file_that_does_not_import_gives_one_clear_message(tmp_path):
    source = (REPO / "solutions" / "template.py").read_text(encoding="utf-8")
    broken = source.replace("app = FastAPI(", "app = FastAPi(", 1)
    (tmp_path / "template.py").write_text(broken, encoding="utf-8")
    line = broken.splitlines().index(next(l for l in broken.splitlines() if l.startswith("app = FastAPi("))) + 1
    records = check_records("template", "--target", str(tmp_path))
    assert records and not any(r["passed"] for r in records)
    message = records[0]["message"]
    assert "template.py não pôde ser importado" in message
    assert f"linha {line}" in message
    assert "NameError" in message
    assert "Traceback" not in message
    human = check_human("template", "--target", str(tmp_path))[1]
    assert human.count("não pôde ser importado") <= 2  # shown in full once, folded in the summary


def test_syntax_error_is_reported_with_its_line(tmp_path):
    (tmp_path / "template.py").write_text("import os\n\ndef f(:\n    pass\n", encoding="utf-8")
    records = check_records("template", "--target", str(tmp_path), "--only", "login.ok")
    assert "SyntaxError" in records[0]["message"] and "linha 3" in records[0]["message"]


def test_a_hanging_generator_fails_its_check_not_the_run(tmp_path):
    source = (REPO / "solutions" / "template.py").read_text(encoding="utf-8")
    hanging = source.replace(
        "            yield format_sse(token)\n",
        "            yield format_sse(token)\n            await asyncio.Event().wait()  # espera para sempre\n",
    ).replace("import logging\n", "import asyncio\nimport logging\n", 1)
    (tmp_path / "template.py").write_text(hanging, encoding="utf-8")
    # one route is enough (each waits out the read timeout): --only takes a check's parameter too
    records = check_records("template", "--target", str(tmp_path), "--only", "generate.done[/api/generate],login.ok")
    by_id = {r["id"]: r for r in records}
    assert set(by_id) == {"login.ok", "generate.done[/api/generate]"}
    assert by_id["login.ok"]["passed"]
    assert not by_id["generate.done[/api/generate]"]["passed"]
    assert "sem mandar nada" in by_id["generate.done[/api/generate]"]["message"] or "[DONE]" in by_id["generate.done[/api/generate]"]["message"]


def test_only_with_a_case_that_does_not_exist_says_to_check_the_names():
    """`--only generate.done[/nao-existe]` runs nothing: the report says to look at the names in
    --only, not that the check "did not run" (and to tell the instructor)."""
    code, out = check_human("template", "--target", "solutions", "--only", "generate.done[/nao-existe]")
    assert "confira os nomes em --only" in out and "não rodou" not in out, out


def test_only_says_which_names_ran_nothing_beside_one_that_ran():
    """A mistyped name, a case that does not exist or a check of another step, beside a good one:
    the good one runs and the report says what became of each of the others (it said nothing)."""
    code, out = check_human("template", "--target", "solutions", "--only",
                            "config.segredo_ausente,generate.done[/nao-existe],generate.dnoe,ex01.count.valores")
    assert code == 0 and "1/1 verificações passaram" in out, out
    note = out.split("Atenção: em --only", 1)[1]
    assert "generate.done[/nao-existe]: esse caso não existe; os de generate.done são: generate.done[/api/generate], " \
        "generate.done[/chat]" in note, note
    assert "generate.dnoe: você quis dizer generate.done?" in note, note
    assert "ex01.count.valores: é do passo ex01_geradores: rode `dia3 check ex01_geradores --only ex01.count.valores`" in note
    assert "config.segredo_ausente" not in note


def test_a_loop_frozen_by_one_check_does_not_fail_the_next(tmp_path):
    """`while True: pass` in stream_llm freezes the whole server at the first stream; /chat without
    stream never calls stream_llm, so its checks (later in the run) get a fresh subject and pass."""
    source = (REPO / "solutions" / "template.py").read_text(encoding="utf-8")
    line = "    llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)\n"
    assert line in source
    frozen = source.replace(line, "    while True:  # sem await: o event loop nunca mais roda\n        pass\n" + line, 1)
    (tmp_path / "template.py").write_text(frozen, encoding="utf-8")
    records = check_records("template", "--target", str(tmp_path), "--only", "generate.done,chat.sem_stream")
    by_id = {r["id"]: r for r in records}
    assert not by_id["generate.done[/api/generate]"]["passed"]
    # said as it is (the loop froze), found by a ping after 1 s of silence, not after the 5 s read timeout
    assert "o servidor inteiro travou" in by_id["generate.done[/api/generate]"]["message"]
    assert by_id["generate.done[/api/generate]"]["seconds"] < 4.5
    assert [r["id"] for r in records if r["id"].startswith("chat.sem_stream") and not r["passed"]] == []
    assert "Traceback" not in "".join(r["message"] for r in records)


def test_a_warm_judge_learns_nothing_from_its_last_run(tmp_path):
    """One judge, two runs (as in `dia3 watch`, or a lane of `dia3 grade`): login.validacao skips its
    control login only when login.ok got a token in the *same* run. After a run on the solution, a
    file whose right login fails must still fail login.validacao on its control."""
    from conftest import WarmJudge, judge_pool

    source = (REPO / "solutions" / "template.py").read_text(encoding="utf-8")
    refusing = source.replace("    return user is not None and password_ok\n", "    return False\n", 1)
    assert refusing != source
    (tmp_path / "template.py").write_text(refusing, encoding="utf-8")
    judge = WarmJudge(judge_pool().zygote())  # a judge of its own, on this worker's zygote
    try:
        _, out = judge.check(["--json", "template", "--target", "solutions", "--only", "login.ok,login.validacao"], 120)
        assert all(r["passed"] for r in json.loads(out))
        _, out = judge.check(["--json", "template", "--target", str(tmp_path), "--only", "login.validacao"], 120)
        (record,) = json.loads(out)
        assert not record["passed"] and "controle" in record["message"], record["message"]
    finally:
        judge.close()
