"""The text form of an explanation: rich renderables for the terminal, or plain text.

:func:`rich_blocks` turns the blocks of :mod:`deltaprop.explain.blocks` into rich renderables
(rules for headings, paragraphs, indented equations, tables); :func:`render_text` prints them
to a string without colour. Formulas print as Unicode text (δ²₁, σ′(z²₁)); Chinese paragraphs
may break between any two characters. The graph is drawn by the HTML renderer only.

Symbols → names: a table cell or placeholder value → ``value``; the language → ``lang``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from .blocks import Equation, Heading, Para, Table, Words
from .formula import Math, fmt
from .prose import say

__all__ = ["render_text", "rich_blocks", "text_value"]


def text_value(value: object, lang: str) -> str:
    """A prose placeholder or table cell as text: ✓/✗ for a bool, a formula's text, 6 digits for a float."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, Math):
        return value.text()
    if isinstance(value, Words):
        return say(value, lang, lambda v: text_value(v, lang))
    if isinstance(value, float):
        return fmt(value)
    return str(value)


def rich_blocks(blocks: list, lang: str, color: bool = False) -> Iterator:
    """rich renderables for the blocks (the Graph block is drawn by the HTML renderer only)."""
    from rich import box
    from rich.padding import Padding
    from rich.rule import Rule
    from rich.table import Table as RichTable
    from rich.text import Text

    for block in blocks:
        if isinstance(block, Heading):
            yield Text()
            yield Rule(Text(text_value(block.words, lang), style="bold"), characters="═" if block.level == 1 else "─", align="left",
                       style="cyan" if color else "")
        elif isinstance(block, Para):
            yield Text()
            yield Text(text_value(block.words, lang)) if lang == "en" else _Chinese(text_value(block.words, lang))
        elif isinstance(block, Equation):
            yield Padding(Text(block.math.text(), style="bold" if color else ""), (0, 0, 0, 4))
        elif isinstance(block, Table):
            table = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
            for cell in block.header:
                table.add_column(text_value(cell, lang), justify="right")
            for cells in block.rows:
                table.add_row(*(text_value(c, lang) for c in cells))
            yield Padding(table, (0, 0, 0, 4))


def render_text(blocks: list, lang: str, width: int = 100) -> str:
    """The blocks as plain text with rich tables, ``width`` columns wide, no colour, no trailing spaces."""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
    for renderable in rich_blocks(blocks, lang):
        console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


_CJK_TOKEN = re.compile(r"[(「]?[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef][,。、;:)」]*|[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+|\s+")


class _Chinese:
    """A paragraph of Chinese for rich: lines may break between any two characters (but not
    inside a Latin word, nor before closing punctuation); rich itself breaks only at spaces."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console, options) -> Iterator:
        from rich.cells import cell_len
        from rich.text import Text

        lines, line = [], ""
        for token in _CJK_TOKEN.findall(self.text):
            if token.isspace():
                line += " " if line else ""
            elif line and cell_len(line + token) > options.max_width:
                lines.append(line.rstrip())
                line = token
            else:
                line += token
        yield Text("\n".join(lines + [line.rstrip()]))
