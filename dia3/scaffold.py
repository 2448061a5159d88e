"""Generate learner files from annotated solutions (one source of truth, nbgrader-style).

In a solution file:

    # TODO 3: Título do passo (guia §5.3).
    #   instruções...                         <- dropped at level 3 ("só assinatura e objetivo")
    #1| # Dica extra, só no nível 1           <- outside a block: a line only level 1 gets
    def f():
        ### BEGIN SOLUTION
        #| raise NotImplementedError("TODO 3: ...")   <- what the learner gets instead (levels 1–3)
        #1| x = parte_dada()                         <- level 1 gets these instead, when present
        #3| ...                                      <- level 3 gets these instead, when present
        código da solução
        ### END SOLUTION

Each BEGIN/END block is replaced by the lines for the level (without their marker). A block with
no such lines becomes ``raise NotImplementedError("TODO n em f(): <título>")``, where n and the
title come from the nearest ``# TODO n: ...`` comment above it (and the function it is in).

Scaffolding levels (the instructor picks one per class; ``dia3 reset --level N`` switches):
1 = more given code and more hints inline; 2 = the default (committed files); 3 = only the
signatures and the goal of each TODO.
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
TODO_COMMENT = re.compile(r"^\s*# TODO (\d+): (.+)$")
INSTRUCTION = re.compile(r"^\s*#\s{2,}\S")  # the indented comment lines under a TODO title
MARKER = re.compile(r"^#([13]?)\|( |$)")
DEF = re.compile(r"^\s*(?:async\s+)?def (\w+)")
REPO_ROOT = Path(__file__).resolve().parent.parent
LEVELS = (1, 2, 3)
DEFAULT_LEVEL = 2


class ScaffoldError(ValueError):
    pass


def _marked(stripped: str) -> tuple[str, str] | None:
    """'#1| x' → ('1', 'x'); '#| x' → ('', 'x'); anything else → None."""
    match = MARKER.match(stripped)
    if not match:
        return None
    return match.group(1), stripped[match.end():]


def scaffold(source: str, name: str = "<solução>", level: int = DEFAULT_LEVEL) -> str:
    if level not in LEVELS:
        raise ScaffoldError(f"nível de scaffolding {level} não existe; use 1, 2 ou 3")
    out: list[str] = []
    todo: tuple[str, str] | None = None
    block: dict[str, list[str]] | None = None
    indent = ""
    function = ""
    under_todo = False  # inside the comment lines right under a "# TODO n:" title
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if block is None:
            match = TODO_COMMENT.match(line)
            if match:
                todo = (match.group(1), match.group(2).strip())
                under_todo = True
                out.append(line)
                continue
            if under_todo and INSTRUCTION.match(line):
                if level != 3:
                    out.append(line)
                continue
            under_todo = False
            defined = DEF.match(line)
            if defined:
                function = defined.group(1)
            if stripped == BEGIN:
                block, indent = {"": [], "1": [], "3": []}, line[: len(line) - len(line.lstrip())]
                continue
            if stripped == END:
                raise ScaffoldError(f"{name}:{number}: {END} sem {BEGIN}")
            marked = _marked(stripped)
            if marked is not None:
                kind, text = marked
                if kind != "1":
                    raise ScaffoldError(f"{name}:{number}: linha '#{kind}|' fora de um bloco BEGIN/END")
                if level == 1:
                    lead = line[: len(line) - len(line.lstrip())]
                    out.append(f"{lead}{text}\n" if text else "\n")
                continue
            out.append(line)
            continue
        if stripped == BEGIN:
            raise ScaffoldError(f"{name}:{number}: {BEGIN} dentro de outro bloco")
        if stripped == END:
            chosen = block[""]
            if level == 1 and block["1"]:
                chosen = block["1"]
            elif level == 3 and block["3"]:
                chosen = block["3"]
            if chosen:
                out.extend(chosen)
            else:
                if todo is None:
                    raise ScaffoldError(f"{name}:{number}: bloco sem '# TODO n: ...' antes e sem linhas '#|'")
                title = todo[1].replace('"', "'")
                if function:  # "TODO 2 em collect(): collect(items) — consuma…" says the name twice
                    title = re.sub(rf"^{re.escape(function)}(\([^)]*\))?\s+—\s+", "", title)
                where = f" em {function}()" if function else ""
                out.append(f'{indent}raise NotImplementedError("TODO {todo[0]}{where}: {title}")\n')
            block = None
            continue
        marked = _marked(stripped)
        if marked is not None:
            kind, text = marked
            block[kind].append(f"{indent}{text}\n" if text else "\n")
    if block is not None:
        raise ScaffoldError(f"{name}: {BEGIN} sem {END}")
    return "".join(out)


def generated(root: Path = REPO_ROOT) -> dict[str, str]:
    """Solution file → learner file, relative to the repo root: the capstone and every exercise."""
    pairs = {"solutions/template.py": "template.py"}
    for path in sorted((root / "solutions").glob("ex*.py")):
        pairs[f"solutions/{path.name}"] = f"exercises/{path.name}"
    return pairs


def generate(root: Path = REPO_ROOT, level: int = DEFAULT_LEVEL) -> dict[Path, str]:
    """Every learner file as it should be at ``level``: {path: text}."""
    return {
        root / dst: scaffold((root / src).read_text(encoding="utf-8"), src, level)
        for src, dst in generated(root).items()
    }


def learner_text(learner_path: str, root: Path = REPO_ROOT, level: int = DEFAULT_LEVEL) -> str:
    """The pristine learner file (relative path such as 'exercises/ex01_geradores.py') at ``level``."""
    for src, dst in generated(root).items():
        if dst == learner_path:
            return scaffold((root / src).read_text(encoding="utf-8"), src, level)
    raise KeyError(learner_path)


def write(root: Path = REPO_ROOT, only: list[str] | None = None) -> list[Path]:
    written = []
    for path, text in generate(root).items():
        if only and path.relative_to(root).as_posix() not in only:
            continue
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
