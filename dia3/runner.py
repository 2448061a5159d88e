"""Running the checks: this process is the judge (pytest in-process, never the learner's code)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKS_DIR = REPO_ROOT / "checks"


def resolve_target(value: str | None) -> Path:
    if value is None:
        return REPO_ROOT
    path = Path(value)
    if not path.is_absolute() and not path.exists() and (REPO_ROOT / path).exists():
        path = REPO_ROOT / path
    return path.resolve()


def preload_of(names: list[str], target: str | None) -> list[str]:
    """The libraries these steps' files (in ``target``) import, for the zygote to import once."""
    from dia3 import exercises, zygote

    folder = resolve_target(target)
    return zygote.preload_for([step.file_in(folder) for step in exercises.steps() if step.name in names])


def warm_up(names: list[str], target: str | None) -> None:
    """Start the zygote subjects fork from, with what these steps' files import, before the judge
    imports pytest: both import at the same time."""
    from dia3 import zygote
    from dia3.judge import base_env

    modules = preload_of(names, target)
    parent = zygote.current()
    if parent is not None:  # already warm (watch, a lane of dia3 grade): add what these files import
        parent.preload(modules)
    else:
        zygote.start(base_env(), modules)


def available_checks() -> list[str]:
    """The steps that have checks, in the day's order (the catalogue's order)."""
    from dia3 import exercises

    return [s.name for s in exercises.steps() if s.check_path.exists()]


def resolve_names(words: list[str]) -> tuple[list[str], list[str]]:
    """Learner words ('ex01', '1', 'ex01_geradores', 'template') → step names; and the unknown ones."""
    from dia3 import exercises

    catalogue = [s for s in exercises.steps() if s.check_path.exists()]
    names, unknown = [], []
    for word in words:
        step = exercises.find(word, catalogue)
        if step is None:
            unknown.append(word)
        elif step.name not in names:
            names.append(step.name)
    return names, unknown


def expected_checks(names: list[str], only: str | None = None) -> list[str]:
    """The check ids (without parameters) the judge must report for these steps: from the weights."""
    from dia3.grade import load_weights

    wanted = {w.strip().split("[")[0] for w in only.split(",") if w.strip()} if only else None
    return [cid for cid, w in load_weights().items() if w["passo"] in names and (wanted is None or cid in wanted)]


def run_checks(names: list[str], target: str | None, timeout: int = 30, only: str | None = None) -> list[dict]:
    """Run the checks with pytest in this process (the judge); return one record per check.

    The learner's code never runs here: each file runs in a subject child process. The records
    come straight from the plugin's memory, and every expected check must have one: a check that
    did not run (or an id nobody expects) is a failure, never a silent pass.
    """
    warm_up(names, target)
    import pytest

    from dia3 import pytest_plugin

    files = [str(CHECKS_DIR / f"test_{name}.py") for name in names]
    # A warm judge (watch, a lane of dia3 grade) runs many sessions: each imports the check modules
    # afresh, so what a module draws per run (the prompt, the words) and what it learns in a run
    # (LOGGED_IN) never carry over to the next run, or to the next submission.
    for name in names:
        sys.modules.pop(f"test_{name}", None)
    args = [
        *files,
        "-p", "no:cacheprovider",
        "-p", "no:terminal",
        # pytest's own plugins the checks do not use (the last one costs two gc passes per run)
        *("-p no:doctest -p no:junitxml -p no:pastebin -p no:stepwise -p no:setuponly -p no:setupplan "
          "-p no:legacypath -p no:unraisableexception".split()),
        "-c", str(CHECKS_DIR / "pytest.ini"),
        "--rootdir", str(CHECKS_DIR),
        f"--timeout={timeout}",
        # A check fails with its own lesson (dia3.harness.fail), never a bare assert (a test in
        # tests/test_messages.py holds them to it): rewriting the asserts of a check module, which
        # every run imports afresh, cost ~20 ms of parsing per run of the capstone's checks.
        "--assert=plain",
    ]
    # A fresh scratch folder per run, removed at the end: pytest's numbered folders would have it
    # sweep older runs' folders at every session end (half a second of rmtree per run).
    scratch = Path(tempfile.mkdtemp(prefix="dia3-check-"))
    args.append(f"--basetemp={scratch / 'tmp'}")
    if target:
        args.append(f"--target={target}")
    if only:
        args.append(f"--dia3-only={only}")
    saved = {k: os.environ.get(k) for k in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "HYPOTHESIS_STORAGE_DIRECTORY",
                                            "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    # Only the plugins the checks need (langsmith's, anyio's… cost a second and do nothing here),
    # and hypothesis' scratch folder outside the learner's repo. The learner's own pytest settings
    # (PYTEST_ADDOPTS such as -rf, PYTEST_PLUGINS) are for their projects, not for the judge.
    os.environ.pop("PYTEST_ADDOPTS", None)
    os.environ.pop("PYTEST_PLUGINS", None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(Path(tempfile.gettempdir()) / "dia3-hypothesis")
    try:
        # the kit's plugin and pytest-timeout as modules, not `-p name`: a name is looked up in every
        # installed package's entry points first (~10 ms each, per session)
        import pytest_timeout

        code = pytest.main(args, plugins=[pytest_plugin, pytest_timeout])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    records = [dict(r) for r in pytest_plugin.records()]
    # a check asked for with one of its cases only (generate.done[/chat]) is not owed a record: a
    # case that does not exist runs nothing, and the report says to look at the names in --only
    cases_only = {w.strip().split("[")[0] for w in (only or "").split(",") if "[" in w} - {
        w.strip() for w in (only or "").split(",") if "[" not in w}
    return complete(records, expected_checks(names, only), code, owed=lambda cid: cid not in cases_only)


def complete(records: list[dict], expected: list[str], code: int | str, owed=lambda cid: True) -> list[dict]:
    """Records checked against the expected ids: missing ones fail (those ``owed``), unknown ones
    are dropped."""
    known = set(expected)
    seen = {r["id"].split("[")[0] for r in records}
    kept = [r for r in records if r["id"].split("[")[0] in known]
    from dia3.grade import load_weights

    weights = load_weights()
    for cid in expected:
        if cid not in seen and owed(cid):
            kept.append({
                "id": cid,
                "step": weights.get(cid, {}).get("passo", "template"),
                "passed": False,
                "message": f"Esta verificação não rodou (o verificador terminou com {code}). Rode `dia3 check` de novo; "
                "se repetir, avise o instrutor.",
                "seconds": 0.0,
            })
    return kept


def only_note(only: str | None, records: list[dict], names: list[str]) -> str | None:
    """What `--only` asked for and nothing answered (a typo, a case that does not exist, a check of
    another step), said to the learner; None when every name ran. Without it, a mistyped name among
    good ones vanished without a word."""
    from difflib import get_close_matches

    from dia3 import pytest_plugin
    from dia3.grade import load_weights

    ran = {r["id"] for r in records} | {r["id"].split("[")[0] for r in records}
    missing = [w.strip() for w in (only or "").split(",") if w.strip() and w.strip() not in ran]
    if not missing:
        return None
    weights = load_weights()
    cases = pytest_plugin.collected()
    lines = ["Atenção: em --only, estes nomes não correspondem a nenhuma verificação que rodou:"]
    for word in missing:
        base, case = word.split("[", 1)[0], "[" in word
        mine = [c for c in cases if c.startswith(base + "[")]
        if base in weights and weights[base]["passo"] not in names:
            why = f"é do passo {weights[base]['passo']}: rode `dia3 check {weights[base]['passo']} --only {word}`"
        elif base in weights and case:
            why = f"esse caso não existe; os de {base} são: {', '.join(mine)}" if mine else f"{base} não tem casos"
        else:
            close = get_close_matches(base, [c for c, w in weights.items() if w["passo"] in names], n=1)
            where = ", ".join(names) if len(names) < 4 else "dos passos escolhidos"
            why = f"você quis dizer {close[0]}?" if close else f"nenhuma verificação de {where} tem esse nome"
        lines.append(f"  - {word}: {why}")
    return "\n".join(lines)

