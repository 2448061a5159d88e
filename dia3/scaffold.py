"""Generate learner files from annotated solutions (one source of truth, nbgrader-style).

In a solution file:

    # TODO 3: Título do passo (guia §5.3).
    #   instruções...
    def f():
        ### BEGIN SOLUTION
        #| raise NotImplementedError("TODO 3: ...")   <- optional: what the learner gets instead
        código da solução
        ### END SOLUTION

Each BEGIN/END block is replaced by its ``#|`` lines (without the ``#| `` prefix). A block with
no ``#|`` lines becomes ``raise NotImplementedError("TODO n: <título>")``, where n and the title
come from the nearest ``# TODO n: ...`` comment above it (and the function it is in).
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
TODO_COMMENT = re.compile(r"^\s*# TODO (\d+): (.+)$")
DEF = re.compile(r"^\s*(?:async\s+)?def (\w+)")
REPO_ROOT = Path(__file__).resolve().parent.parent

# solution file → learner file, relative to the repo root
GENERATED = {
    "solutions/template.py": "template.py",
}


class ScaffoldError(ValueError):
    pass


def scaffold(source: str, name: str = "<solução>") -> str:
    out: list[str] = []
    todo: tuple[str, str] | None = None
    block: list[str] | None = None
    indent = ""
    function = ""
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if block is None:
            match = TODO_COMMENT.match(line)
            if match:
                todo = (match.group(1), match.group(2).strip())
            defined = DEF.match(line)
            if defined:
                function = defined.group(1)
            if stripped == BEGIN:
                block, indent = [], line[: len(line) - len(line.lstrip())]
                continue
            if stripped == END:
                raise ScaffoldError(f"{name}:{number}: {END} sem {BEGIN}")
            out.append(line)
            continue
        if stripped == BEGIN:
            raise ScaffoldError(f"{name}:{number}: {BEGIN} dentro de outro bloco")
        if stripped == END:
            if block:
                out.extend(block)
            else:
                if todo is None:
                    raise ScaffoldError(f"{name}:{number}: bloco sem '# TODO n: ...' antes e sem linhas '#|'")
                title = todo[1].replace('"', "'")
                where = f" em {function}()" if function else ""
                out.append(f'{indent}raise NotImplementedError("TODO {todo[0]}{where}: {title}")\n')
            block = None
            continue
        if stripped.startswith("#|"):
            text = stripped[3:] if stripped.startswith("#| ") else stripped[2:]
            block.append(f"{indent}{text}\n" if text else "\n")
    if block is not None:
        raise ScaffoldError(f"{name}: {BEGIN} sem {END}")
    return "".join(out)


def generate(root: Path = REPO_ROOT) -> dict[Path, str]:
    """Every learner file as it should be: {path: text}."""
    return {root / dst: scaffold((root / src).read_text(encoding="utf-8"), src) for src, dst in GENERATED.items()}


def write(root: Path = REPO_ROOT, only: list[str] | None = None) -> list[Path]:
    written = []
    for path, text in generate(root).items():
        if only and path.relative_to(root).as_posix() not in only:
            continue
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
