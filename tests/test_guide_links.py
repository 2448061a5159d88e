"""Every section a check, a hint or the CLI points to exists in the guide, with a stable anchor."""

from __future__ import annotations

import re

from conftest import REPO
from dia3.guide import SECTIONS, anchor, heading

GUIDE = (REPO / "GUIA_APRENDIZADO.md").read_text(encoding="utf-8")
HEADINGS = {line.lstrip("#").strip() for line in GUIDE.splitlines() if re.match(r"^#{2,3} ", line)}


def test_every_section_has_its_heading():
    missing = [heading(n) for n in SECTIONS if heading(n) not in HEADINGS]
    assert missing == []


def test_every_section_cited_in_code_exists():
    sources = list((REPO / "checks").glob("*.py")) + list((REPO / "dia3").glob("*.py"))
    cited = {m for p in sources for m in re.findall(r'section="([\d.]+)"', p.read_text(encoding="utf-8"))}
    assert cited and cited <= set(SECTIONS)


def test_links_inside_the_guide_point_to_headings():
    anchors = {anchor(n) for n in SECTIONS}
    links = set(re.findall(r"\]\(#([^)]+)\)", GUIDE))
    assert links and links <= anchors


def test_anchor_follows_github_rules():
    assert anchor("3.3") == "33-o-fim-do-stream-done-e-event-error"
    assert anchor("5.2") == "52-todo-2-autenticação-segura"


def test_guide_fixes_the_seed_mistakes():
    code = "\n".join(re.findall(r"```python\n(.*?)```", GUIDE, re.S))
    assert "\\\\n\\\\n" not in code  # no literal backslash-n framing in code
    assert "curl -N http://localhost:8000/api/generate" not in GUIDE  # the POST route is not a GET
    assert "curl -N -X POST http://localhost:8000/api/generate" in GUIDE
    assert "create_agent" in GUIDE


def test_sections_cited_in_the_instructor_guide_and_hints_exist():
    texts = [(REPO / "GUIA_INSTRUTOR.md").read_text(encoding="utf-8"),
             (REPO / "exercises" / "exercicios.toml").read_text(encoding="utf-8")]
    cited = {m for t in texts for m in re.findall(r"§(\d+(?:\.\d+)?)", t)}
    assert cited and cited <= set(SECTIONS)
