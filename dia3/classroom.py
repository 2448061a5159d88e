"""The GitHub Classroom autograding workflow, generated from the catalogue and the weights.

One `autograding-command-grader` test per step (exercise or capstone), each running
``dia3 check STEP`` with the *kit's* checks against the learner's repository; its points are the
sum of the step's check weights (derived from exercises/exercicios.toml) (Classroom gives a test all or nothing; partial
credit per check is what `dia3 grade` adds). `dia3 classroom` rewrites the file; a test keeps the
committed one in sync and runs the very commands it contains.
"""

from __future__ import annotations

from pathlib import Path

from dia3 import exercises
from dia3.grade import load_weights

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "classroom.yml"

HEADER = """\
# Correção automática do GitHub Classroom — GERADO por `dia3 classroom` (não edite à mão).
#
# Roda em cada repositório de aluno criado a partir deste modelo. As verificações vêm do kit
# (variável DIA3_KIT_REPO, ex.: minha-org/dia3, na versão DIA3_KIT_REF), não da cópia do aluno —
# assim editar checks/ no próprio repositório não muda a nota. No repositório do kit, defina a
# variável DIA3_EH_O_KIT=true para este workflow não rodar lá. Passo a passo: GUIA_INSTRUTOR.md §5.
name: Correção automática (dia3)
"on":
  - push
  - workflow_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  correcao:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]' && vars.DIA3_EH_O_KIT != 'true'
    timeout-minutes: 30
    steps:
      - name: Repositório do aluno
        uses: actions/checkout@v4
        with:
          path: entrega
      - name: O kit (verificações oficiais)
        uses: actions/checkout@v4
        with:
          repository: ${{ vars.DIA3_KIT_REPO || github.repository }}
          ref: ${{ vars.DIA3_KIT_REF || '' }}
          path: kit
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Instala o kit
        run: |
          python -m pip install --quiet -r kit/requirements.lock
          python -m pip install --quiet --no-deps -e kit
          # the judge runs the learner's code in a subject process; the reference solutions are
          # not needed to grade and must not be on the runner for that code to find
          rm -rf kit/solutions
"""

STEP = """\
      - name: {title}
        id: {id}
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: {name}
          command: {command}
          timeout: 5
          max-score: {points}
"""


# The command grader runs its command with almost no environment (PATH and HOME): the paths are
# written in full, with the workspace expanded by Actions itself.
WORKSPACE = "${{ github.workspace }}"


def command(step_name: str) -> str:
    return f'cd "{WORKSPACE}/kit" && python -m dia3.cli check {step_name} --target "{WORKSPACE}/entrega"'


def points() -> dict[str, int]:
    totals: dict[str, float] = {}
    for weight in load_weights().values():
        totals[weight["passo"]] = totals.get(weight["passo"], 0) + weight["peso"]
    return {name: max(1, round(total)) for name, total in totals.items()}


def render() -> str:
    per_step = points()
    parts = [HEADER]
    ids = []
    for step in exercises.steps():
        sid = step.name.replace("_", "-")
        ids.append(sid)
        title = step.title.replace('"', "'")
        parts.append(STEP.format(title=f'"{step.short}: {title}"', id=sid, name=step.name,
                                 command=f"'{command(step.name)}'", points=per_step.get(step.name, 1)))
    env = "\n".join(f"          {sid.upper()}_RESULTS: \"${{{{ steps.{sid}.outputs.result }}}}\"" for sid in ids)
    parts.append(
        "      - name: Relatório de pontos\n"
        "        uses: classroom-resources/autograding-grading-reporter@v1\n"
        "        env:\n" + env + "\n"
        "        with:\n"
        f"          runners: {','.join(ids)}\n"
    )
    return "".join(parts)


def write() -> Path:
    WORKFLOW.parent.mkdir(parents=True, exist_ok=True)
    WORKFLOW.write_text(render(), encoding="utf-8")
    return WORKFLOW
