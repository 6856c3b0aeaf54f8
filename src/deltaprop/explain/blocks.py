"""The document: language-neutral blocks that the renderers turn into text, Markdown or HTML.

An explanation is a list of :class:`Heading`, :class:`Para`, :class:`Equation`, :class:`Table`
and :class:`Graph` blocks. Prose is never spelled out here: a :class:`Words` names a key of
:data:`deltaprop.explain.prose.PROSE` and carries the values of its placeholders, so the same
blocks read in every language. The graph block holds what the computation graph shows
(the columns x → z → a → … → C, the neurons drawn, their values); how it is drawn is the
HTML renderer's.

Symbols → names: x, z^l, a^l, C → the ``kind`` of a :class:`GraphColumn` (``"x"``, ``"z"``,
``"a"``, ``"C"``); l → ``layer``; ‖∂C/∂W^l‖ → ``grad_norm``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .formula import Math

__all__ = ["Words", "Heading", "Para", "Equation", "Table", "Graph", "GraphColumn", "Label"]


@dataclass(frozen=True)
class Words:
    """Prose: a key of :data:`~deltaprop.explain.prose.PROSE` and the values of its placeholders
    (Math, numbers, str or Words)."""

    key: str
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Heading:
    """A heading: level 1 for the title, 2 for a section."""

    words: Words
    level: int = 2


@dataclass(frozen=True)
class Para:
    """A paragraph of prose."""

    words: Words


@dataclass(frozen=True)
class Equation:
    """A displayed formula."""

    math: Math


@dataclass(frozen=True)
class Table:
    """Header cells and rows; a cell is Math, a float, an int (an index, already counted from 1),
    :class:`Words`, a bool (✓ or ✗) or a literal str."""

    header: list
    rows: list[list]


@dataclass(frozen=True)
class Label:
    """A node's label in the graph: ``symbol = value``."""

    symbol: Math
    value: float


@dataclass(frozen=True)
class GraphColumn:
    """One column of the computation graph.

    Attributes
    ----------
    kind : {"x", "z", "a", "C"}
        The inputs, the weighted inputs or the activations of a layer, or the cost.
    layer : int or None
        l, numbered as in the book (None for the inputs and the cost).
    nodes : tuple of (Label, Label or None)
        The neurons drawn, top to bottom: the forward value and, for z and a, the backward
        one (δ^l_j, ∂C/∂a^l_j).
    chosen : int
        The position in ``nodes`` of the worked neuron (on the chosen path).
    size : int
        How many neurons the layer has; those not drawn are counted under the column.
    grad_norm : float or None
        ‖∂C/∂W^l‖ for a z column, whose parameters W^l, b^l branch off above it.
    """

    kind: str
    layer: int | None
    nodes: tuple[tuple[Label, Label | None], ...]
    chosen: int
    size: int
    grad_norm: float | None = None


@dataclass(frozen=True)
class Graph:
    """The computation graph, columns left to right: drawn by the HTML renderer, left out of
    text and Markdown.

    Attributes
    ----------
    columns : tuple of GraphColumn
        Left to right: x, then z and a of each layer, then C.
    paths : tuple of tuple of (int, int)
        Paths drawn over the graph (a derivation's paths from a weight to the cost): each a
        sequence of nodes (column, position in the column's ``nodes``), left to right.
    """

    columns: tuple[GraphColumn, ...]
    paths: tuple[tuple[tuple[int, int], ...], ...] = ()
