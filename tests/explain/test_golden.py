"""The text and Markdown of the default network against tests/golden, and what both forms keep.

Golden files: tests/golden/explain_default_{en,zh}.{txt,md} hold the text and Markdown of the
default network (``deltaprop explain`` with no options), and explain_derive_default_{en,zh}.{txt,md}
those of its derivation (``deltaprop explain --derive``). After an intended change, regenerate
them with ``DELTAPROP_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/explain`` and
read the diff before committing.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

import deltaprop as dp

from .common import default_explanation

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE_GOLDEN = os.environ.get("DELTAPROP_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def derived() -> dp.Explanation:
    return default_explanation(derive=True)


@pytest.mark.parametrize("derive", [False, True], ids=["explain", "derive"])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_golden_text_and_markdown_of_the_default_network(default, derived, fmt, lang, derive):
    e = derived if derive else default
    got = e.to_text(width=100, lang=lang) if fmt == "text" else e.to_markdown(lang=lang)
    path = GOLDEN / f"explain_{'derive_' if derive else ''}default_{lang}.{'txt' if fmt == 'text' else 'md'}"
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8"), f"{path} differs; see this module's docstring to regenerate it"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_terminal_gets_the_same_text_in_colour(lang):
    from rich.console import Console

    e = default_explanation(lang=lang)
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system="standard")
    console.print(e)
    coloured = console.file.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert coloured != plain  # styled
    assert "\n".join(line.rstrip() for line in plain.splitlines()) + "\n" == e.to_text(width=100)


@pytest.mark.parametrize("derive", [False, True], ids=["explain", "derive"])
def test_both_languages_show_the_same_equations_and_numbers(default, derived, derive):
    default = derived if derive else default
    def math_and_numbers(markdown: str) -> list[str]:
        equations = re.findall(r"\$\$\n(.*?)\n\$\$", markdown, flags=re.S)
        lines = markdown.splitlines()
        table_rows = [line for above, line in zip(lines, lines[1:]) if line.startswith("| ") and above.startswith("|")]  # bodies, not headers
        table_rows = [[cell for cell in line.split(" | ") if "$" in cell or re.fullmatch(r"[|\s\d.e+\-✓✗]*", cell)] for line in table_rows]  # not their prose
        inline = re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", markdown)
        return equations + table_rows + inline

    en, zh = default.to_markdown(lang="en"), default.to_markdown(lang="zh")
    assert en != zh and "反向传播" in zh
    assert math_and_numbers(en) == math_and_numbers(zh)
    assert len(math_and_numbers(en)) > 40


@pytest.mark.parametrize("derive", [False, True], ids=["explain", "derive"])
def test_markdown_keeps_its_latex_balanced(default, derived, derive):
    md = (derived if derive else default).to_markdown()
    assert md.count("$$") % 2 == 0 and md.replace("$$", "").count("$") % 2 == 0
    for equation in re.findall(r"\$\$\n(.*?)\n\$\$", md, flags=re.S):
        assert equation.count(r"\left") == equation.count(r"\right") and equation.count("{") == equation.count("}")
    for math in re.findall(r"\$\$?(.*?)\$\$?", md, flags=re.S):
        assert math.isascii(), math  # every symbol a LaTeX command: → is \to, δ is \delta
