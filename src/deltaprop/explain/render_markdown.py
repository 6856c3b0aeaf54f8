"""The Markdown form of an explanation: LaTeX ``$…$`` inline and ``$$…$$`` displayed, for
notebooks and GitHub. Tables are Markdown tables, right-aligned; the graph is left out.

Symbols → names: a table cell or placeholder value → ``value``; the language → ``lang``.
"""

from __future__ import annotations

from .blocks import Equation, Heading, Para, Table, Words
from .formula import Math
from .prose import say
from .render_text import text_value

__all__ = ["render_markdown"]


def _value(value: object, lang: str) -> str:
    if isinstance(value, Math):
        return f"${value.tex()}$"
    if isinstance(value, Words):
        return say(value, lang, lambda v: _value(v, lang))
    return text_value(value, lang)


def render_markdown(blocks: list, lang: str) -> str:
    """The blocks as Markdown in ``lang``."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append("#" * block.level + " " + _value(block.words, lang))
        elif isinstance(block, Para):
            parts.append(_value(block.words, lang))
        elif isinstance(block, Equation):
            parts.append(f"$$\n{block.math.tex()}\n$$")
        elif isinstance(block, Table):
            lines = ["| " + " | ".join(_value(c, lang) for c in block.header) + " |", "|" + "---:|" * len(block.header)]
            lines += ["| " + " | ".join(_value(c, lang) for c in cells) + " |" for cells in block.rows]
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
