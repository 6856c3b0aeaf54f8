"""deltaprop: neural networks trained by backpropagation.

The four equations (seed 000's numbering) and where they live:

- BP1  δ^L = ∇_a C ⊙ σ'(z^L)               :meth:`deltaprop.costs.Cost.delta`
- BP2  δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)  :func:`deltaprop.backprop.backprop`
- BP3  ∂C/∂b^l = δ^l                        (same function)
- BP4  ∂C/∂w^l_jk = a^{l−1}_k δ^l_j           (same function)
"""

from . import activations, costs, schedules
from .backprop import ForwardPass, Gradients, backprop, backprop_per_example, dropout_masks, forward
from .gradcheck import GradientCheck, check_gradients
from .network import Network
from .penalty import Penalty
from .scaling import Scaling
from .explain import Explanation, explain
from .training.fullbatch import FullBatchResult, fit_full_batch
from .optimizers import SGD, Adam, AdamW, Momentum, Optimizer, RMSProp, get_optimizer
from .schedules import get_schedule
from .serialize import load, save
from .training import Callback, History, Trainer, TrainingDiverged, callbacks, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "Network",
    "Penalty",
    "Scaling",
    "forward",
    "backprop",
    "backprop_per_example",
    "ForwardPass",
    "Gradients",
    "Trainer",
    "fit",
    "callbacks",
    "evaluate",
    "History",
    "Callback",
    "TrainingDiverged",
    "dropout_masks",
    "SGD",
    "Momentum",
    "Adam",
    "AdamW",
    "RMSProp",
    "Optimizer",
    "get_optimizer",
    "get_schedule",
    "schedules",
    "fit_full_batch",
    "FullBatchResult",
    "explain",
    "Explanation",
    "check_gradients",
    "GradientCheck",
    "save",
    "load",
    "activations",
    "costs",
    "datasets",
    "__version__",
]


def __getattr__(name: str) -> object:
    """``deltaprop.datasets`` is imported on first use: most programs that import deltaprop
    train on arrays they already have, and the loaders (downloads, IDX, CSV, images) cost a
    third of the import time."""
    if name == "datasets":
        import importlib

        return importlib.import_module(".datasets", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

