"""Formulas as a small tree that prints itself three ways: Unicode text, LaTeX and MathML.

A formula is built from :class:`Sym` (a symbol with sub- and superscript), :class:`Num`,
:class:`Op` (operators and punctuation), :class:`Row` (items side by side), :class:`Frac`,
:class:`Paren` and :class:`Call` (a function applied to an argument). Every node has
``text()`` (δ²₁ = …, for the terminal and the SVG labels), ``tex()`` (for Markdown) and
``mathml()`` (for HTML, without the ``<math>`` element). The helpers below build the symbols
of the book's notation.

Symbols → names: a symbol of layer l with 0-based indices j, k shown from 1 (w^l_jk) →
``indexed("w", l, j, k)``; ∂C/∂s → ``d_cost(s)``; σ, σ′ → :data:`SIGMA`, :data:`SIGMA_PRIME`;
a number as shown everywhere (6 significant digits, never −0) → ``fmt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

import numpy as np

__all__ = [
    "Math", "Sym", "Num", "Op", "Row", "Frac", "Paren", "Call",
    "row", "fmt", "subscript", "indexed", "d_cost", "partial", "sum_of", "vector", "SIGMA", "SIGMA_PRIME",
]

_TEX = {
    "δ": r"\delta ", "σ": r"\sigma ", "η": r"\eta ", "Θ": r"\Theta ", "∂": r"\partial ", "∇": r"\nabla ",
    "∑": r"\sum ", "⊙": r"\odot ", "×": r"\times ", "←": r"\leftarrow ", "≈": r"\approx ",
    "−": "-", "′": "'", "⟨": r"\langle ", "⟩": r"\rangle ", "…": r"\dots ", "½": r"\tfrac{1}{2}", "→": r"\to ",
}
_SUP = dict(zip("0123456789+−-()lLTjkni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾ˡᴸᵀʲᵏⁿⁱ"))
_SUB = dict(zip("0123456789+−-()ajklinotu,", "₀₁₂₃₄₅₆₇₈₉₊₋₋₍₎ₐⱼₖₗᵢₙₒₜᵤ,"))
#: Symbol texts that MathML shows as one identifier, not letter by letter.
_WORDS = ("ln", "in", "out")


def _tex(text: str) -> str:
    return r"\ln " if text == "ln" else "".join(_TEX.get(c, c) for c in text)


def _script(text: str, table: dict[str, str], mark: str) -> str:
    """``text`` in Unicode super- or subscript letters, or ``^(text)`` where one is missing."""
    if all(c in table for c in text):
        return "".join(table[c] for c in text)
    return f"{mark}{text}" if len(text) == 1 else f"{mark}({text})"


def _tokens(text: str) -> str:
    """A symbol's text as MathML tokens: digits <mn>, letters <mi>, anything else <mo>."""
    if text in _WORDS:
        return f"<mi>{text}</mi>"
    if text == "T":  # the transpose: upright
        return '<mi mathvariant="normal">T</mi>'
    if text.endswith("′"):  # σ′: a prime is a superscript
        return f"<msup>{_tokens(text[:-1])}<mo>′</mo></msup>"
    parts = []
    for token in re.findall(r"\d+|[^\W\d_]′?|\S", text):
        tag = "mn" if token.isdigit() else "mi" if token[0].isalpha() else "mo"
        parts.append(f"<{tag}>{escape(token)}</{tag}>")
    return parts[0] if len(parts) == 1 else "<mrow>" + "".join(parts) + "</mrow>"


def fmt(value: float, digits: int = 6) -> str:
    """A number as shown everywhere: ``digits`` significant digits, never ``-0``."""
    text = f"{value:.{digits}g}"
    return "0" if text in ("0", "-0") else text


class Math:
    """A formula node; subclasses print themselves as text, LaTeX and MathML."""

    def text(self) -> str:
        """The formula in Unicode text: δ²₁ = (W³)ᵀ δ³ …"""
        raise NotImplementedError

    def tex(self) -> str:
        """The formula in LaTeX (without the ``$`` delimiters)."""
        raise NotImplementedError

    def mathml(self) -> str:
        """The formula's MathML markup, without the ``<math>`` element."""
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

    def mathml(self) -> str:
        base = _tokens(self.base) if isinstance(self.base, str) else self.base.mathml()
        sub = _tokens(self.sub) if self.sub else ""
        sup = _tokens(self.sup) if self.sup else ""
        if sub and sup:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        return f"<msub>{base}{sub}</msub>" if sub else f"<msup>{base}{sup}</msup>" if sup else base


@dataclass(frozen=True)
class Num(Math):
    """A number; a negative one is put in parentheses unless ``bare`` (after an equals sign)."""

    value: float
    bare: bool = False

    def text(self) -> str:
        s = fmt(self.value)
        return f"({s})" if s.startswith("-") and not self.bare else s

    def tex(self) -> str:
        mantissa, _, exponent = fmt(self.value).partition("e")
        s = mantissa + (rf"\times 10^{{{int(exponent)}}}" if exponent else "")
        return f"({s})" if s.startswith("-") and not self.bare else s

    def mathml(self) -> str:
        mantissa, _, exponent = fmt(self.value).partition("e")
        out = f"<mn>{mantissa.replace('-', '−')}</mn>"
        if exponent:
            power = int(exponent)
            sign = "<mo>−</mo>" if power < 0 else ""
            out += f"<mo>×</mo><msup><mn>10</mn><mrow>{sign}<mn>{abs(power)}</mn></mrow></msup>"
        if mantissa.startswith("-") and not self.bare:
            return f"<mrow><mo>(</mo>{out}<mo>)</mo></mrow>"
        return f"<mrow>{out}</mrow>"


@dataclass(frozen=True)
class Op(Math):
    """An operator or punctuation: ``=``, ``+``, ``⊙``, ``,`` …"""

    op: str

    def text(self) -> str:
        return self.op

    def tex(self) -> str:
        return _tex(self.op)

    def mathml(self) -> str:
        return "<mfrac><mn>1</mn><mn>2</mn></mfrac>" if self.op == "½" else f"<mo>{escape(self.op)}</mo>"


@dataclass(frozen=True)
class Row(Math):
    """Items side by side (juxtaposition is multiplication)."""

    items: tuple[Math, ...]

    def text(self) -> str:
        return " ".join(item.text() for item in self.items).replace(" ,", ",")

    def tex(self) -> str:
        return " ".join(item.tex() for item in self.items)

    def mathml(self) -> str:
        return "<mrow>" + "".join(item.mathml() for item in self.items) + "</mrow>"


@dataclass(frozen=True)
class Frac(Math):
    """A fraction: ``num`` over ``den`` (num/den in text)."""

    num: Math
    den: Math

    def text(self) -> str:
        return f"{self.num.text()}/{self.den.text()}"

    def tex(self) -> str:
        return rf"\frac{{{self.num.tex()}}}{{{self.den.tex()}}}"

    def mathml(self) -> str:
        return f"<mfrac>{self.num.mathml()}{self.den.mathml()}</mfrac>"


@dataclass(frozen=True)
class Paren(Math):
    """``body`` between brackets: ( ), [ ] or ⟨ ⟩."""

    body: Math
    left: str = "("
    right: str = ")"

    def text(self) -> str:
        return f"{self.left}{self.body.text()}{self.right}"

    def tex(self) -> str:
        left, right = ("[", "]") if self.left == "[" else (_tex(self.left).strip(), _tex(self.right).strip())
        return rf"\left{left} {self.body.tex()} \right{right}"

    def mathml(self) -> str:
        return f"<mrow><mo>{escape(self.left)}</mo>{self.body.mathml()}<mo>{escape(self.right)}</mo></mrow>"


@dataclass(frozen=True)
class Call(Math):
    """A function applied to an argument: σ(z), ln(a)."""

    fn: Math
    arg: Math

    def text(self) -> str:
        return f"{self.fn.text()}({self.arg.text()})"

    def tex(self) -> str:
        return rf"{self.fn.tex()}\left( {self.arg.tex()} \right)"

    def mathml(self) -> str:
        space = '<mspace width="0.17em"/>' if self.fn == Sym("ln") else ""
        return f"<mrow>{space}{self.fn.mathml()}<mo>(</mo>{self.arg.mathml()}<mo>)</mo></mrow>"


def row(*items: Math | str | float) -> Row:
    """A :class:`Row`; a str becomes an :class:`Op`, a number a :class:`Num`."""
    return Row(tuple(Op(i) if isinstance(i, str) else Num(float(i)) if isinstance(i, (int, float, np.floating)) else i for i in items))


def subscript(*indices: int) -> str:
    """Subscript of 0-based indices, shown from 1: ``13``, or ``3,407`` when one has two digits."""
    shown = [str(i + 1) for i in indices]
    return ("," if any(len(s) > 1 for s in shown) else "").join(shown)


def indexed(base: str, layer: int | str | None = None, *indices: int) -> Sym:
    """A symbol of layer ``layer`` with 0-based ``indices`` shown from 1: ``indexed("w", 3, 0, 2)`` is w^3_13."""
    return Sym(base, subscript(*indices) if indices else "", "" if layer is None else str(layer))


def d_cost(symbol: Sym) -> Frac:
    """∂C/∂symbol."""
    return Frac(Sym("∂C"), Sym(f"∂{symbol.base}", symbol.sub, symbol.sup))


def partial(of: Sym, by: Sym) -> Frac:
    """∂of/∂by: how fast one node of the graph changes with another."""
    return Frac(Sym(f"∂{of.base}", of.sub, of.sup), Sym(f"∂{by.base}", by.sub, by.sup))


def sum_of(terms: list[Math]) -> list[Math | str]:
    """Terms joined by ``+``, as items for :func:`row`."""
    out: list[Math | str] = []
    for term in terms:
        out += ["+", term] if out else [term]
    return out


def vector(values: np.ndarray) -> Paren:
    """(v_1, v_2, …) for a short vector."""
    items: list[Math | str] = []
    for v in values:
        items += [",", Num(float(v), bare=True)] if items else [Num(float(v), bare=True)]
    return Paren(row(*items))


SIGMA_PRIME = Sym("σ′")
SIGMA = Sym("σ")
