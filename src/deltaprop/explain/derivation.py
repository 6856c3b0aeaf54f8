"""The numbers of the derivations: the chain rule that BP1–BP4 and δ come from, with one pass's values.

:meth:`Derivation.of` takes the :class:`~deltaprop.explain.numbers.Numbers` of one pass and a
weight w^l_jk and works out, from the local derivatives of that pass (σ'(z), the Jacobian
∂a/∂z of each layer, the weights, ∇_a C):

- BP1's chain-rule sum δ^L_j = Σ_k ∂C/∂a^L_k ∂a^L_k/∂z^L_j, term by term (the terms k ≠ j vanish
  for an element-wise output, not for softmax);
- BP2's sum δ^l_j = Σ_k ∂z^{l+1}_k/∂z^l_j δ^{l+1}_k with ∂z^{l+1}_k/∂z^l_j = w^{l+1}_kj σ'(z^l_j);
- Ng's chain for the weight: the factors along one path of the computation graph;
- the path sum: ∂C/∂w^l_jk as the sum over every path from the weight to the cost of the
  product of the local derivatives along it, which equals backprop's a^{l−1}_k δ^l_j;
- the multiplications that computing every gradient entry by its own path sum takes, against
  backprop's forward and backward pass (:func:`multiplications`).

Nothing here imports the computation: the Jacobian of a layer comes from its activation's own
``backward`` (the Jacobian-vector product), applied to the unit vectors.

Symbols → names, numbered as in Nielsen's book (layer 1 is the input; neurons count from 1 in
``weight``, from 0 in the arrays): w^l_jk → ``weight = (l, j, k)``; ∂a^l/∂z^l → ``jacobians[l−2]``
(rows k, columns j: ∂a^l_k/∂z^l_j); ∂C/∂a^L → ``grad_a``; the number of paths → ``n_paths``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .numbers import Numbers

__all__ = ["Derivation", "Path", "Multiplications", "multiplications", "LISTED", "ENUMERATED", "node_name"]

#: How many paths a derivation lists (the JSON and the documents): the rest are counted and summed.
LISTED = 16
#: Up to this many paths the path sum adds every path's product; beyond, it accumulates the
#: same products forward from the weight, grouped by the node they pass through.
ENUMERATED = 100_000


@dataclass(frozen=True)
class Path:
    """One path from a weight w^l_jk to the cost C and the local derivatives along it.

    Attributes
    ----------
    neurons : tuple of (int, int)
        Per layer from l to L, the neuron (0-based) whose z the path enters and the neuron whose
        a it leaves by: the same one for an element-wise activation.
    factors : tuple of float
        ∂z^l_j/∂w^l_jk = a^{l−1}_k, then ∂a/∂z and ∂z/∂a (a weight) alternately, then ∂C/∂a^L.
    product : float
        The product of the factors, left to right.
    """

    neurons: tuple[tuple[int, int], ...]
    factors: tuple[float, ...]
    product: float


@dataclass(frozen=True)
class Multiplications:
    """Multiplications of the chain rule for a whole gradient (every weight and bias).

    The local derivatives (σ'(z), ∂a/∂z, ∂C/∂a) come from the forward pass and are the same
    for both methods; additions are not counted, nor a factor that is 1 by construction
    (∂z/∂b, and ∂C/∂C where backprop starts).

    Attributes
    ----------
    forward : int
        The forward pass: one multiplication per weight, W^l a^{l−1}.
    backward : int
        Backprop's backward pass: one per edge z → a and a → z passed back (BP1, BP2) and
        one per weight (BP4, a^{l−1}_k δ^l_j); BP3 takes none.
    path_products : int
        Every parameter's own path sum: each path of f factors takes f − 1 multiplications.
    """

    forward: int
    backward: int
    path_products: int

    @property
    def path_sums(self) -> int:
        """Every gradient entry by its own path sum: the forward pass, then the path products."""
        return self.forward + self.path_products

    @property
    def backprop(self) -> int:
        """Backprop: the forward pass, then the backward pass."""
        return self.forward + self.backward


def multiplications(sizes: Sequence[int], elementwise: Sequence[bool]) -> Multiplications:
    """Count the multiplications of the whole gradient by per-entry path sums and by backprop.

    Parameters
    ----------
    sizes : sequence of int
        The layer widths n_1 … n_L (input first).
    elementwise : sequence of bool
        Per layer with weights (2 … L): whether its activation is element-wise (a^l_j depends
        on z^l_j alone: one edge z → a per neuron) or couples its outputs (softmax: n_l² edges).

    Returns
    -------
    Multiplications
    """
    L = len(sizes)
    n = [0, *sizes]  # n[l] for l = 1 … L, as in the book
    fan = {l: 1 if elementwise[l - 2] else n[l] for l in range(2, L + 1)}  # a-neurons reached from one z
    forward = sum(n[l] * n[l - 1] for l in range(2, L + 1))
    backward = sum(n[l] * fan[l] for l in range(2, L + 1)) + sum(n[l] * n[l - 1] for l in range(3, L + 1)) + forward
    path_products = 0
    for l in range(2, L + 1):
        paths = fan[l] * math.prod(n[m] * fan[m] for m in range(l + 1, L + 1))  # from any one z^l_j to C
        per_weight, per_bias = 2 * (L - l) + 2, 2 * (L - l) + 1  # factors − 1: a^{l−1}_k is one more than ∂z/∂b = 1
        path_products += n[l] * paths * (n[l - 1] * per_weight + per_bias)
    return Multiplications(forward, backward, path_products)


def node_name(kind: str, layer: int | None = None, *indices: int) -> str:
    """A node of the computation graph in plain text, numbered from 1: ``z^3_2``, ``w^2_11``
    (``w^2_12,3`` when an index has two digits), ``C``."""
    if layer is None:
        return kind
    shown = [str(i + 1) for i in indices]
    return f"{kind}^{layer}_" + ("," if any(len(s) > 1 for s in shown) else "").join(shown)


@dataclass
class Derivation:
    """The chain rule behind one pass's numbers, for one weight w^l_jk.

    Built by :meth:`of`. Arrays are float64; indices 0-based unless said otherwise.

    Attributes
    ----------
    weight : tuple of int
        (l, j, k) numbered as in the book: layer l from 2, j and k from 1.
    jacobians : list of ndarray
        ∂a^l/∂z^l for l = 2 … L, shape (n_l, n_l), rows k and columns j: ∂a^l_k/∂z^l_j;
        diagonal for an element-wise activation.
    bp1_neuron : int
        The output neuron j whose BP1 sum is written out (the explanation's worked one).
    bp1_terms : ndarray
        ∂C/∂a^L_k ∂a^L_k/∂z^L_j for every k: the terms of BP1's chain-rule sum.
    bp2_neuron : (int, int) or None
        The hidden neuron (l, j), l numbered as in the book, whose BP2 sum is written out:
        the weight's own when it is hidden; None without a hidden layer.
    bp2_factors : ndarray or None
        ∂z^{l+1}_k/∂z^l_j = w^{l+1}_kj σ'(z^l_j) for every k.
    bp2_terms : ndarray or None
        ∂z^{l+1}_k/∂z^l_j δ^{l+1}_k for every k: the terms of BP2's chain-rule sum.
    chain : Path
        Ng's chain for the weight: the path through the explanation's worked neurons (the weight's
        own neuron j in layer l).
    chain_front : float
        The product of the chain's factors without the last, ∂z^l_j/∂w^l_jk: the front part
        that δ^l_j caches (all of δ^l_j when the chain is the only path).
    paths : list of Path
        The first :data:`LISTED` paths from the weight to the cost.
    n_paths : int
        How many paths there are, exactly.
    path_sum : float
        The sum of every path's product (by accumulation beyond :data:`ENUMERATED` paths).
    enumerated : bool
        Whether ``path_sum`` added every path's product one by one.
    backprop : float
        Backprop's a^{l−1}_k δ^l_j, ``dW[l−2][j, k]``.
    multiplications : Multiplications
        The counts for this network.
    """

    weight: tuple[int, int, int]
    jacobians: list[np.ndarray]
    bp1_neuron: int
    bp1_terms: np.ndarray
    bp2_neuron: tuple[int, int] | None
    bp2_factors: np.ndarray | None
    bp2_terms: np.ndarray | None
    chain: Path
    chain_front: float
    paths: list[Path]
    n_paths: int
    path_sum: float
    enumerated: bool
    backprop: float
    multiplications: Multiplications

    @classmethod
    def of(cls, e: Numbers, weight: tuple[int, int, int]) -> Derivation:
        """Work out the derivations of the pass ``e`` for ``weight`` (l, j, k), already checked."""
        net = e.network
        L = len(net.sizes)
        l, j, k = weight[0], weight[1] - 1, weight[2] - 1
        jacobians = [_jacobian(act, z, a) for act, z, a in zip(net.activations, e.weighted_inputs, e.activations[1:])]
        grad_a = e.grad_activations[-1]
        jL = e.path[-1]
        bp2_neuron = (l, j) if l < L else (L - 1, e.path[L - 2]) if L > 2 else None
        bp2_factors = bp2_terms = None
        if bp2_neuron is not None:
            lb, jb = bp2_neuron
            bp2_factors = net.weights[lb - 1][:, jb] * e.derivatives[lb - 2][jb]  # ∂z^{l+1}_k/∂z^l_j = w^{l+1}_kj σ'(z^l_j)
            bp2_terms = bp2_factors * e.deltas[lb - 1]
        graph = _Graph(e, jacobians, l, j, k)
        chain_neurons = ((j, j if net.activations[l - 2].elementwise else e.path[l - 1]),) + tuple((e.path[m - 1], e.path[m - 1]) for m in range(l + 1, L + 1))
        chain = graph.path(chain_neurons)
        paths = list(itertools.islice(graph.paths(), LISTED))
        n_paths = graph.count()
        enumerated = n_paths <= ENUMERATED
        path_sum = math.fsum(p.product for p in graph.paths()) if enumerated else graph.accumulate()
        return cls(
            weight=(l, j + 1, k + 1),
            jacobians=jacobians,
            bp1_neuron=jL,
            bp1_terms=grad_a * jacobians[-1][:, jL],  # ∂C/∂a^L_k ∂a^L_k/∂z^L_j
            bp2_neuron=bp2_neuron,
            bp2_factors=bp2_factors,
            bp2_terms=bp2_terms,
            chain=chain,
            chain_front=math.prod(chain.factors[1:]),
            paths=paths,
            n_paths=n_paths,
            path_sum=path_sum,
            enumerated=enumerated,
            backprop=float(e.dW[l - 2][j, k]),
            multiplications=multiplications(net.sizes, [act.elementwise for act in net.activations]),
        )

    def path_nodes(self, path: Path) -> list[str]:
        """The nodes of ``path`` in plain text, weight first: ``w^2_11``, ``z^2_1``, ``a^2_1``, …, ``C``."""
        l, j, k = self.weight
        nodes = [node_name("w", l, j - 1, k - 1)]
        for m, (zi, ai) in enumerate(path.neurons, start=l):
            nodes += [node_name("z", m, zi), node_name("a", m, ai)]
        return nodes + ["C"]

    def to_dict(self) -> dict:
        """The ``derivation`` object of the JSON, exactly as DESIGN.md fixes it: ``weight``, ``paths``
        (the first :data:`LISTED`, each with ``nodes`` and ``product``), ``n_paths``, ``path_sum``,
        ``backprop`` and ``multiplications`` (``path_sums``, ``backprop``)."""
        return {
            "weight": list(self.weight),
            "paths": [{"nodes": self.path_nodes(p), "product": p.product} for p in self.paths],
            "n_paths": self.n_paths,
            "path_sum": self.path_sum,
            "backprop": self.backprop,
            "multiplications": {"path_sums": self.multiplications.path_sums, "backprop": self.multiplications.backprop},
        }

    def proofs_dict(self, e: Numbers) -> dict:
        """The terms of the proofs as plain JSON values: BP1's and BP2's sums term by term (and, for
        an output that couples its neurons, its whole Jacobian ∂a^L_k/∂z^L_j, rows k), Ng's chain
        factor by factor, and the multiplication counts in parts."""
        l, j, k = self.weight
        out: dict = {
            "bp1": {"neuron": [len(e.network.sizes), self.bp1_neuron + 1], "grad_a": e.grad_activations[-1].tolist(),
                    "da_dz": self.jacobians[-1][:, self.bp1_neuron].tolist(), "terms": self.bp1_terms.tolist(),
                    "sum": math.fsum(self.bp1_terms), "delta": float(e.deltas[-1][self.bp1_neuron]),
                    "jacobian": None if e.network.activations[-1].elementwise else self.jacobians[-1].tolist()},
            "bp2": None,
            "bp3": {"bias": [l, j], "delta": float(e.deltas[l - 2][j - 1]), "db": float(e.db[l - 2][j - 1])},
            "bp4": {"weight": [l, j, k], "a": float(e.activations[l - 2][k - 1]), "delta": float(e.deltas[l - 2][j - 1]), "dW": self.backprop},
            "chain": {"nodes": self.path_nodes(self.chain), "factors": list(self.chain.factors), "product": self.chain.product, "front": self.chain_front},
            "multiplications": {"forward": self.multiplications.forward, "backward": self.multiplications.backward,
                                "path_products": self.multiplications.path_products},
        }
        if self.bp2_neuron is not None:
            lb, jb = self.bp2_neuron
            out["bp2"] = {"neuron": [lb, jb + 1], "sp": float(e.derivatives[lb - 2][jb]), "dz_dz": self.bp2_factors.tolist(), "delta_next": e.deltas[lb - 1].tolist(),
                          "terms": self.bp2_terms.tolist(), "sum": math.fsum(self.bp2_terms), "delta": float(e.deltas[lb - 2][jb])}
        return out


def _jacobian(activation: object, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """∂a_k/∂z_j (rows k, columns j), from the activation's own Jacobian-vector product:
    ``backward(z, a, e_k)`` is row k of the Jacobian (its transpose applied to the unit vector e_k)."""
    if activation.elementwise:
        return np.diag(activation.derivative(z[None, :], a[None, :])[0])
    units = np.eye(z.size)
    return activation.backward(np.broadcast_to(z, units.shape), np.broadcast_to(a, units.shape), units)


class _Graph:
    """The computation graph below one weight w^l_jk: its paths to the cost, counted, listed and summed."""

    def __init__(self, e: Numbers, jacobians: list[np.ndarray], l: int, j: int, k: int) -> None:
        net = e.network
        self.L, self.l, self.j = len(net.sizes), l, j
        self.first = float(e.activations[l - 2][k])  # ∂z^l_j/∂w^l_jk = a^{l−1}_k
        self.weights, self.jacobians, self.grad_a = net.weights, jacobians, e.grad_activations[-1]
        self.elementwise = [act.elementwise for act in net.activations]

    def _a_choices(self, m: int, zi: int) -> range:
        """The a-neurons of layer m that z^m_zi reaches."""
        return range(zi, zi + 1) if self.elementwise[m - 2] else range(self.jacobians[m - 2].shape[0])

    def count(self) -> int:
        """The number of paths, exactly."""
        total = len(self._a_choices(self.l, self.j))
        for m in range(self.l + 1, self.L + 1):
            width = self.weights[m - 2].shape[0]
            total *= width * len(self._a_choices(m, 0))
        return total

    def paths(self) -> Iterator[Path]:
        """Every path, in order of the neurons' indices (the first layer's slowest)."""

        def tails(m: int, a_prev: int) -> Iterator[tuple[tuple[tuple[int, int], ...], tuple[float, ...]]]:
            if m > self.L:
                yield (), (float(self.grad_a[a_prev]),)
                return
            for zi in range(self.weights[m - 2].shape[0]):
                for ai in self._a_choices(m, zi):
                    local = (float(self.weights[m - 2][zi, a_prev]), float(self.jacobians[m - 2][ai, zi]))
                    for neurons, factors in tails(m + 1, ai):
                        yield ((zi, ai),) + neurons, local + factors

        for ai in self._a_choices(self.l, self.j):
            for neurons, factors in tails(self.l + 1, ai):
                yield self.path(((self.j, ai),) + neurons, (self.first, float(self.jacobians[self.l - 2][ai, self.j])) + factors)

    def path(self, neurons: tuple[tuple[int, int], ...], factors: tuple[float, ...] | None = None) -> Path:
        """The path through ``neurons`` (per layer from l: (z neuron, a neuron)), with its factors."""
        if factors is None:
            zi, ai = neurons[0]
            factors = (self.first, float(self.jacobians[self.l - 2][ai, zi]))
            for m, (zi, ai) in enumerate(neurons[1:], start=self.l + 1):
                factors += (float(self.weights[m - 2][zi, neurons[m - self.l - 1][1]]), float(self.jacobians[m - 2][ai, zi]))
            factors += (float(self.grad_a[neurons[-1][1]]),)
        product = 1.0
        for f in factors:
            product *= f
        return Path(tuple(neurons), tuple(factors), product)

    def accumulate(self) -> float:
        """The sum of every path's product, grouped by node: push the products of the paths'
        beginnings forward from the weight, layer by layer (forward-mode accumulation)."""
        tangent_z = np.zeros(self.weights[self.l - 2].shape[0])
        tangent_z[self.j] = self.first
        tangent_a = self.jacobians[self.l - 2] @ tangent_z
        for m in range(self.l + 1, self.L + 1):
            tangent_a = self.jacobians[m - 2] @ (self.weights[m - 2] @ tangent_a)
        return float(self.grad_a @ tangent_a)
