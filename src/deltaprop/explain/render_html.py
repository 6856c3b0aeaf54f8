"""The HTML form of an explanation: MathML equations, an SVG computation graph.

One self-contained page: the style sheet is inline, the equations are MathML (which browsers
display natively), the computation graph is inline SVG, and there is no script and no
reference to anything outside the file, so it opens the same offline, in a notebook or in a
mail. The graph follows seed 002's figure 3.2: inputs → z → a → … → C from left to right, the
forward pass in blue; the backward flow (∂C/∂a, δ) in red, with the parameters W^l, b^l (Θ in
Ng's notation) branching off at each z; every node labelled with its value.

Symbols → names: l → ``column.layer``; the worked neuron of a column → ``column.chosen``
(see :class:`deltaprop.explain.blocks.GraphColumn`).
"""

from __future__ import annotations

from html import escape

from .blocks import Equation, Graph, Heading, Label, Para, Table, Words
from .formula import Math, Sym, d_cost, fmt
from .prose import say

__all__ = ["render_html", "svg_graph", "FORWARD", "BACKWARD", "PATH"]

#: The colour of the forward pass in the graph.
FORWARD = "#1f77b4"
#: The colour of the backward flow.
BACKWARD = "#d62728"
#: The colour of a derivation's paths from a weight to the cost.
PATH = "#2da44e"

_STYLE = """
.deltaprop-explain{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif;
line-height:1.5;color:#1b1b1b;background:#fff;max-width:1100px;margin:0 auto;padding:0.5rem 1.5rem 2rem}
.deltaprop-explain h1{font-size:1.7rem;border-bottom:2px solid #ddd;padding-bottom:0.3rem}
.deltaprop-explain h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #eee}
.deltaprop-explain .eq{margin:0.6rem 0 0.6rem 1.5rem;overflow-x:auto;overflow-y:hidden;font-size:1.1em}
.deltaprop-explain table{border-collapse:collapse;margin:0.5rem 0 1rem 1.5rem;font-variant-numeric:tabular-nums}
.deltaprop-explain th,.deltaprop-explain td{border:1px solid #d0d7de;padding:0.15rem 0.6rem;text-align:right}
.deltaprop-explain th{background:#f6f8fa;font-weight:normal}
.deltaprop-explain .ok{color:#1a7f37}.deltaprop-explain .bad{color:#cf222e;font-weight:bold}
.deltaprop-explain figure{margin:1rem 0}.deltaprop-explain figure svg{width:100%;height:auto;max-width:100%}
.deltaprop-explain figcaption{color:#57606a;font-size:0.9rem}
"""


def _value(value: object, lang: str) -> str:
    """A prose placeholder or table cell as HTML."""
    if isinstance(value, bool):
        return '<span class="ok">✓</span>' if value else '<span class="bad">✗</span>'
    if isinstance(value, Math):
        return f"<math>{value.mathml()}</math>"
    if isinstance(value, Words):
        return say(value, lang, lambda v: _value(v, lang), escape)
    if isinstance(value, float):
        return fmt(value)
    return escape(str(value))


def render_html(blocks: list, lang: str, page: bool = True) -> str:
    """The blocks as an HTML page (``page``) or as a fragment to embed, e.g. in Jupyter."""
    body = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{_value(block.words, lang)}</h{block.level}>")
        elif isinstance(block, Para):
            body.append(f"<p>{_value(block.words, lang)}</p>")
        elif isinstance(block, Equation):
            body.append(f'<div class="eq"><math displaystyle="true">{block.math.mathml()}</math></div>')  # left-aligned display
        elif isinstance(block, Table):
            head = "".join(f"<th>{_value(c, lang)}</th>" for c in block.header)
            rows = "".join("<tr>" + "".join(f"<td>{_value(c, lang)}</td>" for c in cells) + "</tr>" for cells in block.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Graph):
            caption = Words("graph_paths" if block.paths else "graph")
            body.append(f"<figure>{svg_graph(block, lang)}<figcaption>{_value(caption, lang)}</figcaption></figure>")
    content = f'<div class="deltaprop-explain" lang="{lang}"><style>{_STYLE}</style>\n' + "\n".join(body) + "\n</div>"
    if not page:
        return content
    title = escape(say(Words("title"), lang, str))
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{title}</title>\n</head>\n'
        f"<body>\n{content}\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------------------------- SVG

_NODE_W, _NODE_H, _COLUMN, _ROW, _TOP = 132, 44, 172, 60, 118


def _label(label: Label | None) -> str:
    return "" if label is None else f"{label.symbol.text()} = {fmt(label.value, 4)}"


def svg_graph(graph: Graph, lang: str) -> str:
    """The computation graph as inline SVG (seed 002's figure 3.2, with numbers)."""
    columns = graph.columns
    tallest = max(len(column.nodes) for column in columns)
    middle = _TOP + tallest * _ROW / 2
    width = 24 + (len(columns) - 1) * _COLUMN + _NODE_W
    height = int(middle + tallest * _ROW / 2 + 70)

    def centre(c: int, r: int) -> tuple[float, float]:
        n = len(columns[c].nodes)
        return 16 + c * _COLUMN + _NODE_W / 2, middle + (r - (n - 1) / 2) * _ROW

    out = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(say(Words("graph"), lang, str))}" font-family="system-ui, sans-serif" font-size="12">',
        "<defs>"
        + "".join(
            f'<marker id="dp-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
            f'<path d="M0,0L10,5L0,10z" fill="{colour}"/></marker>'
            for name, colour in (("fwd", FORWARD), ("bwd", BACKWARD))
        )
        + "</defs>",
    ]

    def line(x1: float, y1: float, x2: float, y2: float, backward: bool = False, bend: float = 0.0, faint: bool = False) -> None:
        colour, marker = (BACKWARD, "bwd") if backward else (FORWARD, "fwd")
        style = ' stroke-dasharray="5 3"' if backward else ""
        style += ' stroke-opacity="0.35"' if faint else f' marker-end="url(#dp-{marker})"'
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2 + bend
        out.append(f'<path d="M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}" fill="none" stroke="{colour}" stroke-width="1.3"{style}/>')

    half_w, half_h = _NODE_W / 2, _NODE_H / 2
    # Edges first, so that the nodes are drawn over them.
    for c in range(1, len(columns)):
        column, before = columns[c], columns[c - 1]
        for r in range(len(column.nodes)):
            x2, y2 = centre(c, r)
            if column.kind == "z":  # a^{l−1}_k → z^l_j: every weight; backward (BP2) along the weights leaving the worked neuron
                for q in range(len(before.nodes)):
                    x1, y1 = centre(c - 1, q)
                    spread = (q - (len(before.nodes) - 1) / 2) * min(8.0, 24 / len(before.nodes))
                    line(x1 + half_w, y1 - 4, x2 - half_w, y2 + spread - 4, faint=r != column.chosen)
                    if before.kind == "a" and q == before.chosen:
                        spread = (r - (len(column.nodes) - 1) / 2) * min(8.0, 24 / len(column.nodes))
                        line(x2 - half_w, y2 + 10, x1 + half_w, y1 + 10 + spread, backward=True, bend=12)
            elif column.kind == "a":
                line(x2 - _COLUMN + half_w, y2 - 6, x2 - half_w, y2 - 6)
                line(x2 - half_w, y2 + 6, x2 - _COLUMN + half_w, y2 + 6, backward=True)
            else:  # a^L_j → C
                for q in range(len(before.nodes)):
                    x1, y1 = centre(c - 1, q)
                    spread = (q - (len(before.nodes) - 1) / 2) * min(8.0, 24 / len(before.nodes))
                    line(x1 + half_w, y1 - 6, x2 - half_w, y2 + spread - 6)
                    line(x2 - half_w, y2 + spread + 6, x1 + half_w, y1 + 6, backward=True)
    # Θ branching off: W^l, b^l above each z column, feeding it; ∂C/∂W back into it.
    for c, column in enumerate(columns):
        if column.kind != "z":
            continue
        l = column.layer
        x, _ = centre(c, 0)
        top_r = column.chosen
        _, y_node = centre(c, top_r)
        box_y = 14
        out.append(f'<rect x="{x - half_w:.1f}" y="{box_y}" width="{_NODE_W}" height="{_NODE_H + 8}" rx="6" fill="#fff8e6" stroke="#b08800"/>')
        params = f"{Sym('W', sup=str(l)).text()}, {Sym('b', sup=str(l)).text()}  ({Sym('Θ', sup=f'({l - 1})').text()})"
        out.append(f'<text x="{x:.1f}" y="{box_y + 17}" text-anchor="middle" fill="{FORWARD}">{escape(params)}</text>')
        norm = f"‖{d_cost(Sym('W', sup=str(l))).text()}‖ = {fmt(column.grad_norm, 4)}"
        out.append(f'<text x="{x:.1f}" y="{box_y + 36}" text-anchor="middle" fill="{BACKWARD}">{escape(norm)}</text>')
        first_y = centre(c, 0)[1] - half_h
        line(x - 10, box_y + _NODE_H + 8, x - 10, first_y)
        line(x + 10, y_node - half_h if top_r == 0 else first_y, x + 10, box_y + _NODE_H + 8, backward=True)
    # The derivation's paths, weight to cost, over the edges and under the nodes.
    for path in graph.paths:
        points = " ".join(f"{x:.1f},{y:.1f}" for c, r in path for x, y in ((centre(c, r)[0] - half_w, centre(c, r)[1]), (centre(c, r)[0] + half_w, centre(c, r)[1])))
        out.append(f'<polyline class="dp-path" points="{points}" fill="none" stroke="{PATH}" stroke-width="3" stroke-opacity="0.55" stroke-linejoin="round"/>')
    # Nodes.
    for c, column in enumerate(columns):
        for r, (forward, backward) in enumerate(column.nodes):
            x, y = centre(c, r)
            stroke = ' stroke="#333" stroke-width="2"' if r == column.chosen else ' stroke="#8c959f"'
            out.append(f'<rect x="{x - half_w:.1f}" y="{y - half_h:.1f}" width="{_NODE_W}" height="{_NODE_H}" rx="8" fill="#ffffff"{stroke}/>')
            forward_text, backward_text = _label(forward), _label(backward)
            if backward_text:
                out.append(f'<text x="{x:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="{FORWARD}">{escape(forward_text)}</text>')
                out.append(f'<text x="{x:.1f}" y="{y + 13:.1f}" text-anchor="middle" fill="{BACKWARD}">{escape(backward_text)}</text>')
            else:
                out.append(f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" fill="{FORWARD}">{escape(forward_text)}</text>')
        if column.size > len(column.nodes):
            x, y = centre(c, len(column.nodes) - 1)
            more = say(Words("more", {"n": column.size - len(column.nodes)}), lang, str)
            out.append(f'<text x="{x:.1f}" y="{y + half_h + 16:.1f}" text-anchor="middle" fill="#57606a">⋮ {escape(more)}</text>')
    # Legend.
    y = height - 22
    out.append(f'<line x1="16" y1="{y}" x2="56" y2="{y}" stroke="{FORWARD}" stroke-width="2" marker-end="url(#dp-fwd)"/>')
    out.append(f'<text x="64" y="{y + 4}" fill="{FORWARD}">{escape(say(Words("legend_forward"), lang, str))}</text>')
    x0 = width / 2
    out.append(f'<line x1="{x0:.0f}" y1="{y}" x2="{x0 + 40:.0f}" y2="{y}" stroke="{BACKWARD}" stroke-width="2" stroke-dasharray="5 3" marker-end="url(#dp-bwd)"/>')
    out.append(f'<text x="{x0 + 48:.0f}" y="{y + 4}" fill="{BACKWARD}">{escape(say(Words("legend_backward"), lang, str))}</text>')
    out.append("</svg>")
    return "\n".join(out)
