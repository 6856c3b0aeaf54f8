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
from typing import TYPE_CHECKING

from .numbers import Numbers
from .prose import language
from .render_html import render_html
from .render_markdown import render_markdown
from .render_text import render_text, rich_blocks
from .sections import document

if TYPE_CHECKING:
    from .derivation import Derivation

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
    derivation : Derivation or None
        With ``derive=True``: the chain rule behind the numbers, for the chosen weight
        (the proofs of BP1–BP4, Ng's chain, the path sum, the multiplication counts).
    """

    lang: str = "en"
    derivation: Derivation | None = None

    def to_dict(self) -> dict:
        """Everything as plain JSON values (see :meth:`Numbers.to_dict`); with a derivation, also
        ``derivation`` (the path sum of the chosen weight, as DESIGN.md fixes it) and ``proofs``
        (the terms of BP1–BP4's proofs and of Ng's chain, the multiplication counts in parts)."""
        out = super().to_dict()
        if self.derivation is not None:
            out["derivation"] = self.derivation.to_dict()
            out["proofs"] = self.derivation.proofs_dict(self)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def document(self) -> list:
        """The explanation as blocks (Heading, Para, Equation, Table, Graph), language-neutral;
        with a derivation, its sections follow the explanation's."""
        blocks = document(self)
        if self.derivation is not None:
            from .proofs import derivation_blocks  # the derivation view's modules load only when asked for

            blocks += derivation_blocks(self, self.derivation, 7 if self.lr is None else 8)
        return blocks

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
    net: object, x: object, y: object, lr: float | None = None, neuron: Sequence[int] | None = None, lang: str = "en",
    derive: bool = False, weight: Sequence[int] | None = None,
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
    derive : bool
        Also show why the equations hold, with the numbers: the chain-rule proofs of BP1–BP4
        term by term, Ng's chain for the weight factor by factor, the weight's gradient as the
        sum over every path from it to the cost, and the multiplications that caching δ saves.
    weight : (int, int, int), optional
        With ``derive``: the weight w^l_jk (l, j, k) derived, numbered as in the equations
        (layer l from 2, j and k from 1). By default w^2_11, the first weight of the first layer
        (Ng's Θ^(1)_11).

    Returns
    -------
    Explanation

    Raises
    ------
    TypeError
        If ``net`` is not a :class:`~deltaprop.Network`.
    ValueError
        For an input or target of the wrong shape or out of range, a bad ``lr``, ``neuron``,
        ``lang``, ``derive`` or ``weight``.
    """
    lang = language(lang)
    if not isinstance(derive, bool):
        raise ValueError(f"derive must be True or False; got {derive!r}")
    if weight is not None and not derive:
        raise ValueError(f"weight {tuple(weight) if isinstance(weight, list) else weight!r} picks the weight of the derivation; give derive=True too")
    explanation = Explanation.of(net, x, y, lr, neuron, (2, 1, 1) if derive and weight is None else weight)
    explanation.lang = lang
    if derive:
        from .derivation import Derivation

        explanation.derivation = Derivation.of(explanation, explanation.weight)
    return explanation
