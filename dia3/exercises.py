"""The day's steps (exercises + the capstone), their hints and the learner's saved progress.

The catalogue lives in ``exercises/exercicios.toml`` (a data file next to the exercises, edited by
instructors without touching code): order, title, guide section, bonus or not, three hint levels.
Everything else is derived from the name: ``solutions/NAME.py`` (the annotated solution),
``exercises/NAME.py`` (the learner's file, generated from it) and ``checks/test_NAME.py``. The
capstone is the step named ``template`` (``template.py`` at the root).
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = REPO_ROOT / "exercises" / "exercicios.toml"
HINT_LEVELS = ("empurrão", "caminho", "quase a solução")


CHECK_MARK = re.compile(r'@pytest\.mark\.check\(\s*"([^"]+)"(?:\s*,\s*todo\s*=\s*([^)]*\)?))?\s*\)')
DEFAULT_WEIGHT = {"capstone": 2.0, "core": 1.0, "bonus": 0.5}


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    section: str
    bonus: bool
    hints: tuple[str, ...]
    minutes: int
    weight_override: float | None = None  # `peso` in the catalogue; else by kind (DEFAULT_WEIGHT)
    check_weights: tuple[tuple[str, float], ...] = ()  # `pesos` in the catalogue: per-check overrides

    @property
    def kind(self) -> str:
        return "capstone" if self.name == "template" else "bonus" if self.bonus else "core"

    @property
    def weight(self) -> float:
        """The weight of each of this step's checks (unless a check has an override)."""
        return self.weight_override if self.weight_override is not None else DEFAULT_WEIGHT[self.kind]

    def checks(self, root: Path | None = None) -> list[tuple[str, tuple[int, ...]]]:
        """(check id, TODOs it judges), read from the check file's markers without importing it."""
        path = (root / "checks" / f"test_{self.name}.py") if root else self.check_path
        if not path.exists():
            return []
        found = []
        for cid, todo in CHECK_MARK.findall(path.read_text(encoding="utf-8")):
            found.append((cid, tuple(int(n) for n in re.findall(r"\d+", todo or ""))))
        return found

    def section_of(self, todos: tuple[int, ...]) -> str:
        """The guide section for a check: the capstone's route TODO (§5.n), else the step's section."""
        if self.name == "template":
            return f"5.{max(todos)}" if todos else "5"
        return self.section

    @property
    def learner_path(self) -> str:
        """Relative to a learner's copy of the repo."""
        return "template.py" if self.name == "template" else f"exercises/{self.name}.py"

    @property
    def solution_path(self) -> str:
        return f"solutions/{self.name}.py"

    @property
    def check_path(self) -> Path:
        return REPO_ROOT / "checks" / f"test_{self.name}.py"

    @property
    def short(self) -> str:
        """'ex01' for 'ex01_geradores' — what learners type."""
        return self.name.split("_")[0]

    def file_in(self, target: Path) -> Path:
        """Where this step's file is in ``target``: a learner's copy, or the flat solutions/ folder."""
        nested = target / self.learner_path
        return nested if nested.exists() or not (target / f"{self.name}.py").exists() else target / f"{self.name}.py"


def steps(path: Path = CATALOGUE) -> list[Step]:
    """The catalogue's steps (parsed once per version of the file: the judge asks for them often)."""
    stat = path.stat()
    return list(_parse_steps(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parse_steps(path: Path, _mtime: int, _size: int) -> tuple[Step, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Step(
            name=item["nome"],
            title=item["titulo"],
            section=str(item["secao"]),
            bonus=bool(item.get("bonus", False)),
            hints=tuple(item["dicas"]),
            minutes=int(item.get("minutos", 15)),
            weight_override=float(item["peso"]) if "peso" in item else None,
            check_weights=tuple((str(k), float(v)) for k, v in (item.get("pesos") or {}).items()),
        )
        for item in data["passo"]
    )


def weights(catalogue: list[Step] | None = None) -> dict[str, dict]:
    """Every check's step, guide section and weight, derived from the catalogue and the checks:
    ``{"ex01.count.valores": {"passo": ..., "secao": ..., "peso": ...}}`` (stated nowhere else)."""
    table: dict[str, dict] = {}
    for step in catalogue if catalogue is not None else steps():
        overrides = dict(step.check_weights)
        for cid, todos in step.checks():
            table[cid] = {"passo": step.name, "secao": step.section_of(todos), "peso": overrides.get(cid, step.weight)}
    return table


def find(word: str, catalogue: list[Step] | None = None) -> Step | None:
    """'ex01', 'ex01_geradores', '1' or 'template'."""
    catalogue = catalogue if catalogue is not None else steps()
    word = word.strip().lower().removesuffix(".py").split("/")[-1]
    if word.isdigit():
        word = f"ex{int(word):02d}"
    for step in catalogue:
        if word in (step.name, step.short):
            return step
    return None


# ---------------------------------------------------------------------------------------------
# Progress (survives restarts): .dia3/progresso.json in the learner's copy
# ---------------------------------------------------------------------------------------------


class Progress:
    def __init__(self, root: Path) -> None:
        self.path = Path(root) / ".dia3" / "progresso.json"
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            self.data = {}
        self.data.setdefault("passos", {})
        self.data.setdefault("dicas", {})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(self.path)  # atomic: a Ctrl+C mid-write never leaves half a file

    def record(self, name: str, passed: int, total: int) -> None:
        now = datetime.now().isoformat(timespec="seconds")
        entry = self.data["passos"].setdefault(name, {})
        entry.update(passou=passed, total=total, ultima_vez=now)
        if total and passed == total:
            entry.setdefault("concluido_em", now)

    def forget(self, name: str) -> None:
        """The step starts over (dia3 reset): no checks recorded; the hints seen stay seen."""
        self.data["passos"].pop(name, None)

    def done(self, name: str) -> bool:
        entry = self.data["passos"].get(name)
        return bool(entry and entry["total"] and entry["passou"] == entry["total"])

    def hint_seen(self, name: str) -> int:
        return int(self.data["dicas"].get(name, 0))

    def see_hint(self, name: str, level: int) -> None:
        self.data["dicas"][name] = max(level, self.hint_seen(name))

    @property
    def level(self) -> int:
        return int(self.data.get("nivel", 2))

    @level.setter
    def level(self, value: int) -> None:
        self.data["nivel"] = value
