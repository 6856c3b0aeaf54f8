"""The formula tree prints itself three ways: text, TeX and MathML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from deltaprop.explain.formula import SIGMA_PRIME, Call, Frac, Num, Op, Paren, Sym, d_cost, fmt, indexed, row, subscript, vector


def test_each_node_has_its_text_tex_and_mathml():
    delta = Sym("δ", "j", "l")
    assert (delta.text(), delta.tex(), delta.mathml()) == ("δˡⱼ", r"\delta_{j}^{l}", "<msubsup><mi>δ</mi><mi>j</mi><mi>l</mi></msubsup>")
    assert (Num(-0.5).text(), Num(-0.5, bare=True).text(), Num(2.5e-7).tex()) == ("(-0.5)", "-0.5", r"2.5\times 10^{-7}")
    assert Num(-2.5e-7).mathml() == "<mrow><mo>(</mo><mn>−2.5</mn><mo>×</mo><msup><mn>10</mn><mrow><mo>−</mo><mn>7</mn></mrow></msup><mo>)</mo></mrow>"
    assert (Op("½").text(), Op("½").tex(), Op("½").mathml()) == ("½", r"\tfrac{1}{2}", "<mfrac><mn>1</mn><mn>2</mn></mfrac>")
    assert Frac(Sym("∂C"), Sym("∂w")).mathml() == "<mfrac><mrow><mo>∂</mo><mi>C</mi></mrow><mrow><mo>∂</mo><mi>w</mi></mrow></mfrac>"
    assert Paren(Sym("a"), "⟨", "⟩").tex() == r"\left\langle a \right\rangle"
    assert Call(Sym("ln"), Sym("a")).mathml() == '<mrow><mspace width="0.17em"/><mi>ln</mi><mo>(</mo><mi>a</mi><mo>)</mo></mrow>'


def test_a_whole_equation_in_its_three_forms():
    bp1 = row(indexed("δ", 3, 0), "=", d_cost(indexed("a", 3, 0)), Call(SIGMA_PRIME, indexed("z", 3, 0)), "=", Num(0.25), "×", Num(-2.0), "=", Num(-0.5, bare=True))
    assert bp1.text() == "δ³₁ = ∂C/∂a³₁ σ′(z³₁) = 0.25 × (-2) = -0.5"
    assert bp1.tex() == r"\delta_{1}^{3} = \frac{\partial C}{\partial a_{1}^{3}} \sigma '\left( z_{1}^{3} \right) = 0.25 \times  (-2) = -0.5"  # TeX ignores the spaces
    ET.fromstring(f"<math>{bp1.mathml()}</math>")  # well-formed


def test_the_helpers_count_from_one_and_never_print_minus_zero():
    assert subscript(0, 2) == "13" and subscript(2, 406) == "3,407"
    assert fmt(-0.0) == "0" and fmt(1 / 3) == "0.333333" and fmt(1 / 3, 4) == "0.3333"
    assert vector([1.0, -2.0]).text() == "(1, -2)"
