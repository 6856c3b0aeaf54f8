"""One pass of backpropagation, shown step by step: every z, a, δ and gradient with its equation.

:func:`explain` runs :func:`deltaprop.backprop.forward` and :func:`deltaprop.backprop.backprop`
on one example, in float64, checks each gradient it shows against a central difference of
the network's own cost (those of :func:`deltaprop.check_gradients`), and returns an
:class:`Explanation`. That renders itself as text (rich tables), Markdown (LaTeX ``$…$``),
HTML (MathML and an SVG computation graph) or JSON, with its prose in English or Chinese.
Nothing here computes a z, a, δ or gradient of its own: the numbers are backprop's; the few
products shown beside them ((W^{l+1})ᵀ δ^{l+1}, ⟨∇_a C, a⟩) are the factors of the equations
being illustrated.

The package, one concept a module, each importing only those above it in this list:

- :mod:`~deltaprop.explain.formula`: the formula tree (Sym, Num, Op, Row, Frac, Paren, Call)
  and its three printers, text, TeX and MathML;
- :mod:`~deltaprop.explain.blocks`: the document's blocks (Heading, Para, Equation, Table,
  Graph) and Words, prose by key;
- :mod:`~deltaprop.explain.prose`: the sentences in English and Chinese;
- :mod:`~deltaprop.explain.selection`: what of a large network is shown (FULL, TOP);
- :mod:`~deltaprop.explain.numbers`: forward, backprop and the gradient check on one example,
  the only module that imports the computation;
- :mod:`~deltaprop.explain.derivation`: the chain rule behind the numbers (``derive=True``): the
  terms of the proofs of BP1–BP4, Ng's chain, the paths from a weight to the cost and their sum,
  the multiplications of per-entry path sums against backprop;
- :mod:`~deltaprop.explain.sections`: the blocks of each section, built from the numbers;
- :mod:`~deltaprop.explain.proofs`: the blocks of the derivation's sections;
- :mod:`~deltaprop.explain.render_text`, :mod:`~deltaprop.explain.render_markdown`,
  :mod:`~deltaprop.explain.render_html`: the renderers, which see blocks only;
- :mod:`~deltaprop.explain.explanation`: :class:`Explanation` and :func:`explain`.

Symbols → names, numbered as in Nielsen's book and seed 000 (layer 1 is the input, layer L
the output; neurons count from 1): x = a^1 → ``x``; y → ``y``; z^l → ``weighted_inputs[l−2]``;
a^l → ``activations[l−1]``; δ^l → ``deltas[l−2]``; ∂C/∂W^l, ∂C/∂b^l → ``dW[l−2]``,
``db[l−2]``; ∇_a C → ``grad_a``; η → ``lr``. Seed 002 (Ng) writes W^l as Θ^(l−1) and C as J(Θ).

Large layers are summarised: a layer of more than :data:`FULL` neurons shows the :data:`TOP`
with the largest |δ| and the chosen neuron; a matrix with a side longer than FULL is given by
its shape, norm and largest entries; a sum of more than FULL terms shows its TOP largest.
"""

from .explanation import Explanation, explain
from .numbers import default_example
from .prose import LANGUAGES
from .selection import FULL, TOP

__all__ = ["Explanation", "explain", "default_example", "FULL", "TOP", "LANGUAGES"]
