"""Training: the run as an object (:class:`Trainer`), :func:`fit` over it, callbacks,
checkpoints, full-batch optimisation and the CLI's recipes."""

from .checkpoint import CHECKPOINT_FILE
from .loop import Callback, History, TrainingDiverged, evaluate, fit

__all__ = ["fit", "evaluate", "History", "Callback", "TrainingDiverged", "CHECKPOINT_FILE"]
