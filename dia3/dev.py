"""`dia3 dev check` and `dia3 dev new`: the kit's own conventions, for whoever extends it.

`dev check` reads files only (no network, no learner code run): it answers in a few seconds what
the slow suite would find an hour later. Each problem is one pt-BR line that says what to fix.
`dev new exNN_nome` writes the skeleton of a step in every place it needs one.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from dia3 import exercises, scaffold
from dia3.guide import SECTIONS

DAY_MINUTES = 160


def _guide_sections(root: Path) -> set[str]:
    text = (root / "GUIA_APRENDIZADO.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?) ", text, re.M))


def problems(root: Path = exercises.REPO_ROOT) -> list[str]:
    """Every broken convention, as a pt-BR sentence (empty: all good)."""
    found: list[str] = []
    catalogue = exercises.steps(root / "exercises" / "exercicios.toml")
    names = [s.name for s in catalogue]
    in_guide = _guide_sections(root)
    if len(names) != len(set(names)):
        found.append("exercicios.toml: há passos com o mesmo nome")
    if not catalogue or catalogue[-1].name != "template":
        found.append("exercicios.toml: o último passo deve ser o projeto final (nome = \"template\")")
    # the plan of the day
    core = sum(s.minutes for s in catalogue if not s.bonus)
    if core != DAY_MINUTES:
        found.append(f"exercicios.toml: os passos obrigatórios e o projeto final somam {core} minutos, e a aula tem {DAY_MINUTES}")
    for name, path in (("GUIA_APRENDIZADO.md", root / "GUIA_APRENDIZADO.md"), ("GUIA_INSTRUTOR.md", root / "GUIA_INSTRUTOR.md")):
        text = path.read_text(encoding="utf-8")
        if name == "GUIA_APRENDIZADO.md":
            rows = {step: int(m) for m, step in re.findall(r"^\| (\d+) \| `(\w+)` \|", text, re.M)}
        else:
            rows = {step: int(b) - int(a) for a, b, step in re.findall(r"^\| (\d+)–(\d+) \| `(\w+)` \|", text, re.M)}
        plan = {s.name.split("_")[0]: s.minutes for s in catalogue if not s.bonus}
        if rows != plan:
            found.append(f"{name}: a tabela de tempo ({rows}) não é a de exercicios.toml ({plan})")
    # the §10 table of the guide: one row per step, its bonus mark and its section
    guide = (root / "GUIA_APRENDIZADO.md").read_text(encoding="utf-8")
    rows = {short: (bool(bonus), sec) for short, bonus, sec in
            re.findall(r"^\| `(ex\d\d|template)`( \(bônus\))? \| .*? \| §(\d+(?:\.\d+)?) \|$", guide, re.M)}
    want = {s.short if s.name != "template" else "template": (s.bonus, s.section) for s in catalogue}
    if rows != want:
        wrong = sorted(k for k in set(rows) | set(want) if rows.get(k) != want.get(k))
        found.append(f"GUIA_APRENDIZADO.md §10: a tabela de passos difere de exercicios.toml em {wrong} "
                     f"(guia: {[rows.get(k) for k in wrong]}; manifesto: {[want.get(k) for k in wrong]})")
    # the README's list of the day: the core range and the bonus range
    readme = (root / "README.md").read_text(encoding="utf-8") if (root / "README.md").exists() else ""
    said = day_ranges(catalogue)
    if readme and said and said not in readme:
        found.append(f"README.md: a lista do dia deveria dizer {said}, como exercicios.toml")
    # each step
    files_of_checks = {p.stem.removeprefix("test_") for p in (root / "checks").glob("test_*.py")}
    for extra in sorted(files_of_checks - set(names)):
        found.append(f"checks/test_{extra}.py: não há passo {extra!r} em exercicios.toml")
    for step in catalogue:
        found += _step_problems(root, step, in_guide)
    # the corpora
    sys.path.insert(0, str(root / "tests"))
    try:
        import corpus
        import corpus_exercises
    except Exception as exc:  # noqa: BLE001 - a broken corpus is a problem to report, not a crash
        found.append(f"tests/corpus*.py não pôde ser importado: {type(exc).__name__}: {exc}")
    else:
        for step in catalogue:
            if step.name == "template":
                count = len(corpus.MISTAKES)
            else:
                count = sum(m.step == step.name for m in corpus_exercises.MISTAKES)
            if count < 2:
                found.append(f"{step.name}: o corpus tem {count} erro(s) para este passo; escreva pelo menos 2")
    finally:
        sys.path.remove(str(root / "tests"))
    return found


def day_ranges(catalogue: list[exercises.Step]) -> str:
    """How the README names the day: "(`ex01` → `ex07`; `ex08`–`ex11` são bônus)"."""
    core = [st.short for st in catalogue if not st.bonus and st.name != "template"]
    bonus = [st.short for st in catalogue if st.bonus]
    return f"(`{core[0]}` → `{core[-1]}`; `{bonus[0]}`–`{bonus[-1]}` são bônus)" if core and bonus else ""


def _step_problems(root: Path, step: exercises.Step, in_guide: set[str]) -> list[str]:
    found = []
    solution = root / step.solution_path
    if not solution.exists():
        return [f"{step.name}: falta a solução anotada {step.solution_path}"]
    if len(step.hints) != 3 or len(set(step.hints)) != 3 or not all(h.strip() for h in step.hints):
        found.append(f"{step.name}: são precisas 3 dicas diferentes (empurrão, caminho, quase a solução)")
    if step.section not in in_guide or step.section not in SECTIONS:
        found.append(f"{step.name}: a seção §{step.section} não existe no guia (ou falta em dia3/guide.py)")
    source = solution.read_text(encoding="utf-8")
    for section in re.findall(r"§(\d+(?:\.\d+)?)", source):
        if section not in in_guide:
            found.append(f"{step.solution_path}: cita §{section}, que não existe no guia")
    # generated files, at every level
    try:
        generated = scaffold.learner_text(step.learner_path, level=2, root=root)
    except Exception as exc:  # noqa: BLE001
        return [*found, f"{step.solution_path}: o gerador falhou: {exc}"]
    learner = root / step.learner_path
    if not learner.exists() or learner.read_text(encoding="utf-8") != generated:
        found.append(f"{step.learner_path}: desatualizado em relação à solução (rode `dia3 scaffold`)")
    texts = {}
    for level in scaffold.LEVELS:
        text = scaffold.learner_text(step.learner_path, level=level, root=root)
        texts[level] = text
        try:
            ast.parse(text)
        except SyntaxError as exc:
            found.append(f"{step.learner_path} no nível {level}: não é Python válido (linha {exc.lineno})")
        if 'NotImplementedError("TODO' not in text:
            found.append(f"{step.learner_path} no nível {level}: nenhum TODO levanta NotImplementedError(\"TODO n ...\")")
        if "### BEGIN SOLUTION" in text or "#|" in text:
            found.append(f"{step.learner_path} no nível {level}: sobrou marcação de solução")
    if len(set(texts.values())) != len(texts):
        found.append(f"{step.learner_path}: os níveis de scaffolding 1, 2 e 3 deveriam ser diferentes")
    todos = sorted({int(n) for n in re.findall(r"# TODO (\d+):", texts[2])})
    if not todos:
        found.append(f"{step.learner_path}: nenhum `# TODO n:` no arquivo do aluno")
    # checks
    check_path = root / "checks" / f"test_{step.name}.py"
    if not check_path.exists():
        return [*found, f"{step.name}: falta checks/test_{step.name}.py"]
    check_text = check_path.read_text(encoding="utf-8")
    if step.name != "template" and f'STEP = "{step.name}"' not in check_text:
        found.append(f"checks/test_{step.name}.py: falta STEP = \"{step.name}\"")
    checks = step.checks(root)
    if not checks:
        found.append(f"checks/test_{step.name}.py: nenhuma verificação marcada com @pytest.mark.check(\"id\", todo=...)")
    ids = [cid for cid, _ in checks]
    for cid, todo in checks:
        if step.name != "template" and not cid.startswith(step.short + "."):
            found.append(f"checks/test_{step.name}.py: o id {cid!r} deveria começar com {step.short + '.'!r}")
        for n in todo:
            if n not in todos:
                found.append(f"checks/test_{step.name}.py: {cid!r} julga o TODO {n}, que o arquivo do aluno não tem")
    for cid, _ in step.check_weights:
        if cid not in ids:
            found.append(f"exercicios.toml ({step.name}): `pesos` cita {cid!r}, que não é uma verificação do passo")
    for section in re.findall(r'section="([^"]+)"', check_text):
        if section not in in_guide:
            found.append(f"checks/test_{step.name}.py: section={section!r} não existe no guia")
    found += _message_problems(step, check_text)
    return found


def _message_problems(step: exercises.Step, text: str) -> list[str]:
    """The message rule, statically: every fail(...) says expected, got, a hint and a section."""
    found = []
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "fail":
            given = {k.arg for k in node.keywords}
            missing = {"expected", "got", "hint", "section"} - given
            if missing:
                found.append(f"checks/test_{step.name}.py, linha {node.lineno}: fail(...) sem {', '.join(sorted(missing))}")
        if isinstance(node, ast.Assert):
            found.append(f"checks/test_{step.name}.py, linha {node.lineno}: `assert` numa verificação (o pytest "
                         "troca a mensagem por um diff em inglês); use fail(...)")
    return found


# ---------------------------------------------------------------------------------------------
# dia3 dev new exNN_nome
# ---------------------------------------------------------------------------------------------

SOLUTION = '''### BEGIN SOLUTION
#| """Exercício {n} — {title} (guia §{section}).
#|
#| Confira com:  dia3 check {short}      Travou? dia3 hint {short}
#| """
"""Exercício {n} — {title}: solução de referência (fonte de exercises/{name}.py)."""
### END SOLUTION

from __future__ import annotations


# TODO 1: descreva o que o aluno faz (guia §{section}).
#   - o passo a passo, em português
def solve(x: int) -> int:
    ### BEGIN SOLUTION
    #| raise NotImplementedError("TODO 1 em solve(): descreva aqui o que falta")
    #1| raise NotImplementedError("TODO 1 em solve(): quase pronto, complete a linha abaixo")
    #3| raise NotImplementedError("TODO 1 em solve()")
    return x
    ### END SOLUTION
'''

CHECK = '''"""Verificações do exercício {n} — {title} (`dia3 check {short}`)."""

from __future__ import annotations

import secrets

import pytest

from dia3.harness import around_first_difference, fail

STEP = "{name}"
pytestmark = pytest.mark.timeout(10)


@pytest.mark.check("{short}.exemplo", todo=1)
def test_example(exercise):
    value = secrets.choice(range(1, 100))  # inputs chosen per run: a lookup table cannot pass
    got = exercise.call("solve", value, what=f"solve({{value}})")
    if got != value:
        expected, received = around_first_difference(value, got)
        fail(f"solve({{value}}) devolveu o valor errado.", expected=expected, got=received,
             hint="diga aqui a causa provável do erro.", section="{section}")
'''

ENTRY = '''
[[passo]]
nome = "{name}"
titulo = "{title}"
secao = "{section}"
bonus = true  # um passo novo entra como bônus: o plano de {minutes} minutos não muda
minutos = 15
dicas = [
  "Empurrão: o conceito, sem código.",
  "Caminho: as funções e a ordem.",
  "Quase a solução: o trecho principal.",
]
'''


def new_step(name: str, root: Path = exercises.REPO_ROOT, title: str = "Título do passo", section: str = "10") -> list[Path]:
    """Write the skeleton of a step: solution, checks, catalogue entry, the generated learner file."""
    if not re.fullmatch(r"ex\d{2}_[a-z0-9_]+", name):
        raise ValueError("o nome do passo é exNN_nome (minúsculas, números e _), ex.: ex12_retentativas")
    catalogue = root / "exercises" / "exercicios.toml"
    if any(s.name == name or s.short == name.split("_")[0] for s in exercises.steps(catalogue)):
        raise ValueError(f"já existe um passo {name.split('_')[0]}")
    fields = dict(name=name, short=name.split("_")[0], n=int(name[2:4]), title=title, section=section, minutes=DAY_MINUTES)
    solution = root / "solutions" / f"{name}.py"
    check = root / "checks" / f"test_{name}.py"
    for path in (solution, check):
        if path.exists():
            raise ValueError(f"{path.relative_to(root)} já existe")
    solution.write_text(SOLUTION.format(**fields), encoding="utf-8")
    check.write_text(CHECK.format(**fields), encoding="utf-8")
    before = day_ranges(exercises.steps(catalogue))
    text = catalogue.read_text(encoding="utf-8")
    head, sep, tail = text.rpartition('[[passo]]\nnome = "template"')  # the capstone stays last
    catalogue.write_text(head.rstrip("\n") + "\n" + ENTRY.format(**fields) + "\n" + sep + tail, encoding="utf-8")
    readme = root / "README.md"
    if readme.exists() and before:  # the README's list of the day grows with the new bonus step
        readme.write_text(readme.read_text(encoding="utf-8").replace(before, day_ranges(exercises.steps(catalogue))),
                          encoding="utf-8")
    guide = root / "GUIA_APRENDIZADO.md"
    text = guide.read_text(encoding="utf-8")
    row = "| `template` | o projeto final |"
    if row in text:  # the §10 table lists every step: the new one goes right before the capstone
        guide.write_text(text.replace(row, f"| `{fields['short']}` (bônus) | {title} | §{section} |\n{row}", 1), encoding="utf-8")
    learner = scaffold.write(root, only=[f"exercises/{name}.py"])[0]
    return [solution, check, catalogue, guide, readme, learner]


def main_check(root: Path) -> int:
    found = problems(root)
    for line in found:
        print(f"✗ {line}")
    if found:
        print(f"\n{len(found)} problema(s). Corrija e rode `dia3 dev check` de novo.")
        return 1
    print("✓ todas as convenções do kit valem (passos, arquivos gerados, TODOs, dicas, seções, verificações, pesos, corpus, plano de 160 minutos)")
    return 0
