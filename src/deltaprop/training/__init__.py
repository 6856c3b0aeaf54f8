"""Training: the run as an object (:class:`Trainer`), :func:`fit` over it, the callbacks that
do everything besides the steps, checkpoints, full-batch optimisation and the CLI's recipes."""

from . import callbacks
from .checkpoint import CHECKPOINT_FILE
from .fit import fit
from .history import History
from .trainer import Callback, Trainer, TrainingDiverged, evaluate

__all__ = ["Trainer", "fit", "evaluate", "History", "Callback", "TrainingDiverged", "callbacks", "CHECKPOINT_FILE"]
