"""The prose of an explanation, in English and Chinese: the symbols and numbers are the same in each.

:data:`PROSE` maps each language to its sentences, keyed as the :class:`~deltaprop.explain.blocks.Words`
of the document name them; ``{name}`` marks a placeholder that a renderer fills with a formula,
a number or more words (:func:`say`).

Symbols → names: the language → ``lang`` (one of :data:`LANGUAGES`).
"""

from __future__ import annotations

import string
from collections.abc import Callable

from .blocks import Words

__all__ = ["PROSE", "LANGUAGES", "say", "language"]

#: The languages of the prose: the symbols and numbers are the same in each.
LANGUAGES = ("en", "zh")

#: The sentences of each language, by key.
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
        "numeric": "numerical",
        "agree": "agree",
        "array": "array",
        "shape": "shape",
        "entry": "entry",
        "value": "value",
        "max_rel_error": "largest relative error",
        "general_bp1": "general BP1",
        "sec_proofs": "{n}. Why the equations hold: the chain rule, with the numbers",
        "proofs_intro": "Nielsen's chapter 2 proves BP1–BP4 by the chain rule, and Ng's notes write the gradient of a "
        "first-layer weight as a product of partial derivatives along the computation graph. Here every step is "
        "evaluated with this pass's numbers, for the weight {w} (Ng's {theta}). A partial derivative ∂u/∂v between two "
        "nodes of the graph is how fast u changes with v, everything else fixed; after each result come backprop's "
        "value and, after ≈, the central difference of the cost.",
        "proof_bp1": "BP1. By the chain rule over the output activations, {eq}, a sum over every neuron k of the output "
        "layer. The {act} output is element-wise: a^L_k depends on z^L_j only for k = j, so every term with k ≠ j "
        "vanishes and the sum is its one term with k = j, which is BP1:",
        "proof_bp1_softmax": "BP1. By the chain rule over the output activations, {eq}, a sum over every neuron k of the "
        "output layer. The {act} output couples its neurons: ∂a^L_k/∂z^L_j = a^L_k (1[k = j] − a^L_j) is not zero for "
        "k ≠ j, so the proof's step \"the terms k ≠ j vanish\" holds only for element-wise output activations. Here the "
        "whole sum is needed, a Jacobian-vector product; for neuron {j}:",
        "proof_bp1_all": "The whole Jacobian-vector product, term by term: row j holds ∂C/∂a^{L}_k ∂a^{L}_k/∂z^{L}_j for "
        "every k, and sums to δ^{L}_j. The terms off the diagonal are those that an element-wise output would make zero.",
        "proof_bp1_rows": "The whole Jacobian-vector product, row by row: for each j the term k = j, the sum of the terms "
        "k ≠ j (those that an element-wise output would make zero), and their total, δ^{L}_j.",
        "diagonal": "k = j",
        "off_diagonal": "∑ over k ≠ j",
        "term": "term",
        "proof_bp2": "BP2. By the chain rule over the weighted inputs of the next layer, {eq}. Since {z}, the derivative "
        "is {dz}. Term by term for neuron {j} of layer {l}:",
        "proof_bp2_factor": "Every term holds the same factor {sp}; taken out of the sum, it leaves BP2 for this neuron:",
        "proof_bp34": "BP3 and BP4. From {z} follow {dzdb} and {dzdw}, so the chain rule through the weighted input gives, "
        "in one line each:",
        "chain": "Ng's chain. Ng's notes write the gradient of {theta} (here {w}; Ng's J is our {C}) as the product of "
        "the partial derivatives along its path through the computation graph, from the cost down (their equation 6). "
        "Factor by factor:",
        "factor": "factor",
        "is": "is",
        "chain_front_one": "The front part of the product, every factor but the last, is {delta} (Ng's equation 7): "
        "δ keeps the partial result of the chain, and the gradient is {result}:",
        "chain_front_many": "In Ng's network (one output, one hidden layer) this chain is the whole derivative; here it is "
        "one of the {n} paths from the weight to the cost. Its front part, {front}, is that path's share of {delta} = "
        "{value}; the sum over every path follows.",
        "sec_paths": "{n}. The path sum",
        "paths": "The chain rule on the whole graph: the gradient of a weight is the sum, over every path from the weight "
        "to the cost, of the product of the partial derivatives along the path. From {w} there are {n} paths; the "
        "graph draws them in green.",
        "paths_one": "The chain rule on the whole graph: the gradient of a weight is the sum, over every path from the "
        "weight to the cost, of the product of the partial derivatives along the path. From {w} there is one path, Ng's "
        "chain above; the graph draws it in green.",
        "graph_paths": "The computation graph with the paths from the weight to the cost in green: each path is one term "
        "of the path sum.",
        "path": "path",
        "factors": "factors",
        "product": "product",
        "paths_listed": "Listed are the first {shown} of the {n} paths; the other {rest_n} add up to {rest}.",
        "paths_accumulated": "{n} paths are too many to add one by one: their products are accumulated forward from the "
        "weight, layer by layer, the same sum grouped by the node the paths pass through. Listed are the first {shown}; "
        "the other {rest_n} add up to {rest}.",
        "paths_equal": "The sum over the paths equals backprop's {bp}: every path leaves the weight through {z}, so each "
        "product is {a} times the product of the path's tail from {z} on, and the tails add up to {delta}, "
        "which backprop computes once:",
        "sec_count": "{n}. What caching δ saves",
        "count": "Computing each entry of the gradient by its own path sum multiplies along every path again; backprop "
        "computes each δ once and reuses it for every weight below it. The multiplications of the whole gradient of "
        "this network (the local derivatives σ′(z), ∂a/∂z and ∂C/∂a come from the forward pass, the same for both; "
        "additions and factors that are 1 by construction are not counted):",
        "multiplications": "multiplications",
        "path_sums": "path sums",
        "backprop": "backprop",
        "forward_pass": "forward pass",
        "chain_products": "path products / backward pass",
        "total": "total",
        "count_ratio": "Path sums take {ratio} times as many multiplications as backprop here.",
        "count_table": "Over depth and width, for networks of one width with element-wise activations: the path sums "
        "grow exponentially with the depth, backprop linearly. benchmarks/path_sums.py measures both.",
        "depth": "layers with weights",
        "width": "width",
        "ratio": "ratio",
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
        "numeric": "数值",
        "agree": "一致",
        "array": "数组",
        "shape": "形状",
        "entry": "元素",
        "value": "值",
        "max_rel_error": "最大相对误差",
        "general_bp1": "一般形式的 BP1",
        "sec_proofs": "{n}. 方程为何成立:链式法则,代入数值",
        "proofs_intro": "Nielsen 第二章用链式法则证明 BP1–BP4;Ng 的笔记把第一层权重的梯度写成沿计算图的偏导数之积。"
        "下面每一步都代入这次传播的数值,针对权重 {w}(Ng 记作 {theta})。图中两个结点之间的偏导数 ∂u/∂v 表示其余不变时 u 随 v "
        "变化的速度;每个结果之后给出 backprop 的值,≈ 之后是代价的中心差分。",
        "proof_bp1": "BP1。对输出激活值应用链式法则,{eq},对输出层的每个神经元 k 求和。{act} 输出是逐元素的:"
        "a^L_k 只在 k = j 时依赖于 z^L_j,所以 k ≠ j 的各项都为零,和式只剩 k = j 这一项,即 BP1:",
        "proof_bp1_softmax": "BP1。对输出激活值应用链式法则,{eq},对输出层的每个神经元 k 求和。{act} 输出把各神经元耦合在一起:"
        "∂a^L_k/∂z^L_j = a^L_k (1[k = j] − a^L_j) 在 k ≠ j 时不为零,所以证明中「k ≠ j 的项为零」这一步只对逐元素的输出激活函数成立。"
        "这里需要完整的和式,即雅可比矩阵与向量之积;对神经元 {j}:",
        "proof_bp1_all": "完整的雅可比矩阵与向量之积,逐项列出:第 j 行是每个 k 的 ∂C/∂a^{L}_k ∂a^{L}_k/∂z^{L}_j,其和为 δ^{L}_j。"
        "对角线以外的项,就是逐元素的输出会使之为零的那些项。",
        "proof_bp1_rows": "完整的雅可比矩阵与向量之积,逐行列出:对每个 j,给出 k = j 的项、k ≠ j 各项之和(逐元素的输出会使之为零的那些项)"
        "以及两者之和 δ^{L}_j。",
        "diagonal": "k = j",
        "off_diagonal": "k ≠ j 各项之和",
        "term": "项",
        "proof_bp2": "BP2。对下一层的带权输入应用链式法则,{eq}。由于 {z},其导数为 {dz}。对第 {l} 层第 {j} 个神经元逐项计算:",
        "proof_bp2_factor": "每一项都含有同一个因子 {sp};把它提到和式之外,就得到这个神经元的 BP2:",
        "proof_bp34": "BP3 与 BP4。由 {z} 得 {dzdb} 与 {dzdw},所以经过带权输入的链式法则各用一行给出:",
        "chain": "Ng 的链式求导。Ng 的笔记把 {theta}(这里是 {w};Ng 的 J 就是这里的 {C})的梯度写成沿它在计算图中的路径、"
        "从代价往下的各个偏导数之积(其式 6)。逐个因子计算:",
        "factor": "因子",
        "is": "即",
        "chain_front_one": "乘积的前面部分,即除最后一个因子以外的所有因子,就是 {delta}(Ng 的式 7):δ 保存了链式求导的部分结果,"
        "梯度为 {result}:",
        "chain_front_many": "在 Ng 的网络中(一个输出,一个隐藏层),这条链就是整个导数;这里它只是从权重到代价的 {n} 条路径之一。"
        "它的前面部分 {front} 是这条路径在 {delta} = {value} 中所占的一份;所有路径之和见下。",
        "sec_paths": "{n}. 路径之和",
        "paths": "在整个图上应用链式法则:一个权重的梯度等于从该权重到代价的每一条路径上各偏导数之积的总和。"
        "从 {w} 出发共有 {n} 条路径;图中以绿色画出。",
        "paths_one": "在整个图上应用链式法则:一个权重的梯度等于从该权重到代价的每一条路径上各偏导数之积的总和。"
        "从 {w} 出发只有一条路径,即上面 Ng 的链;图中以绿色画出。",
        "graph_paths": "计算图,绿色是从权重到代价的各条路径:每条路径是路径之和中的一项。",
        "path": "路径",
        "factors": "因子",
        "product": "乘积",
        "paths_listed": "列出 {n} 条路径中的前 {shown} 条;其余 {rest_n} 条之和为 {rest}。",
        "paths_accumulated": "{n} 条路径太多,无法逐条相加:它们的乘积从权重出发逐层向前累积,这是按路径经过的结点分组的同一个和。"
        "列出前 {shown} 条;其余 {rest_n} 条之和为 {rest}。",
        "paths_equal": "路径之和等于 backprop 的 {bp}:每条路径都经过 {z} 离开权重,所以每个乘积都是 {a} 乘以该路径从 {z} "
        "开始的后半段之积,而这些后半段之和就是 {delta},backprop 只计算一次:",
        "sec_count": "{n}. 缓存 δ 省下了什么",
        "count": "若每个梯度元素都用它自己的路径之和来算,每条路径都要重新连乘一遍;backprop 每个 δ 只算一次,"
        "并为其下方的每个权重重复使用。这个网络整个梯度的乘法次数(局部导数 σ′(z)、∂a/∂z 与 ∂C/∂a 来自前向传播,两种方法相同;"
        "加法和按构造等于 1 的因子不计):",
        "multiplications": "乘法次数",
        "path_sums": "路径之和",
        "backprop": "backprop",
        "forward_pass": "前向传播",
        "chain_products": "路径乘积 / 反向传播",
        "total": "合计",
        "count_ratio": "在这里,路径之和所需的乘法是 backprop 的 {ratio} 倍。",
        "count_table": "按深度和宽度列出,各层同宽、激活函数逐元素:路径之和随深度指数增长,backprop 线性增长。"
        "benchmarks/path_sums.py 对两者计时。",
        "depth": "带权重的层数",
        "width": "宽度",
        "ratio": "倍数",
    },
}


def say(w: Words, lang: str, render_arg: Callable[[object], str], escape: Callable[[str], str] = lambda s: s) -> str:
    """Fill the prose of ``w`` in ``lang``: literal text through ``escape``, values through ``render_arg``."""
    return "".join(
        escape(literal) + ("" if name is None else render_arg(w.args[name]))
        for literal, name, _, _ in string.Formatter().parse(PROSE[lang][w.key])
    )


def language(lang: object) -> str:
    """Return ``lang`` if it is one of :data:`LANGUAGES`, else raise ``ValueError``."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return lang
