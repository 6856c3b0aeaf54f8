"""One pass of backpropagation, shown step by step: every z, a, δ and gradient with its equation.

:func:`explain` runs :func:`deltaprop.backprop.forward` and :func:`deltaprop.backprop.backprop`
on one example, in float64, checks each gradient it shows against a central difference of
the network's own cost, and returns an :class:`Explanation`. That renders itself as text
(rich tables), Markdown (LaTeX ``$…$``), HTML (MathML and an SVG computation graph, see
:mod:`deltaprop.explain_html`) or JSON, with its prose in English or Chinese. Nothing here
computes a z, a, δ or gradient of its own: the numbers are backprop's; the few products shown
beside them ((W^{l+1})ᵀ δ^{l+1}, ⟨∇_a C, a⟩) are the factors of the equations being illustrated.

Symbols → names, numbered as in Nielsen's book and seed 000 (layer 1 is the input, layer L
the output; neurons count from 1): x = a^1 → ``x``; y → ``y``; z^l → ``weighted_inputs[l−2]``;
a^l → ``activations[l−1]``; δ^l → ``deltas[l−2]``; ∂C/∂W^l, ∂C/∂b^l → ``dW[l−2]``,
``db[l−2]``; ∇_a C → ``grad_a``; η → ``lr``. Seed 002 (Ng) writes W^l as Θ^(l−1) and C as J(Θ).

Large layers are summarised: a layer of more than :data:`FULL` neurons shows the :data:`TOP`
with the largest |δ| and the chosen neuron; a matrix with a side longer than FULL is given by
its shape, norm and largest entries; a sum of more than FULL terms shows its TOP largest.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .backprop import backprop, forward
from .gradcheck import GradientCheck, check_gradients
from .network import Network
from .optimizers import SGD

__all__ = ["Explanation", "explain", "default_example", "FULL", "TOP", "LANGUAGES"]

#: Vectors, sums and matrix sides up to this length are shown in full.
FULL = 10
#: How many of the largest entries a summary shows.
TOP = 5
#: The languages of the prose: the symbols and numbers are the same in each.
LANGUAGES = ("en", "zh")
#: The step of the central differences shown beside the gradients (as in :mod:`deltaprop.gradcheck`).
EPS = 1e-6


# ---------------------------------------------------------------------------------------------
# Formulas: a small tree that prints itself as Unicode text, LaTeX and (in explain_html) MathML.

_TEX = {
    "δ": r"\delta ", "σ": r"\sigma ", "η": r"\eta ", "Θ": r"\Theta ", "∂": r"\partial ", "∇": r"\nabla ",
    "∑": r"\sum ", "⊙": r"\odot ", "×": r"\times ", "←": r"\leftarrow ", "≈": r"\approx ",
    "−": "-", "′": "'", "⟨": r"\langle ", "⟩": r"\rangle ", "…": r"\dots ", "½": r"\tfrac{1}{2}",
}
_SUP = dict(zip("0123456789+−-()lLTjkni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾ˡᴸᵀʲᵏⁿⁱ"))
_SUB = dict(zip("0123456789+−-()ajklinotu,", "₀₁₂₃₄₅₆₇₈₉₊₋₋₍₎ₐⱼₖₗᵢₙₒₜᵤ,"))


def _tex(text: str) -> str:
    return r"\ln " if text == "ln" else "".join(_TEX.get(c, c) for c in text)


def _script(text: str, table: dict[str, str], mark: str) -> str:
    """``text`` in Unicode super- or subscript letters, or ``^(text)`` where one is missing."""
    if all(c in table for c in text):
        return "".join(table[c] for c in text)
    return f"{mark}{text}" if len(text) == 1 else f"{mark}({text})"


def _fmt(value: float, digits: int = 6) -> str:
    """A number as shown everywhere: ``digits`` significant digits, never ``-0``."""
    text = f"{value:.{digits}g}"
    return "0" if text in ("0", "-0") else text


class Math:
    """A formula node; subclasses print themselves as text, LaTeX and (explain_html) MathML."""

    def text(self) -> str:
        raise NotImplementedError

    def tex(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Sym(Math):
    """A symbol with optional subscript and superscript: δ^l_j is ``Sym("δ", "j", "l")``."""

    base: str | Math
    sub: str = ""
    sup: str = ""

    def text(self) -> str:
        base = self.base if isinstance(self.base, str) else self.base.text()
        return base + (_script(self.sup, _SUP, "^") if self.sup else "") + (_script(self.sub, _SUB, "_") if self.sub else "")

    def tex(self) -> str:
        base = _tex(self.base) if isinstance(self.base, str) else self.base.tex()
        sup = r"\top" if self.sup == "T" else _tex(self.sup)
        return base.rstrip() + (f"_{{{_tex(self.sub)}}}" if self.sub else "") + (f"^{{{sup}}}" if self.sup else "")


@dataclass(frozen=True)
class Num(Math):
    """A number; a negative one is put in parentheses unless ``bare`` (after an equals sign)."""

    value: float
    bare: bool = False

    def text(self) -> str:
        s = _fmt(self.value)
        return f"({s})" if s.startswith("-") and not self.bare else s

    def tex(self) -> str:
        mantissa, _, exponent = _fmt(self.value).partition("e")
        s = mantissa + (rf"\times 10^{{{int(exponent)}}}" if exponent else "")
        return f"({s})" if s.startswith("-") and not self.bare else s


@dataclass(frozen=True)
class Op(Math):
    """An operator or punctuation: ``=``, ``+``, ``⊙``, ``,`` …"""

    op: str

    def text(self) -> str:
        return self.op

    def tex(self) -> str:
        return _tex(self.op)


@dataclass(frozen=True)
class Row(Math):
    """Items side by side (juxtaposition is multiplication)."""

    items: tuple[Math, ...]

    def text(self) -> str:
        return " ".join(item.text() for item in self.items).replace(" ,", ",")

    def tex(self) -> str:
        return " ".join(item.tex() for item in self.items)


@dataclass(frozen=True)
class Frac(Math):
    num: Math
    den: Math

    def text(self) -> str:
        return f"{self.num.text()}/{self.den.text()}"

    def tex(self) -> str:
        return rf"\frac{{{self.num.tex()}}}{{{self.den.tex()}}}"


@dataclass(frozen=True)
class Paren(Math):
    body: Math
    left: str = "("
    right: str = ")"

    def text(self) -> str:
        return f"{self.left}{self.body.text()}{self.right}"

    def tex(self) -> str:
        left, right = ("[", "]") if self.left == "[" else (_tex(self.left).strip(), _tex(self.right).strip())
        return rf"\left{left} {self.body.tex()} \right{right}"


@dataclass(frozen=True)
class Call(Math):
    """A function applied to an argument: σ(z), ln(a)."""

    fn: Math
    arg: Math

    def text(self) -> str:
        return f"{self.fn.text()}({self.arg.text()})"

    def tex(self) -> str:
        return rf"{self.fn.tex()}\left( {self.arg.tex()} \right)"


def row(*items: Math | str | float) -> Row:
    """A :class:`Row`; a str becomes an :class:`Op`, a number a :class:`Num`."""
    return Row(tuple(Op(i) if isinstance(i, str) else Num(float(i)) if isinstance(i, (int, float, np.floating)) else i for i in items))


def _idx(*indices: int) -> str:
    """Subscript of 0-based indices, shown from 1: ``13``, or ``3,407`` when one has two digits."""
    shown = [str(i + 1) for i in indices]
    return ("," if any(len(s) > 1 for s in shown) else "").join(shown)


def _d(symbol: Sym) -> Frac:
    """∂C/∂symbol."""
    return Frac(Sym("∂C"), Sym(f"∂{symbol.base}", symbol.sub, symbol.sup))


def _sum(terms: list[Math]) -> list[Math | str]:
    """Terms joined by ``+``."""
    out: list[Math | str] = []
    for term in terms:
        out += ["+", term] if out else [term]
    return out


SIGMA_PRIME = Sym("σ′")
SIGMA = Sym("σ")


# ---------------------------------------------------------------------------------------------
# The document: blocks that the renderers turn into text, Markdown or HTML.


@dataclass(frozen=True)
class Words:
    """Prose: a key of :data:`PROSE` and the values of its placeholders (Math, numbers, str)."""

    key: str
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Heading:
    words: Words
    level: int = 2


@dataclass(frozen=True)
class Para:
    words: Words


@dataclass(frozen=True)
class Equation:
    math: Math


@dataclass(frozen=True)
class Table:
    """Header cells and rows; a cell is Math, a float, an int (an index, already counted from 1),
    :class:`Words`, a bool (✓ or ✗) or a literal str."""

    header: list
    rows: list[list]


@dataclass(frozen=True)
class Graph:
    """The computation graph: drawn by the HTML renderer, left out of text and Markdown."""


PROSE: dict[str, dict[str, str]] = {
    "en": {
        "title": "Backpropagation, step by step",
        "intro": "One forward and one backward pass through a {sizes} network on one example: {hidden} hidden units, "
        "a {output} output and the {cost} cost. Layers are numbered as in Nielsen's book: layer 1 is the input, "
        "layer {L} the output; {W} joins layer l−1 to layer l, and its entry {w} joins neuron k of layer l−1 to "
        "neuron j of layer l. In Ng's notation {W} is {theta} and C is J(Θ). Every number comes from deltaprop's own "
        "forward and backprop, in float64.",
        "no_hidden": "no",
        "graph": "The computation graph, as in Ng's figure: the forward pass in blue, from the inputs through each z "
        "and a to the cost C; the backward flow in red, from C back through ∂C/∂a and δ to the parameters, "
        "which branch off at each z.",
        "sec_network": "1. The network",
        "params": "Layer {l} ({act}): weights {W} ({shape}) and biases {b}.",
        "summary": "{name}: shape {shape}, norm {norm}; its largest entries by magnitude:",
        "shown_weights": "Showing {shown} of the {n} weights: those into the chosen neuron {j} and the largest in magnitude; "
        "the norm of {name} is {norm}.",
        "mode_every": "every entry",
        "mode_directions": "{k} random directions per array",
        "example": "The example: the input {x} and the target {y}.",
        "shown": "Showing {shown} of {n} neurons: those with the largest {what} and the chosen one (the JSON format has all).",
        "terms": "A sum of {n} terms: shown are the {shown} largest; the other {rest_n} add up to {rest}.",
        "sec_forward": "2. The forward pass",
        "forward": "Each layer weighs the activations of the layer before, adds its biases and applies its activation function:",
        "layer": "Layer {l} ({act}):",
        "sec_cost": "3. The cost",
        "cost": "The {cost} cost of this example, from deltaprop's own cost function:",
        "sec_bp1": "4. BP1: the error of the output layer",
        "bp1": "The error {delta} = ∂C/∂z of a neuron says how fast the cost changes with its weighted input. "
        "For the output layer it is how fast the cost changes with the output, {grad}, times how fast the output "
        "changes with its weighted input, {sp}:",
        "bp1_softmax": "Softmax couples its outputs (each {a} depends on every z), so {sp} is a Jacobian and BP1 becomes "
        "a Jacobian-vector product:",
        "shortcut": "The {cost} cost and the {act} output are a matched pair, so BP1 simplifies to Ng's short cut {eq}. "
        "deltaprop's backprop uses that form; it equals the general BP1 above:",
        "no_shortcut": "The {cost} cost with a {act} output is not a matched pair, so the short cut {eq} does not hold "
        "here; backprop uses the general BP1 above.",
        "sec_bp2": "5. BP2: the error of each hidden layer",
        "bp2": "BP2 moves the error back one layer: the transposed weights carry {delta} back through the weights, "
        "and the Hadamard product with {sp} carries it back through the activation function:",
        "bp2_none": "The network has no hidden layer, so BP2 is not needed.",
        "bp2_worked": "One element worked out, as in Nielsen's chapter 2: the weights leaving neuron {j} of layer {l}, "
        "each times the error of the neuron it feeds, summed, then times {sp}:",
        "sec_grad": "6. BP3 and BP4: the gradients",
        "bp34": "With every δ known the gradients follow at once. BP3: the gradient of a bias is the error of its "
        "neuron. BP4: the gradient of a weight is the activation coming in times the error going out, {rule}. "
        "As matrices:",
        "numerical": "Beside each gradient is its numerical check: the central difference (C(p + ε) − C(p − ε)) / 2ε "
        "of the cost with the one parameter p moved by ε = {eps}, in extended precision; ✓ marks agreement to "
        "one part in a million.",
        "check": "Every gradient array against central differences of the cost, by deltaprop.check_gradients ({mode}):",
        "sec_update": "7. One step of gradient descent",
        "update": "With the learning rate {eta} = {lr}, gradient descent moves every parameter against its gradient:",
        "cost_after": "The cost of this example goes from {before} to {after}.",
        "legend_forward": "forward: z = Wa + b, a = σ(z), C",
        "legend_backward": "backward: ∂C/∂a, δ = ∂C/∂z, ∂C/∂W",
        "more": "+{n} more",
        "backprop": "backprop",
        "numeric": "numerical",
        "agree": "agree",
        "array": "array",
        "shape": "shape",
        "norm": "norm",
        "entry": "entry",
        "value": "value",
        "max_rel_error": "largest relative error",
        "general_bp1": "general BP1",
        "after_step": "after the step",
        "input_units": "inputs",
    },
    "zh": {
        "title": "反向传播,一步一步",
        "intro": "对一个样本,在 {sizes} 网络上做一次前向传播和一次反向传播:隐藏层为 {hidden},输出层为 {output},"
        "代价函数为 {cost}。层的编号与 Nielsen 的书相同:第 1 层是输入层,第 {L} 层是输出层;{W} 连接第 l−1 层与第 l 层,"
        "其元素 {w} 连接第 l−1 层的第 k 个神经元与第 l 层的第 j 个神经元。在 Ng 的记号中,{W} 就是 {theta},C 就是 J(Θ)。"
        "下面的每一个数都来自 deltaprop 自己的 forward 和 backprop,以 float64 计算。",
        "no_hidden": "无",
        "graph": "计算图,如同 Ng 的图示:蓝色是前向传播,从输入经过每个 z 和 a 到代价 C;红色是反向传播,"
        "从 C 经过 ∂C/∂a 和 δ 回到参数,参数在每个 z 处分叉。",
        "sec_network": "1. 网络",
        "params": "第 {l} 层({act}):权重 {W}({shape})与偏置 {b}。",
        "summary": "{name}:形状 {shape},范数 {norm};绝对值最大的元素:",
        "shown_weights": "显示 {n} 个权重中的 {shown} 个:进入所选神经元 {j} 的权重和绝对值最大的权重;{name} 的范数为 {norm}。",
        "mode_every": "逐个元素",
        "mode_directions": "每个数组 {k} 个随机方向",
        "example": "样本:输入 {x},目标 {y}。",
        "shown": "显示 {n} 个神经元中的 {shown} 个:{what} 最大的几个和所选的那个(JSON 格式包含全部)。",
        "terms": "共 {n} 项之和:显示最大的 {shown} 项,其余 {rest_n} 项之和为 {rest}。",
        "sec_forward": "2. 前向传播",
        "forward": "每一层对前一层的激活值加权,加上偏置,再经过激活函数:",
        "layer": "第 {l} 层({act}):",
        "sec_cost": "3. 代价",
        "cost": "这个样本的 {cost} 代价,由 deltaprop 自己的代价函数算出:",
        "sec_bp1": "4. BP1:输出层的误差",
        "bp1": "神经元的误差 {delta} = ∂C/∂z 表示代价随其带权输入变化的速度。对输出层,它等于代价随输出变化的速度 {grad},"
        "乘以输出随带权输入变化的速度 {sp}:",
        "bp1_softmax": "softmax 的各输出相互耦合(每个 {a} 都依赖于所有的 z),所以 {sp} 是一个雅可比矩阵,"
        "BP1 成为雅可比矩阵与向量之积:",
        "shortcut": "{cost} 代价与 {act} 输出是相配的一对,所以 BP1 化简为 Ng 的捷径 {eq}。deltaprop 的 backprop 用的就是这个形式;"
        "它与上面一般形式的 BP1 相等:",
        "no_shortcut": "{cost} 代价与 {act} 输出不是相配的一对,捷径 {eq} 在这里不成立;backprop 用上面一般形式的 BP1。",
        "sec_bp2": "5. BP2:每个隐藏层的误差",
        "bp2": "BP2 把误差向后移动一层:乘以转置的权重矩阵,把 {delta} 沿权重反向传回;再与 {sp} 做 Hadamard 乘积,"
        "让误差反向通过激活函数:",
        "bp2_none": "网络没有隐藏层,不需要 BP2。",
        "bp2_worked": "按 Nielsen 第二章的方式算出其中一个元素:从第 {l} 层第 {j} 个神经元出发的各个权重,"
        "分别乘以它所连接的神经元的误差,求和,再乘以 {sp}:",
        "sec_grad": "6. BP3 与 BP4:梯度",
        "bp34": "知道了每个 δ,梯度随即可得。BP3:偏置的梯度就是其神经元的误差。BP4:权重的梯度等于输入它的激活值乘以它输出到的神经元的误差,"
        "{rule}。写成矩阵:",
        "numerical": "每个梯度旁边是它的数值检验:只把一个参数 p 移动 ε = {eps} 时代价的中心差分 (C(p + ε) − C(p − ε)) / 2ε,"
        "以扩展精度计算;✓ 表示两者相差不到百万分之一。",
        "check": "每个梯度数组与代价的中心差分的比较,由 deltaprop.check_gradients 完成({mode}):",
        "sec_update": "7. 梯度下降的一步",
        "update": "学习率 {eta} = {lr} 时,梯度下降让每个参数沿其梯度的反方向移动:",
        "cost_after": "这个样本的代价从 {before} 变为 {after}。",
        "legend_forward": "前向:z = Wa + b,a = σ(z),C",
        "legend_backward": "反向:∂C/∂a,δ = ∂C/∂z,∂C/∂W",
        "more": "另有 {n} 个",
        "backprop": "反向传播",
        "numeric": "数值",
        "agree": "一致",
        "array": "数组",
        "shape": "形状",
        "norm": "范数",
        "entry": "元素",
        "value": "值",
        "max_rel_error": "最大相对误差",
        "general_bp1": "一般形式的 BP1",
        "after_step": "一步之后",
        "input_units": "输入",
    },
}



def say(w: Words, lang: str, render_arg, escape=lambda s: s) -> str:
    """Fill the prose of ``w`` in ``lang``: literal text through ``escape``, values through ``render_arg``."""
    return "".join(
        escape(literal) + ("" if name is None else render_arg(w.args[name]))
        for literal, name, _, _ in string.Formatter().parse(PROSE[lang][w.key])
    )


# ---------------------------------------------------------------------------------------------
# The computation.


@dataclass
class Explanation:
    """One forward and one backward pass on one example, and how to show it.

    Built by :func:`explain`. Every array is float64; vectors are per example, shape (n_l,).
    List index ``i`` is weight layer l = i + 2 (``activations`` starts at layer 1, the input).

    Attributes
    ----------
    network : Network
        The float64 copy that was explained.
    x, y : ndarray
        The input a^1, shape (n_0,), and the target vector, shape (n_out,).
    weighted_inputs, activations : list of ndarray
        z^l for l = 2 … L and a^l for l = 1 … L, from :func:`deltaprop.backprop.forward`.
    derivatives : list of ndarray or None
        σ'(z^l) from each layer's ``Activation.derivative``; None for softmax (a Jacobian).
    cost : float
        C for this example, from the network's cost function.
    grad_activations : list of ndarray
        ∂C/∂a^l for l = 2 … L: the cost's ``grad_a`` for the output, (W^{l+1})ᵀ δ^{l+1} below it.
    general_output_delta : ndarray
        δ^L by the general BP1 (``Activation.backward`` of ∇_a C), whatever short cut backprop took.
    deltas, dW, db : list of ndarray
        δ^l, ∂C/∂W^l and ∂C/∂b^l from :func:`deltaprop.backprop.backprop`.
    numerical_dW, numerical_db : list of ndarray
        Central differences of the cost for the entries shown; NaN for the others.
    check : GradientCheck
        :func:`deltaprop.check_gradients` on this example: every array against the cost.
    neuron : tuple of int
        The chosen neuron (l, j), numbered as in the equations (l ≥ 2, j from 1).
    path : list of int
        A neuron of each layer, input first (0-based): the worked elements, through ``neuron``.
    lr : float or None
        η, when one step of gradient descent is shown.
    updated_weights, updated_biases : list of ndarray or None
        The parameters after that step, W ← W − η ∂C/∂W, by :class:`deltaprop.SGD`.
    cost_after : float or None
        C for this example after the step.
    lang : str
        The language of the prose, ``"en"`` or ``"zh"``.
    """

    network: Network
    x: np.ndarray
    y: np.ndarray
    weighted_inputs: list[np.ndarray]
    activations: list[np.ndarray]
    derivatives: list[np.ndarray | None]
    cost: float
    grad_activations: list[np.ndarray]
    general_output_delta: np.ndarray
    deltas: list[np.ndarray]
    dW: list[np.ndarray]
    db: list[np.ndarray]
    numerical_dW: list[np.ndarray]
    numerical_db: list[np.ndarray]
    check: GradientCheck
    neuron: tuple[int, int]
    path: list[int]
    lr: float | None = None
    updated_weights: list[np.ndarray] | None = None
    updated_biases: list[np.ndarray] | None = None
    cost_after: float | None = None
    lang: str = "en"

    # -------------------------------------------------------------------------------- formats
    def to_dict(self) -> dict:
        """Everything as plain JSON values: ``sizes``, ``x``, ``y``, ``weights``, ``biases``, ``cost``
        and ``layers`` (per weight layer: ``z``, ``a``, ``delta``, ``dW``, ``db``, and their checks)."""
        net = self.network
        layers = []
        for i in range(len(net.weights)):
            layers.append({
                "layer": i + 2,
                "activation": net.activations[i].name,
                "z": self.weighted_inputs[i].tolist(),
                "a": self.activations[i + 1].tolist(),
                "delta": self.deltas[i].tolist(),
                "dW": self.dW[i].tolist(),
                "db": self.db[i].tolist(),
                "dW_numerical": _nan_to_none(self.numerical_dW[i]),
                "db_numerical": _nan_to_none(self.numerical_db[i]),
                "dW_rel_error": self.check.parameters[2 * i].rel_error,
                "db_rel_error": self.check.parameters[2 * i + 1].rel_error,
            })
        out = {
            "sizes": list(net.sizes),
            "activations": [a.name for a in net.activations],
            "cost_function": net.cost_function.name,
            "x": self.x.tolist(),
            "y": self.y.tolist(),
            "weights": [W.tolist() for W in net.weights],
            "biases": [b.tolist() for b in net.biases],
            "cost": self.cost,
            "grad_a": self.grad_activations[-1].tolist(),
            "layers": layers,
            "neuron": list(self.neuron),
            "path": [j + 1 for j in self.path],
        }
        if self.lr is not None:
            out["lr"] = self.lr
            out["updated_weights"] = [W.tolist() for W in self.updated_weights]
            out["updated_biases"] = [b.tolist() for b in self.updated_biases]
            out["cost_after"] = self.cost_after
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def document(self) -> list:
        """The explanation as blocks (Heading, Para, Equation, Table, Graph), language-neutral."""
        return _document(self)

    def to_text(self, width: int = 100, lang: str | None = None) -> str:
        """Plain text with rich tables, ``width`` columns wide, no colour."""
        import io

        from rich.console import Console

        buffer = io.StringIO()
        console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
        for renderable in _rich(self.document(), _language(lang or self.lang)):
            console.print(renderable)
        return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"

    def to_markdown(self, lang: str | None = None) -> str:
        """Markdown with LaTeX ``$…$`` and ``$$…$$``, for notebooks and GitHub."""
        return _markdown(self.document(), _language(lang or self.lang))

    def to_html(self, lang: str | None = None, page: bool = True) -> str:
        """One self-contained HTML page (or, with ``page=False``, an embeddable fragment):
        MathML equations, an inline SVG computation graph, no scripts, nothing fetched."""
        from .explain_html import render_html

        return render_html(self, _language(lang or self.lang), page)

    def _repr_html_(self) -> str:
        return self.to_html(page=False)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __rich_console__(self, console, options) -> Iterator:
        yield from _rich(self.document(), self.lang, color=True)


def _nan_to_none(array: np.ndarray) -> list:
    return np.where(np.isnan(array), None, array).tolist()


def _language(lang: object) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return lang


def default_example(net: Network, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return a fixed example (x, y) for ``net``, drawn from ``seed``.

    x is uniform in [−1, 1], rounded to two decimals so that it reads easily. y is 1 for one
    output (Ng's J then reduces to −ln a^L); a one-hot class for several outputs, unless the
    cost is quadratic on a non-probability output, where it is uniform in [−1, 1] like x. The
    generator is seeded with (seed, 1), a stream apart from the network's initial weights.
    """
    rng = np.random.default_rng([seed, 1])
    x = np.round(rng.uniform(-1, 1, net.sizes[0]), 2)
    n_out = net.sizes[-1]
    if net.cost_function.name == "quadratic" and not net.is_classifier:
        return x, np.round(rng.uniform(-1, 1, n_out), 2)
    y = np.ones(1) if n_out == 1 else np.eye(n_out)[rng.integers(n_out)]
    return x, y


def explain(
    net: Network, x: object, y: object, lr: float | None = None, neuron: Sequence[int] | None = None, lang: str = "en"
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
        If ``net`` is not a :class:`Network`.
    ValueError
        For an input or target of the wrong shape or out of range, a bad ``lr``, ``neuron``
        or ``lang``.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a deltaprop Network; got {type(net).__name__}")
    net.check_parameters()
    lang = _language(lang)
    net64 = net.copy(np.float64)
    X, Y = _example(net64, x, y)
    zs, acts = forward(net64, X)
    grads = backprop(net64, X, Y)  # (BP1)–(BP4)
    output, cost_function = net64.activations[-1], net64.cost_function
    grad_a = cost_function.grad_a(acts[-1], Y)
    deltas = [d[0] for d in grads.deltas]
    grad_activations = [deltas[i + 1] @ W for i, W in enumerate(net64.weights[1:])] + [grad_a[0]]  # (W^{l+1})ᵀ δ^{l+1}
    chosen = _neuron(neuron, net64.sizes, deltas)
    path = [int(np.argmax(np.abs(X[0])))] + [chosen[1] - 1 if i + 2 == chosen[0] else int(np.argmax(np.abs(d))) for i, d in enumerate(deltas)]
    numerical_dW, numerical_db = _numerical_checks(net64, X, Y, [a[0] for a in acts], deltas, grads.dW, path)
    explanation = Explanation(
        network=net64,
        x=X[0],
        y=Y[0],
        weighted_inputs=[z[0] for z in zs],
        activations=[a[0] for a in acts],
        derivatives=[act.derivative(z, a)[0] if act.elementwise else None for act, z, a in zip(net64.activations, zs, acts[1:])],
        cost=float(cost_function.value(acts[-1], Y)),
        grad_activations=grad_activations,
        general_output_delta=output.backward(zs[-1], acts[-1], grad_a)[0],  # (BP1) ∇_a C ⊙ σ'(z^L)
        deltas=deltas,
        dW=grads.dW,
        db=grads.db,
        numerical_dW=numerical_dW,
        numerical_db=numerical_db,
        check=check_gradients(net64, X, Y, eps=EPS),
        neuron=chosen,
        path=path,
        lang=lang,
    )
    if lr is not None:
        updated = net64.copy()
        SGD(lr).step(updated.parameters(), grads.parameters())  # W ← W − η ∂C/∂W
        explanation.lr = float(lr)
        explanation.updated_weights, explanation.updated_biases = updated.weights, updated.biases
        explanation.cost_after = float(updated.regularised_cost(X, Y))
    return explanation


def _example(net: Network, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """One input row (1, n_0) and its target row (1, n_out), checked by the network's own rules."""
    n_in, n_out = net.sizes[0], net.sizes[-1]
    x_array, y_array = _array(x), _array(y)
    if x_array is None or x_array.shape != (n_in,):
        got = "no array" if x_array is None else f"shape {x_array.shape}"
        raise ValueError(f"x must be one input of shape ({n_in},) for sizes {net.sizes}; got {got}")
    if y_array is None or y_array.shape not in ((), (n_out,)):
        got = "no array" if y_array is None else f"shape {y_array.shape}"
        raise ValueError(f"y must be a class label or a target vector of shape ({n_out},) for sizes {net.sizes}; got {got}")
    return net.inputs(x_array.reshape(1, n_in)), net.targets(y_array.reshape(1, -1) if y_array.ndim else y_array.reshape(1), 1)


def _array(value: object) -> np.ndarray | None:
    """``value`` as an array, or None for a string or ragged rows."""
    if isinstance(value, (str, bytes)):
        return None
    try:
        return np.asarray(value)
    except ValueError:
        return None


def _neuron(neuron: object, sizes: list[int], deltas: list[np.ndarray]) -> tuple[int, int]:
    """The chosen neuron (l, j), checked; by default the largest |δ| of the last hidden layer."""
    L = len(sizes)
    if neuron is None:
        l = L - 1 if L > 2 else L
        return l, int(np.argmax(np.abs(deltas[l - 2]))) + 1
    ok = (
        isinstance(neuron, (tuple, list))
        and len(neuron) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in neuron)
        and 2 <= neuron[0] <= L
        and 1 <= neuron[1] <= sizes[neuron[0] - 1]
    )
    if not ok:
        widths = ", ".join(f"layer {l}: {sizes[l - 1]}" for l in range(2, L + 1))
        raise ValueError(f"neuron must be (layer, index) with layer from 2 to {L} and index from 1 to the layer's width ({widths}); got {neuron!r}")
    return int(neuron[0]), int(neuron[1])


def _shown(values: np.ndarray, keep: int) -> list[int]:
    """Every index of a short vector; of a long one, the TOP largest |values| and ``keep``, in order."""
    if values.size <= FULL:
        return list(range(values.size))
    return sorted({*(int(i) for i in np.argsort(-np.abs(values), kind="stable")[:TOP]), keep})


def _shown_weights(dW: np.ndarray, a_in: np.ndarray, j: int, k: int) -> list[tuple[int, int]]:
    """Every entry (j, k) of a small ∂C/∂W; of a large one, the worked neuron j's row (its
    largest |a_in| and ``k``) and the TOP largest |∂C/∂w| anywhere."""
    if dW.size <= 2 * FULL:
        return [(r, c) for r in range(dW.shape[0]) for c in range(dW.shape[1])]
    largest = np.argsort(-np.abs(dW), axis=None, kind="stable")[:TOP]
    return sorted({(j, c) for c in _shown(a_in, k)} | {divmod(int(f), dW.shape[1]) for f in largest})


def _numerical_checks(
    net: Network, X: np.ndarray, Y: np.ndarray, acts: list[np.ndarray], deltas: list[np.ndarray], dW: list[np.ndarray], path: list[int]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Central differences of the network's cost, in extended precision as in
    :mod:`deltaprop.gradcheck`, for the entries of ∂C/∂W and ∂C/∂b that are shown."""
    wide = net.copy(np.longdouble)
    Xw, Yw = X.astype(np.longdouble), Y.astype(np.longdouble)

    def central_difference(P: np.ndarray, index: tuple[int, ...]) -> float:
        original = P[index]
        P[index] = original + EPS
        c_plus = wide.regularised_cost(Xw, Yw)
        P[index] = original - EPS
        c_minus = wide.regularised_cost(Xw, Yw)
        P[index] = original
        return float((c_plus - c_minus) / (2 * EPS))

    numerical_dW = [np.full(G.shape, np.nan) for G in dW]
    numerical_db = [np.full(d.shape, np.nan) for d in deltas]
    for i in range(len(dW)):
        for j, k in _shown_weights(dW[i], acts[i], path[i + 1], path[i]):
            numerical_dW[i][j, k] = central_difference(wide.weights[i], (j, k))
        for j in _shown(deltas[i], path[i + 1]):
            numerical_db[i][j] = central_difference(wide.biases[i], (j,))
    return numerical_dW, numerical_db


def _agree(analytic: float, numerical: float) -> bool:
    """Backprop and the central difference agree to one part in a million."""
    return math.isclose(analytic, numerical, rel_tol=1e-6, abs_tol=1e-9)


def _bound(error: float) -> str:
    """A relative error as the next power of ten above it, so it reads the same on every machine."""
    if not math.isfinite(error):
        return str(error)
    return "0" if error == 0 else f"< 1e{math.floor(math.log10(error)) + 1}"


# ---------------------------------------------------------------------------------------------
# The story: what is shown, in order.


def _s(base: str, layer: int | str | None = None, *indices: int) -> Sym:
    """A symbol of layer ``layer`` with 0-based ``indices`` shown from 1: ``_s("w", 3, 0, 2)`` is w^3_13."""
    return Sym(base, _idx(*indices) if indices else "", "" if layer is None else str(layer))


def _tuple(values: np.ndarray) -> Paren:
    """(v_1, v_2, …) for a short vector."""
    items: list[Math | str] = []
    for v in values:
        items += [",", Num(float(v), bare=True)] if items else [Num(float(v), bare=True)]
    return Paren(row(*items))


def _terms(products: np.ndarray) -> tuple[list[int], bool]:
    """The terms of a sum to show: all of a short one, else the TOP largest; and whether cut."""
    if products.size <= FULL:
        return list(range(products.size)), False
    return sorted(int(i) for i in np.argsort(-np.abs(products), kind="stable")[:TOP]), True


def _cut_note(products: np.ndarray, shown: list[int]) -> list:
    rest = np.delete(products, shown)
    return [Para(Words("terms", {"n": products.size, "shown": len(shown), "rest_n": rest.size, "rest": Num(float(rest.sum()), bare=True)}))]


def _matrix(name: Sym, element: str, W: np.ndarray, b: np.ndarray, layer: int) -> list:
    """W^l beside b^l as one table (rows j), or a summary of each when large."""
    if max(W.shape) <= FULL:
        header = [Sym("j")] + [Sym(element, f"j{k + 1}" if k < 9 else f"j,{k + 1}", str(layer)) for k in range(W.shape[1])] + [Sym("b", "j", str(layer))]
        return [Table(header, [[j + 1, *map(float, W[j]), float(b[j])] for j in range(W.shape[0])])]
    return _summary(name, W, lambda j, k: _s(element, layer, j, k)) + _summary(Sym("b", sup=str(layer)), b, lambda j: _s("b", layer, j))


def _summary(name: Sym, array: np.ndarray, entry) -> list:
    """Shape, norm and the TOP largest entries of a large array (a short vector in full)."""
    if array.ndim == 1 and array.size <= FULL:
        return [Equation(row(name, "=", _tuple(array)))]
    shape = " × ".join(map(str, array.shape)) if array.ndim > 1 else f"{array.size}"
    largest = np.argsort(-np.abs(array), axis=None, kind="stable")[:TOP]
    rows = [[entry(*np.unravel_index(int(f), array.shape)), float(array.flat[f])] for f in largest]
    words = Words("summary", {"name": name, "shape": shape, "norm": Num(float(np.linalg.norm(array)), bare=True)})
    return [Para(words), Table([Words("entry"), Words("value")], rows)]


def _document(e: Explanation) -> list:
    net = e.network
    L = len(net.sizes)
    hidden = ", ".join(dict.fromkeys(a.name for a in net.activations[:-1])) or Words("no_hidden")
    intro = {
        "sizes": "-".join(map(str, net.sizes)), "hidden": hidden, "output": net.activations[-1].name,
        "cost": net.cost_function.name, "L": L, "W": Sym("W", sup="l"), "w": Sym("w", "jk", "l"), "theta": Sym("Θ", sup="(l−1)"),
    }
    blocks: list = [Heading(Words("title"), 1), Para(Words("intro", intro)), Graph()]
    blocks += _network_section(e)
    blocks += _forward_section(e)
    blocks += _cost_section(e)
    blocks += _bp1_section(e)
    blocks += _bp2_section(e)
    blocks += _gradient_section(e)
    if e.lr is not None:
        blocks += _update_section(e)
    return blocks


def _network_section(e: Explanation) -> list:
    net = e.network
    blocks: list = [Heading(Words("sec_network"))]
    for i, (W, b) in enumerate(zip(net.weights, net.biases)):
        l = i + 2
        args = {"l": l, "act": net.activations[i].name, "W": Sym("W", sup=str(l)), "shape": f"{W.shape[0]} × {W.shape[1]}", "b": Sym("b", sup=str(l))}
        blocks += [Para(Words("params", args))] + _matrix(Sym("W", sup=str(l)), "w", W, b, l)
    blocks.append(Para(Words("example", {"x": row(Sym("x"), "=", Sym("a", sup="1")), "y": Sym("y")})))
    if e.x.size <= FULL:
        blocks.append(Equation(row(Sym("x"), "=", _tuple(e.x))))
    else:
        shown = _shown(e.x, e.path[0])
        blocks += [Para(Words("shown", {"shown": len(shown), "n": e.x.size, "what": "|x|"})),
                   Table([Sym("k"), Sym("x", "k")], [[k + 1, float(e.x[k])] for k in shown])]
    blocks += _summary(Sym("y"), e.y, lambda j: _s("y", None, j))
    return blocks


def _layer_rows(e: Explanation, i: int) -> tuple[list[int], list]:
    """The neurons of layer i + 2 shown in tables, and the note saying so when some are left out."""
    shown = _shown(e.deltas[i], e.path[i + 1])
    n = e.deltas[i].size
    return shown, ([Para(Words("shown", {"shown": len(shown), "n": n, "what": "|δ|"}))] if len(shown) < n else [])


def _forward_section(e: Explanation) -> list:
    net = e.network
    blocks: list = [
        Heading(Words("sec_forward")), Para(Words("forward")),
        Equation(row(Sym("z", sup="l"), "=", Sym("W", sup="l"), Sym("a", sup="l−1"), "+", Sym("b", sup="l"), ",",
                     Sym("a", sup="l"), "=", Call(SIGMA, Sym("z", sup="l")))),
    ]
    for i, (W, b, act) in enumerate(zip(net.weights, net.biases, net.activations)):
        l, j = i + 2, e.path[i + 1]
        z, a, a_in = e.weighted_inputs[i], e.activations[i + 1], e.activations[i]
        shown, note = _layer_rows(e, i)
        blocks += [Para(Words("layer", {"l": l, "act": act.name})), *note,
                   Table([Sym("j"), Sym("z", "j", str(l)), Sym("a", "j", str(l))], [[r + 1, float(z[r]), float(a[r])] for r in shown])]
        products = W[j] * a_in
        ks, cut = _terms(products)
        symbolic = _sum([row(_s("w", l, j, k), _s("a", l - 1, k)) for k in ks]) + (["+", "…"] if cut else [])
        numeric = _sum([row(Num(float(W[j, k])), "×", Num(float(a_in[k]))) for k in ks]) + (["+", "…"] if cut else [])
        blocks.append(Equation(row(_s("z", l, j), "=", *symbolic, "+", _s("b", l, j))))
        blocks.append(Equation(row("=", *numeric, "+", Num(float(b[j])), "=", Num(float(z[j]), bare=True))))
        if cut:
            blocks += _cut_note(products, ks)
        if act.elementwise:
            blocks.append(Equation(row(_s("a", l, j), "=", Call(SIGMA, _s("z", l, j)), "=", Call(SIGMA, Num(float(z[j]), bare=True)), "=", Num(float(a[j]), bare=True))))
        else:
            blocks.append(Equation(row(_s("a", l, j), "=", Sym(Call(SIGMA, Sym("z", sup=str(l))), _idx(j)), "=", Num(float(a[j]), bare=True))))
    return blocks


def _cost_formula(name: str, a, y) -> Math | None:
    """The per-output term of the cost: a and y are symbols or numbers."""
    if name == "cross_entropy":
        return Paren(row(y, Call(Sym("ln"), a), "+", Paren(row(1.0, "−", y)), Call(Sym("ln"), row(1.0, "−", a))), "[", "]")
    if name == "log_likelihood":
        return row(y, Call(Sym("ln"), a))
    if name == "quadratic":
        return Sym(Paren(row(a, "−", y)), sup="2")
    return None


def _cost_section(e: Explanation) -> list:
    net = e.network
    L, name = len(net.sizes), net.cost_function.name
    blocks: list = [Heading(Words("sec_cost")), Para(Words("cost", {"cost": name}))]
    general = _cost_formula(name, Sym("a", "j", str(L)), Sym("y", "j"))
    if general is None:  # a cost of the user's own: its value only
        return blocks + [Equation(row(Sym("C"), "=", Num(e.cost, bare=True)))]
    prefix = ["½"] if name == "quadratic" else ["−"]
    blocks.append(Equation(row(Sym("C"), "=", *prefix, Sym("∑", "j"), general)))
    aL = e.activations[-1]
    numeric: list = []
    if aL.size <= FULL:
        terms = [_cost_formula(name, Num(float(aL[j])), Num(float(e.y[j]))) for j in range(aL.size)]
        numeric = ["=", *prefix, Paren(row(*_sum(terms))) if len(terms) > 1 else terms[0]]
    return blocks + [Equation(row(*numeric, "=", Num(e.cost, bare=True)))]


def _bp1_section(e: Explanation) -> list:
    net = e.network
    L, depth = len(net.sizes), len(net.weights)
    output, cost = net.activations[-1], net.cost_function
    aL, grad, general = e.activations[-1], e.grad_activations[-1], e.general_output_delta
    j = e.path[-1]
    grad_sym = row(Sym("∇", "a"), Sym("C"))
    shown, note = _layer_rows(e, depth - 1)
    blocks: list = [Heading(Words("sec_bp1"))]
    if output.elementwise:
        sp = e.derivatives[-1]
        blocks += [
            Para(Words("bp1", {"delta": Sym("δ", "j", "l"), "grad": grad_sym, "sp": Call(SIGMA_PRIME, Sym("z", sup="L"))})),
            Equation(row(Sym("δ", sup="L"), "=", grad_sym, "⊙", Call(SIGMA_PRIME, Sym("z", sup="L")))), *note,
            Table([Sym("j"), _d(Sym("a", "j", str(L))), Call(SIGMA_PRIME, Sym("z", "j", str(L))), Sym("δ", "j", str(L))],
                  [[r + 1, float(grad[r]), float(sp[r]), float(general[r])] for r in shown]),
            Equation(row(_s("δ", L, j), "=", _d(_s("a", L, j)), Call(SIGMA_PRIME, _s("z", L, j)), "=",
                         Num(float(grad[j])), "×", Num(float(sp[j])), "=", Num(float(general[j]), bare=True))),
        ]
    else:
        inner = float(grad @ aL)  # ⟨∇_a C, a^L⟩
        blocks += [
            Para(Words("bp1_softmax", {"a": Sym("a", "k", "L"), "sp": Call(SIGMA_PRIME, Sym("z", sup="L"))})),
            Equation(row(Sym("δ", sup="L"), "=", Sym("a", sup="L"), "⊙", Paren(row(grad_sym, "−", Paren(row(grad_sym, ",", Sym("a", sup="L")), "⟨", "⟩"))))),
            Equation(row(Paren(row(grad_sym, ",", Sym("a", sup="L")), "⟨", "⟩"), "=", Sym("∑", "k"), _d(Sym("a", "k", "L")), Sym("a", "k", "L"), "=", Num(inner, bare=True))), *note,
            Table([Sym("j"), _d(Sym("a", "j", str(L))), Sym("a", "j", str(L)), Sym("δ", "j", str(L))],
                  [[r + 1, float(grad[r]), float(aL[r]), float(general[r])] for r in shown]),
            Equation(row(_s("δ", L, j), "=", _s("a", L, j), Paren(row(_d(_s("a", L, j)), "−", Paren(row(grad_sym, ",", Sym("a", sup="L")), "⟨", "⟩"))), "=",
                         Num(float(aL[j])), "×", Paren(row(Num(float(grad[j])), "−", Num(inner))), "=", Num(float(general[j]), bare=True))),
        ]
    shortcut = row(Sym("δ", sup="L"), "=", Sym("a", sup="L"), "−", Sym("y"))
    args = {"cost": cost.name, "act": output.name, "eq": shortcut}
    if cost.matched != output.name:
        return blocks + [Para(Words("no_shortcut", args))]
    delta = e.deltas[-1]
    rows = [[r + 1, float(aL[r]), float(e.y[r]), float(delta[r]), float(general[r]), _agree_exact(delta[r], general[r])] for r in shown]
    header = [Sym("j"), Sym("a", "j", str(L)), Sym("y", "j"), row(Sym("a", "j", str(L)), "−", Sym("y", "j")), Words("general_bp1"), Words("agree")]
    return blocks + [Para(Words("shortcut", args)), Equation(shortcut), Table(header, rows)]


def _agree_exact(a: float, b: float) -> bool:
    """Two forms of the same quantity agree to float64 round-off."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _bp2_section(e: Explanation) -> list:
    net = e.network
    depth = len(net.weights)
    blocks: list = [Heading(Words("sec_bp2"))]
    if depth == 1:
        return blocks + [Para(Words("bp2_none"))]

    def back(after: str) -> Paren:
        """((W^{l+1})ᵀ δ^{l+1}) with l + 1 written ``after``: the error carried back to layer l."""
        return Paren(row(Sym(Paren(Sym("W", sup=after)), sup="T"), Sym("δ", sup=after)))

    blocks += [
        Para(Words("bp2", {"delta": Sym("δ", sup="l+1"), "sp": Call(SIGMA_PRIME, Sym("z", sup="l"))})),
        Equation(row(Sym("δ", sup="l"), "=", back("l+1"), "⊙", Call(SIGMA_PRIME, Sym("z", sup="l")))),
    ]
    for i in reversed(range(depth - 1)):
        l, j = i + 2, e.path[i + 1]
        sp, back_values, delta, delta_next = e.derivatives[i], e.grad_activations[i], e.deltas[i], e.deltas[i + 1]
        shown, note = _layer_rows(e, i)
        blocks += [
            Para(Words("layer", {"l": l, "act": net.activations[i].name})), *note,
            Table([Sym("j"), Sym(back(str(l + 1)), "j"), Call(SIGMA_PRIME, Sym("z", "j", str(l))), Sym("δ", "j", str(l))],
                  [[r + 1, float(back_values[r]), float(sp[r]), float(delta[r])] for r in shown]),
            Para(Words("bp2_worked", {"j": j + 1, "l": l, "sp": Call(SIGMA_PRIME, _s("z", l, j))})),
        ]
        W_next = net.weights[i + 1]
        products = W_next[:, j] * delta_next
        ks, cut = _terms(products)
        tail = ["+", "…"] if cut else []
        symbolic = Paren(row(*_sum([row(_s("w", l + 1, k, j), _s("δ", l + 1, k)) for k in ks]), *tail))
        numeric = Paren(row(*_sum([row(Num(float(W_next[k, j])), "×", Num(float(delta_next[k]))) for k in ks]), *tail))
        blocks.append(Equation(row(_s("δ", l, j), "=", symbolic, Call(SIGMA_PRIME, _s("z", l, j)))))
        blocks.append(Equation(row("=", numeric, "×", Num(float(sp[j])), "=", Num(float(delta[j]), bare=True))))
        if cut:
            blocks += _cut_note(products, ks)
    return blocks


def _gradient_section(e: Explanation) -> list:
    net = e.network
    rule = row(Frac(Sym("∂C"), Sym("∂w")), "=", Sym("a", "in"), Sym("δ", "out"))
    a_prev_T = Sym(Paren(Sym("a", sup="l−1")), sup="T")
    blocks: list = [
        Heading(Words("sec_grad")), Para(Words("bp34", {"rule": rule})),
        Equation(row(_d(Sym("b", "j", "l")), "=", Sym("δ", "j", "l"), ",", _d(Sym("w", "jk", "l")), "=", Sym("a", "k", "l−1"), Sym("δ", "j", "l"))),
        Equation(row(_d(Sym("b", sup="l")), "=", Sym("δ", sup="l"), ",", _d(Sym("W", sup="l")), "=", Sym("δ", sup="l"), a_prev_T)),
        Para(Words("numerical", {"eps": Num(EPS, bare=True)})),
    ]
    ok, numeric = Words("agree"), Words("numeric")
    for i in range(len(net.weights)):
        l, j, k = i + 2, e.path[i + 1], e.path[i]
        a_in, delta, dW, num_dW = e.activations[i], e.deltas[i], e.dW[i], e.numerical_dW[i]
        entries = [tuple(map(int, jk)) for jk in np.argwhere(~np.isnan(num_dW))]
        blocks += [
            Para(Words("layer", {"l": l, "act": net.activations[i].name})),
            Equation(row(_d(_s("w", l, j, k)), "=", _s("a", l - 1, k), _s("δ", l, j), "=", Num(float(a_in[k])), "×", Num(float(delta[j])),
                         "=", Num(float(dW[j, k]), bare=True), "≈", Num(float(num_dW[j, k]), bare=True))),
        ]
        if len(entries) < dW.size:
            words = {"shown": len(entries), "n": dW.size, "j": j + 1, "name": _d(Sym("W", sup=str(l))), "norm": Num(float(np.linalg.norm(dW)), bare=True)}
            blocks.append(Para(Words("shown_weights", words)))
        blocks.append(Table(
            [Sym("j"), Sym("k"), Sym("a", "k", str(l - 1)), Sym("δ", "j", str(l)), _d(Sym("w", "jk", str(l))), numeric, ok],
            [[r + 1, c + 1, float(a_in[c]), float(delta[r]), float(dW[r, c]), float(num_dW[r, c]), _agree(dW[r, c], num_dW[r, c])] for r, c in entries],
        ))
        db, num_db = e.db[i], e.numerical_db[i]
        rows_b = [int(r) for r in np.flatnonzero(~np.isnan(num_db))]
        blocks.append(Table(
            [Sym("j"), row(_d(Sym("b", "j", str(l))), "=", Sym("δ", "j", str(l))), numeric, ok],
            [[r + 1, float(db[r]), float(num_db[r]), _agree(db[r], num_db[r])] for r in rows_b],
        ))
    every = all(p.checked == math.prod(p.shape) for p in e.check.parameters)
    mode = Words("mode_every") if every else Words("mode_directions", {"k": e.check.parameters[0].checked})
    rows = []
    for p, (name, l) in zip(e.check.parameters, [(n, i + 2) for i in range(len(net.weights)) for n in ("W", "b")]):
        rows.append([_d(Sym(name, sup=str(l))), " × ".join(map(str, p.shape)), _bound(p.rel_error), p.rel_error < 1e-7])
    return blocks + [Para(Words("check", {"mode": mode})), Table([Words("array"), Words("shape"), Words("max_rel_error"), ok], rows)]


def _update_section(e: Explanation) -> list:
    net = e.network
    blocks: list = [
        Heading(Words("sec_update")), Para(Words("update", {"eta": Sym("η"), "lr": Num(e.lr, bare=True)})),
        Equation(row(Sym("W", sup="l"), "←", Sym("W", sup="l"), "−", Sym("η"), _d(Sym("W", sup="l")), ",",
                     Sym("b", sup="l"), "←", Sym("b", sup="l"), "−", Sym("η"), _d(Sym("b", sup="l")))),
    ]
    for i, (W, W_new, b_new) in enumerate(zip(net.weights, e.updated_weights, e.updated_biases)):
        l, j, k = i + 2, e.path[i + 1], e.path[i]
        blocks += [
            Para(Words("layer", {"l": l, "act": net.activations[i].name})),
            Equation(row(_s("w", l, j, k), "←", Num(float(W[j, k]), bare=True), "−", Num(e.lr), "×", Num(float(e.dW[i][j, k])), "=", Num(float(W_new[j, k]), bare=True))),
            *_matrix(Sym("W", sup=str(l)), "w", W_new, b_new, l),
        ]
    return blocks + [Para(Words("cost_after", {"before": Num(e.cost, bare=True), "after": Num(e.cost_after, bare=True)}))]


# ---------------------------------------------------------------------------------------------
# Text (rich) and Markdown.


def _text_value(value: object, lang: str) -> str:
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, Math):
        return value.text()
    if isinstance(value, Words):
        return say(value, lang, lambda v: _text_value(v, lang))
    if isinstance(value, float):
        return _fmt(value)
    return str(value)


def _rich(blocks: list, lang: str, color: bool = False) -> Iterator:
    """rich renderables for the blocks (the Graph block is drawn by the HTML renderer only)."""
    from rich import box
    from rich.padding import Padding
    from rich.rule import Rule
    from rich.table import Table as RichTable
    from rich.text import Text

    for block in blocks:
        if isinstance(block, Heading):
            yield Text()
            yield Rule(Text(_text_value(block.words, lang), style="bold"), characters="═" if block.level == 1 else "─", align="left",
                       style="cyan" if color else "")
        elif isinstance(block, Para):
            yield Text()
            yield Text(_text_value(block.words, lang)) if lang == "en" else _Chinese(_text_value(block.words, lang))
        elif isinstance(block, Equation):
            yield Padding(Text(block.math.text(), style="bold" if color else ""), (0, 0, 0, 4))
        elif isinstance(block, Table):
            table = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
            for cell in block.header:
                table.add_column(_text_value(cell, lang), justify="right")
            for cells in block.rows:
                table.add_row(*(_text_value(c, lang) for c in cells))
            yield Padding(table, (0, 0, 0, 4))


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


def _markdown_value(value: object, lang: str) -> str:
    if isinstance(value, Math):
        return f"${value.tex()}$"
    if isinstance(value, Words):
        return say(value, lang, lambda v: _markdown_value(v, lang))
    return _text_value(value, lang)


def _markdown(blocks: list, lang: str) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append("#" * block.level + " " + _markdown_value(block.words, lang))
        elif isinstance(block, Para):
            parts.append(_markdown_value(block.words, lang))
        elif isinstance(block, Equation):
            parts.append(f"$$\n{block.math.tex()}\n$$")
        elif isinstance(block, Table):
            lines = ["| " + " | ".join(_markdown_value(c, lang) for c in block.header) + " |", "|" + "---:|" * len(block.header)]
            lines += ["| " + " | ".join(_markdown_value(c, lang) for c in cells) + " |" for cells in block.rows]
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
