"""An explanation: the numbers of one pass with the language of its prose, and its formats.

:func:`explain` computes the :class:`~deltaprop.explain.numbers.Numbers` of one example and
returns them as an :class:`Explanation`, which builds its blocks
(:func:`deltaprop.explain.sections.document`) and hands them to a renderer: text (rich),
Markdown, HTML or, for the numbers themselves, JSON.

Symbols → names: η → ``lr``; the chosen neuron (l, j) → ``neuron``; the language → ``lang``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .numbers import Numbers
from .prose import language
from .render_html import render_html
from .render_markdown import render_markdown
from .render_text import render_text, rich_blocks
from .sections import document

__all__ = ["Explanation", "explain"]


@dataclass
class Explanation(Numbers):
    """One forward and one backward pass on one example, and how to show it.

    Built by :func:`explain`. It has every attribute of :class:`~deltaprop.explain.numbers.Numbers`
    (``x``, ``weighted_inputs``, ``deltas``, ``dW``, ``numerical_dW``, ``check``, …) and one more.

    Attributes
    ----------
    lang : str
        The language of the prose, ``"en"`` or ``"zh"``: the default of every format.
    """

    lang: str = "en"

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def document(self) -> list:
        """The explanation as blocks (Heading, Para, Equation, Table, Graph), language-neutral."""
        return document(self)

    def to_text(self, width: int = 100, lang: str | None = None) -> str:
        """Plain text with rich tables, ``width`` columns wide, no colour."""
        return render_text(self.document(), language(lang or self.lang), width)

    def to_markdown(self, lang: str | None = None) -> str:
        """Markdown with LaTeX ``$…$`` and ``$$…$$``, for notebooks and GitHub."""
        return render_markdown(self.document(), language(lang or self.lang))

    def to_html(self, lang: str | None = None, page: bool = True) -> str:
        """One self-contained HTML page (or, with ``page=False``, an embeddable fragment):
        MathML equations, an inline SVG computation graph, no scripts, nothing fetched."""
        return render_html(self.document(), language(lang or self.lang), page)

    def _repr_html_(self) -> str:
        return self.to_html(page=False)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __rich_console__(self, console, options) -> Iterator:
        yield from rich_blocks(self.document(), self.lang, color=True)


def explain(
    net: object, x: object, y: object, lr: float | None = None, neuron: Sequence[int] | None = None, lang: str = "en"
) -> Explanation:
    """Run one forward and one backward pass on one example and explain it step by step.

    Parameters
    ----------
    net : Network
        Left unchanged; the explanation works on a float64 copy.
    x : array_like, shape (n_0,)
        One input.
    y : int or array_like
        Its class label, or its target vector of shape (n_out,).
    lr : float, optional
        η: also show one step of gradient descent, W ← W − η ∂C/∂W.
    neuron : (int, int), optional
        The neuron (l, j) whose path is worked out in full, numbered as in the equations:
        layer l from 2 (the first layer after the input) to L, j from 1. By default the neuron
        with the largest |δ| in the last hidden layer (the output layer if there is none).
    lang : {"en", "zh"}
        The language of the prose.

    Returns
    -------
    Explanation

    Raises
    ------
    TypeError
        If ``net`` is not a :class:`~deltaprop.Network`.
    ValueError
        For an input or target of the wrong shape or out of range, a bad ``lr``, ``neuron``
        or ``lang``.
    """
    lang = language(lang)
    explanation = Explanation.of(net, x, y, lr, neuron)
    explanation.lang = lang
    return explanation
