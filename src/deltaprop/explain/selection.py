"""What of a large network is shown: the rules that keep an explanation readable.

A layer of more than :data:`FULL` neurons shows the :data:`TOP` with the largest |value| and the
chosen neuron; a matrix with a side longer than FULL is given by its shape, norm and largest
entries; a sum of more than FULL terms shows its TOP largest; a column of the graph draws at most
:data:`GRAPH_ROWS` neurons. The numbers (:mod:`deltaprop.explain.numbers`) difference the entries
shown here, and the sections (:mod:`deltaprop.explain.sections`) show them.

Symbols → names: ∂C/∂W^l → ``dW``; the activations a^{l−1} coming in → ``a_in``; the worked
neuron j of layer l and k of layer l−1 → ``j``, ``k`` (0-based).
"""

from __future__ import annotations

import numpy as np

__all__ = ["FULL", "TOP", "GRAPH_ROWS", "shown_indices", "shown_weights", "terms", "graph_rows"]

#: Vectors, sums and matrix sides up to this length are shown in full.
FULL = 10
#: How many of the largest entries a summary shows.
TOP = 5
#: Largest number of neurons drawn in one column of the graph (the rest are counted).
GRAPH_ROWS = 6


def shown_indices(values: np.ndarray, keep: int) -> list[int]:
    """Every index of a short vector; of a long one, the TOP largest |values| and ``keep``, in order."""
    if values.size <= FULL:
        return list(range(values.size))
    return sorted({*(int(i) for i in np.argsort(-np.abs(values), kind="stable")[:TOP]), keep})


def shown_weights(dW: np.ndarray, a_in: np.ndarray, j: int, k: int) -> list[tuple[int, int]]:
    """Every entry (j, k) of a small ∂C/∂W, row by row; of a large one, the worked neuron j's row
    (its largest |a_in| and ``k``) and the TOP largest |∂C/∂w| anywhere, in order."""
    if dW.size <= 2 * FULL:
        return [(r, c) for r in range(dW.shape[0]) for c in range(dW.shape[1])]
    largest = np.argsort(-np.abs(dW), axis=None, kind="stable")[:TOP]
    return sorted({(j, c) for c in shown_indices(a_in, k)} | {divmod(int(f), dW.shape[1]) for f in largest})


def terms(products: np.ndarray) -> tuple[list[int], bool]:
    """The terms of a sum to show: all of a short one, else the TOP largest; and whether cut."""
    if products.size <= FULL:
        return list(range(products.size)), False
    return sorted(int(i) for i in np.argsort(-np.abs(products), kind="stable")[:TOP]), True


def graph_rows(values: np.ndarray, keep: int) -> list[int]:
    """The neurons of a graph column that are drawn: all of a small layer, else the largest |values| and ``keep``."""
    if values.size <= GRAPH_ROWS:
        return list(range(values.size))
    largest = [int(i) for i in np.argsort(-np.abs(values), kind="stable")[:GRAPH_ROWS]]
    return sorted(largest if keep in largest else largest[:-1] + [keep])
