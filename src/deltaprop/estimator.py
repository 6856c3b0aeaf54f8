"""scikit-learn estimators: :class:`DeltaPropClassifier` and :class:`DeltaPropRegressor`.

They wrap :class:`deltaprop.Network` and :func:`deltaprop.fit` behind scikit-learn's API
(``fit``, ``partial_fit``, ``predict``, ``predict_proba``, ``score``, ``get_params``), so they
work in ``Pipeline``, ``GridSearchCV`` and ``cross_val_score``. scikit-learn is imported here
only (``pip install 'deltaprop[sklearn]'``); ``import deltaprop`` does not import this module.

Parameters take ``MLPClassifier``'s names where the concept is the same; what
``MLPClassifier`` lacks is added: ``dropout``, ``out_activation`` and ``cost``, one
activation per hidden layer, ``init``, ``dtype``, ``class_weight`` and ``sample_weight``.

Names → deltaprop (symbols as in the seeds):

=============================  =================================================================
scikit-learn                   deltaprop
=============================  =================================================================
``hidden_layer_sizes``         the hidden widths of ``Network.sizes``
``activation``                 σ of the hidden layers (``"logistic"`` is ``"sigmoid"``)
``learning_rate_init``         η, the optimizer's ``lr``
``solver="sgd"``               ``SGD(lr)`` when ``momentum == 0``, else
                               ``Momentum(lr, momentum, nesterov=nesterovs_momentum)``
``solver="adam"``              ``Adam(lr, beta_1, beta_2, epsilon)``
``solver="lbfgs"``             :func:`deltaprop.fit_full_batch` (``"L-BFGS-B"``)
``alpha``                      λ (``l2``), mapped as below
``max_iter``                   epochs (L-BFGS: iterations)
``coefs_[i]``                  ``network_.weights[i].T`` — W^l transposed, a view
``intercepts_[i]``             ``network_.biases[i]`` — the array itself
=============================  =================================================================

**alpha → λ.** In ``MLPClassifier``'s stochastic solvers every mini-batch of m rows
descends its mean loss + (α / 2m) Σ‖W‖² (``_backprop`` divides the penalty by the batch's
size, or by the batch's Σ sample_weight), so each step's weight gradient gains (α/m) W;
L-BFGS minimises the mean loss + (α / 2n) Σ‖W‖² over all n rows. deltaprop's cost is the
seeds' C + λ/(2n) Σ‖W‖² with n the training-set size, whose step gains (λ/n) W. So

    λ = α · n / (m · w̄)      (stochastic solvers; w̄ = the mean sample weight, 1 without weights)
    λ = α                    (L-BFGS, which takes no sample weights)

where n counts the training rows (after ``early_stopping``'s split) and m the batch size.
Every full unweighted mini-batch then has exactly ``MLPClassifier``'s gradient, and with
``batch_size`` ≥ n the gradients agree with weights too (weight 2 is then a repeated row,
penalty included); they differ only in the last, smaller batch of an epoch (sklearn's
penalty grows there to α/m_last) and, with unequal weights, in batches whose Σw is not m·w̄.
``loss_curve_`` holds deltaprop's cost, whose penalty is then (α / 2m w̄) Σ‖W‖²:
``MLPClassifier``'s per-batch penalty.

**Losses.** The classifier's default costs are ``MLPClassifier``'s: softmax outputs with the
log-likelihood (multiclass), sigmoid outputs with the cross-entropy summed over the outputs
(binary, one unit; multilabel, one per label). The regressor's quadratic cost is
½‖a − y‖² summed over the outputs; ``MLPRegressor`` divides its *loss* (not its gradient) by
the number of outputs as well, so the two ``loss_curve_`` differ by that factor for 2-D ``y``.
``loss_curve_`` holds the cost on the whole training set measured after each epoch, not the
average of the batch losses during it.

**Stopping.** As ``MLPClassifier``: training stops when the training cost (or, with
``early_stopping``, the validation score: accuracy, or R² for the regressor) has not improved
by at least ``tol`` for more than ``n_iter_no_change`` consecutive epochs; with
``early_stopping`` the network is left with the weights of its best validation score. Reaching
``max_iter`` first emits scikit-learn's ``ConvergenceWarning``.

**Not carried over.** ``MLPClassifier``'s ``learning_rate`` schedules ("invscaling",
"adaptive"), ``power_t`` and ``max_fun`` have no parameter here. deltaprop's Adam is
PyTorch's (ε added to √v̂ after the bias correction; scikit-learn adds it before), so the two
Adam runs differ slightly even from the same weights.

**Precision.** Training computes in ``X``'s float dtype as scikit-learn does (float32 stays
float32, anything else becomes float64), unless ``dtype`` names one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import Tags
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from .activations import ACTIVATIONS
from .costs import COSTS
from .training.fullbatch import fit_full_batch
from .network import INITIALIZERS, Network
from .optimizers import SGD, Adam, Momentum, Optimizer
from .training import History, fit
from .training.callbacks import EarlyStopping
from .validation import boolean, non_negative, positive_int, positive_number, real_number

__all__ = ["DeltaPropClassifier", "DeltaPropRegressor"]

#: Hidden-layer activations, by deltaprop's names and scikit-learn's ``"logistic"``.
HIDDEN_ACTIVATIONS = ("logistic", *(name for name, act in ACTIVATIONS.items() if act.elementwise))
SOLVERS = ("sgd", "adam", "lbfgs")
#: Rows per mini-batch for ``batch_size="auto"``: min(200, n), as scikit-learn.
AUTO_BATCH = 200


def _canonical(activation: str) -> str:
    """deltaprop's name of an activation: scikit-learn's ``"logistic"`` is ``"sigmoid"``."""
    return "sigmoid" if activation == "logistic" else activation


def _one_of(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of the strings ``allowed``, else raise ValueError."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def _generator(random_state: object) -> np.random.Generator:
    """The run's Generator from ``random_state``: None, an int ≥ 0, a RandomState (a seed is
    drawn from it, as scikit-learn's estimators draw theirs) or a Generator (used as it is)."""
    if random_state is None or (isinstance(random_state, (int, np.integer)) and not isinstance(random_state, (bool, np.bool_))):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return random_state  # a Generator, checked by _check_params


class _Convergence(EarlyStopping):
    """scikit-learn's stopping rule, as deltaprop's :class:`EarlyStopping`.

    An epoch improves when it beats the best by at least ``tol`` (``strict=False``), and
    training stops after more than ``n_iter_no_change`` epochs without one (patience
    n_iter_no_change + 1). It watches the training cost, or, with ``early_stopping``, the
    validation score (keeping the best score's weights). Its state carries over from one fit to
    the next (``warm_start``, ``partial_fit``), as ``MLPClassifier``'s does; under ``verbose``
    it prints ``MLPClassifier``'s lines.
    """

    #: Interrupted too, MLPClassifier keeps the best score's weights.
    restore_after = (*EarlyStopping.restore_after, "interrupted")

    def __init__(self) -> None:
        super().__init__(patience=1, monitor="cost", strict=False, restore_best=False)
        self.scores: list[float] = []
        self.verbose = False

    def watch(self, score: Callable[[], float] | None, tol: float, n_iter_no_change: int, may_stop: bool, verbose: bool) -> None:
        """Set the rule of the next fit: ``score`` (None: the training cost), ``tol``, the
        patience, whether it may stop (partial_fit never does) and ``verbose``."""
        mode = "min" if score is None else "max"
        if mode != self.mode:
            self.best, self.best_params = None, None
        self.monitor = "cost" if score is None else (lambda: self._record(score()))
        self.mode, self.restore_best, self.min_delta = mode, score is not None, tol
        self.patience = n_iter_no_change + 1 if may_stop else np.inf
        self.verbose = verbose

    def _record(self, value: float) -> float:
        self.scores.append(value)
        if self.verbose:
            print(f"Validation score: {value:f}")
        return value

    def on_epoch_end(self, epoch: int, history: History, net: Network) -> bool:
        stop = super().on_epoch_end(epoch, history, net)
        if stop and self.verbose:
            what = "Training loss" if self.monitor == "cost" else "Validation score"
            print(f"{what} did not improve more than tol={self.min_delta:f} for {self.patience - 1} consecutive epochs. Stopping.")
        return stop


class _DeltaPropEstimator(BaseEstimator):
    """What the classifier and the regressor share: the parameters, their checks and training.

    Subclasses implement ``_encode`` (targets → float target rows, output activation, cost)
    and ``_validation_score``.
    """

    _out_activations: tuple[str, ...] = ()

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str | Sequence[str] = "relu",
        *,
        out_activation: str | None = None,
        cost: str | None = None,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        init: str = "xavier",
        dtype: str | type | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.out_activation = out_activation
        self.cost = cost
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.init = init
        self.dtype = dtype

    # ------------------------------------------------------------------ fitted views
    @property
    def coefs_(self) -> list[np.ndarray]:
        """W^l of each layer in scikit-learn's orientation (n_{l−1}, n_l): views of
        ``network_.weights[i].T``, so writing into them changes the network."""
        return [W.T for W in self.network_.weights]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """b^l of each layer, shape (n_l,): the network's own arrays."""
        return list(self.network_.biases)

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> tuple[list[int], list[str]]:
        """Refuse bad hyper-parameters before any work; return the hidden widths and their
        activations (deltaprop's names, one per hidden layer)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, (int, np.integer)) and not isinstance(sizes, (bool, np.bool_)):
            sizes = [sizes]
        if isinstance(sizes, np.ndarray):
            sizes = sizes.tolist()
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or any(
            isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes
        ):
            raise ValueError(
                f"hidden_layer_sizes must be a positive integer or a sequence of them, e.g. (100,) or (64, 32); "
                f"got {self.hidden_layer_sizes!r}"
            )
        hidden = [int(s) for s in sizes]
        activation = self.activation
        if isinstance(activation, str):
            activation = [activation] * len(hidden)
        elif not isinstance(activation, Sequence) or len(activation) != len(hidden):
            raise ValueError(
                f"activation must be a name or a list of names, one per hidden layer ({len(hidden)} for "
                f"hidden_layer_sizes={self.hidden_layer_sizes!r}); got {self.activation!r}"
            )
        activations = [_canonical(_one_of("activation", a, HIDDEN_ACTIVATIONS)) for a in activation]
        if self.out_activation is not None:
            _one_of("out_activation", self.out_activation, self._out_activations)
        if self.cost is not None:
            _one_of("cost", self.cost, tuple(COSTS))
        _one_of("solver", self.solver, SOLVERS)
        _one_of("init", self.init, tuple(INITIALIZERS))
        non_negative("alpha", self.alpha)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            if isinstance(self.batch_size, (bool, np.bool_)) or not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
                raise ValueError(f"batch_size must be 'auto' or a positive integer; got {self.batch_size!r}")
        positive_number("learning_rate_init", self.learning_rate_init)
        positive_int("max_iter", self.max_iter)
        positive_int("n_iter_no_change", self.n_iter_no_change)
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            boolean(name, getattr(self, name))
        if not (isinstance(self.verbose, (bool, np.bool_)) or (isinstance(self.verbose, (int, np.integer)) and self.verbose >= 0)):
            raise ValueError(f"verbose must be True, False or an integer ≥ 0; got {self.verbose!r}")
        tol = non_negative("tol", self.tol)
        if self.solver == "lbfgs" and tol == 0:
            raise ValueError("tol must be > 0 for solver='lbfgs' (it is L-BFGS's gradient tolerance); got 0")
        real_number("momentum", self.momentum, "a number in [0, 1)", lambda v: 0 <= v < 1)
        real_number("validation_fraction", self.validation_fraction, "a number in (0, 1)", lambda v: 0 < v < 1)
        real_number("beta_1", self.beta_1, "a number in [0, 1)", lambda v: 0 <= v < 1)
        real_number("beta_2", self.beta_2, "a number in [0, 1)", lambda v: 0 <= v < 1)
        positive_number("epsilon", self.epsilon)
        real_number("dropout", self.dropout, "a probability in [0, 1)", lambda v: 0 <= v < 1)
        if self.solver == "lbfgs" and self.dropout:
            raise ValueError(f"dropout needs a stochastic solver ('sgd' or 'adam'); solver='lbfgs' got dropout={self.dropout!r}")
        if self.solver == "lbfgs" and self.early_stopping:
            raise ValueError("early_stopping needs a stochastic solver ('sgd' or 'adam'); solver='lbfgs' trains on all rows at once")
        if self.dtype is not None and self.dtype not in ("float32", "float64", np.float32, np.float64):
            raise ValueError(f"dtype must be None (X's float dtype), 'float32' or 'float64'; got {self.dtype!r}")
        rs = self.random_state
        if not (
            rs is None
            or isinstance(rs, (np.random.RandomState, np.random.Generator))
            or (isinstance(rs, (int, np.integer)) and not isinstance(rs, (bool, np.bool_)) and rs >= 0)
        ):
            raise ValueError(f"random_state must be None, an integer ≥ 0, a numpy RandomState or Generator; got {rs!r}")
        return hidden, activations

    # ------------------------------------------------------------------ training
    def _fit(self, X: object, y: object, sample_weight: object, incremental: bool) -> _DeltaPropEstimator:
        """fit and partial_fit: check everything, build the network on a first call, train."""
        hidden, activations = self._check_params()
        if incremental and self.solver == "lbfgs":
            raise ValueError("partial_fit needs a stochastic solver ('sgd' or 'adam'); solver='lbfgs' trains on all rows at once")
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; call fit, or set early_stopping=False")
        first = not hasattr(self, "network_") or not (incremental or self.warm_start)
        if first:
            dtype = (np.float64, np.float32) if self.dtype is None else np.dtype(self.dtype)
        else:
            dtype = self.network_.dtype
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=not is_classifier(self), dtype=dtype, reset=first)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y, out, cost = self._encode(y, first, incremental)
        w = self._sample_weight(X, y, sample_weight, incremental)
        if self.solver == "lbfgs" and w is not None:
            raise ValueError("sample_weight and class_weight need a stochastic solver ('sgd' or 'adam'); solver='lbfgs' takes neither")
        if first:
            rng = _generator(self.random_state)
            sizes = [X.shape[1], *hidden, Y.shape[1]]
            self.network_ = Network(sizes, activation=activations, output=out, cost=cost, init=self.init, seed=rng, dtype=X.dtype)
            self._rng = rng
            self._convergence = _Convergence()
            self.n_layers_ = len(sizes)
            self.n_outputs_ = Y.shape[1]
            self.out_activation_ = out
            self.loss_curve_: list[float] = []
            self.t_ = 0
        elif [self.network_.sizes[1:-1], [a.name for a in self.network_.activations]] != [hidden, [*activations, out]]:
            raise ValueError(
                f"warm_start keeps the fitted network {self.network_.sizes} ({', '.join(a.name for a in self.network_.activations)}); "
                "hidden_layer_sizes, activation and out_activation must not change between fits"
            )
        if self.solver == "lbfgs":
            self._fit_full_batch(X, Y)
        else:
            self._fit_stochastic(X, Y, y, w, incremental)
        return self

    def _sample_weight(self, X: np.ndarray, y: np.ndarray, sample_weight: object, incremental: bool) -> np.ndarray | None:
        """The weight of each row: ``sample_weight`` (checked), or None for equal weights."""
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)

    def _fit_stochastic(self, X: np.ndarray, Y: np.ndarray, y: np.ndarray, w: np.ndarray | None, incremental: bool) -> None:
        """Mini-batch training by :func:`deltaprop.fit`: ``max_iter`` epochs, or one for partial_fit."""
        score = None
        if self.early_stopping:
            single_output = is_classifier(self) and y.ndim == 1
            train, held = train_test_split(
                np.arange(len(X)), test_size=self.validation_fraction, random_state=int(self._rng.integers(2**31)),
                stratify=y if single_output else None,
            )
            if len(held) < 2:
                raise ValueError(
                    f"the validation set is too small ({len(held)} row of {len(X)}); raise validation_fraction "
                    f"({self.validation_fraction!r}) or pass more rows"
                )
            X_val, y_val, w_val = X[held], y[held], None if w is None else w[held]
            X, Y, w = X[train], Y[train], None if w is None else w[train]
            score = lambda: self._validation_score(X_val, y_val, w_val)  # noqa: E731
        n = len(X)
        if self.batch_size == "auto":
            batch_size = min(AUTO_BATCH, n)
        else:
            if self.batch_size > n:
                warnings.warn(f"batch_size={self.batch_size} is larger than the {n} training rows; using {n}", UserWarning, stacklevel=3)
            batch_size = min(int(self.batch_size), n)
        if not (incremental and hasattr(self, "_optimizer")):
            self._optimizer = self._new_optimizer()
        mean_weight = 1.0 if w is None else float(np.mean(w))
        convergence = self._convergence
        convergence.watch(score, float(self.tol), int(self.n_iter_no_change), not incremental, bool(self.verbose))
        history = fit(
            self.network_, X, Y,
            epochs=1 if incremental else int(self.max_iter),
            batch_size=batch_size,
            optimizer=self._optimizer,
            l2=self.alpha * n / (batch_size * mean_weight),  # α → λ: see the module's notes
            seed=self._rng,
            shuffle=bool(self.shuffle),
            gradient_norms=False,
            train_metrics="full",
            progress=bool(self.verbose),
            dropout=float(self.dropout),
            callbacks=[convergence],
            sample_weight=w,
        )
        self.n_iter_ = history.epochs
        self.t_ += n * history.epochs
        self.loss_curve_.extend(history.cost)
        self.loss_ = history.cost[-1]
        if self.early_stopping:  # the best score's weights are back in the network
            self.validation_scores_ = list(convergence.scores)
            self.best_validation_score_ = convergence.best
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = convergence.best
        if not incremental and history.stopped is None and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} epochs reached and the optimization hasn't "
                f"converged yet (tol={self.tol}, n_iter_no_change={self.n_iter_no_change})",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _new_optimizer(self) -> Optimizer:
        """The optimizer ``solver`` names, as ``MLPClassifier`` builds it."""
        lr = float(self.learning_rate_init)
        if self.solver == "adam":
            return Adam(lr=lr, beta1=float(self.beta_1), beta2=float(self.beta_2), eps=float(self.epsilon))
        if self.momentum == 0:
            return SGD(lr=lr)
        return Momentum(lr=lr, momentum=float(self.momentum), nesterov=bool(self.nesterovs_momentum))

    def _fit_full_batch(self, X: np.ndarray, Y: np.ndarray) -> None:
        """L-BFGS on all rows by :func:`deltaprop.fit_full_batch` (λ = α: both divide by n)."""
        result = fit_full_batch(self.network_, X, Y, "L-BFGS-B", l2=float(self.alpha), max_iter=int(self.max_iter), tol=float(self.tol))
        self.n_iter_ = result.iterations
        self.loss_curve_.extend(result.costs[1:])
        self.loss_ = result.cost
        self.best_loss_ = min(self.loss_curve_)
        self.validation_scores_ = None
        self.best_validation_score_ = None
        if not result.success:
            warnings.warn(
                f"{type(self).__name__}: lbfgs stopped after {result.iterations} iterations without converging: {result.message}",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _outputs(self, X: object) -> np.ndarray:
        """The network's outputs a^L for ``X``, after scikit-learn's checks of X."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.network_.dtype)
        return self.network_.predict_proba(X)

    def _encode(self, y: np.ndarray, first: bool, incremental: bool) -> tuple[np.ndarray, str, str]:
        raise NotImplementedError

    def _validation_score(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        raise NotImplementedError


class DeltaPropClassifier(ClassifierMixin, _DeltaPropEstimator):
    """A neural-network classifier trained by deltaprop, with ``MLPClassifier``'s interface.

    Labels may be any sortable hashable values (strings too), or a 2-D 0/1 indicator matrix
    for multilabel classification. See the module notes for how ``alpha``, the losses and
    the stopping rule map to deltaprop.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Widths of the hidden layers; ``()`` for none.
    activation : str or sequence of str, default "relu"
        σ of the hidden layers, one name for all or one per hidden layer: "identity",
        "logistic" (= "sigmoid"), "tanh", "relu", "leaky_relu" or "softplus".
    out_activation : {"softmax", "sigmoid", "logistic"}, optional
        σ of the output layer. By default softmax for multiclass y and sigmoid for binary
        (one unit) and multilabel y (one unit per label); softmax on binary y uses two units.
    cost : {"log_likelihood", "cross_entropy", "quadratic"}, optional
        By default "log_likelihood" with softmax outputs and "cross_entropy" with sigmoid ones.
    solver : {"adam", "sgd", "lbfgs"}, default "adam"
        "sgd" uses ``momentum`` and ``nesterovs_momentum`` (plain SGD when momentum is 0);
        "lbfgs" trains on all rows at once, taking no ``sample_weight``, ``class_weight`` or
        ``dropout``, and ignores the mini-batch parameters.
    alpha : float, default 1e-4
        L2 penalty, as ``MLPClassifier``'s (see the module notes for λ).
    batch_size : int or "auto", default "auto"
        Rows per mini-batch; "auto" is min(200, n).
    learning_rate_init : float, default 1e-3
        η.
    max_iter : int, default 200
        Epochs (iterations for "lbfgs").
    shuffle : bool, default True
        Shuffle the rows every epoch; False keeps their order.
    random_state : int, RandomState, Generator or None
        Seeds the weights, the shuffles, the dropout masks and the validation split.
    tol : float, default 1e-4
        The improvement that counts (see the module notes).
    verbose : bool or int, default False
        Print one line per epoch (to stderr) and the stopping reason.
    warm_start : bool, default False
        ``fit`` continues from the fitted network (with a new optimizer) instead of a new one.
    momentum : float, default 0.9
        μ of "sgd", in [0, 1).
    nesterovs_momentum : bool, default True
        Nesterov's momentum for "sgd".
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the rows (stratified), stop on their accuracy and
        keep the best weights.
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float
        Adam's β₁, β₂, ε.
    n_iter_no_change : int, default 10
        Epochs without improvement before stopping (stops after more than this many).
    dropout : float, default 0.0
        Probability p of dropping each hidden unit in training (inverted dropout).
    init : {"xavier", "glorot", "he", "default"}, default "xavier"
        How :class:`deltaprop.Network` draws the first weights.
    dtype : {None, "float32", "float64"}, default None
        Precision of the network; None follows X (float32 stays, others become float64).
    class_weight : "balanced", dict or None
        Weights per class, multiplied into ``sample_weight``; "balanced" is
        n / (n_classes · count(class)). Single-label y only.

    Attributes
    ----------
    network_ : deltaprop.Network
        The trained network.
    classes_ : ndarray
        The class labels (for multilabel y: 0 … n_labels − 1).
    coefs_, intercepts_ : list of ndarray
        Weights (n_in, n_out), views of ``network_.weights[i].T``, and biases (the network's arrays).
    loss_curve_ : list of float
        The training cost after each epoch (L-BFGS: iteration), over all fit calls of a warm start.
    loss_ : float
        Its last value.
    best_loss_ : float or None
        Its lowest value (None with ``early_stopping``).
    validation_scores_ : list of float or None
        Validation accuracy after each epoch, with ``early_stopping``.
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs (L-BFGS: iterations) run by the last call of fit or partial_fit.
    t_ : int
        Training rows seen, counting repeats.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When X had string column names.
    n_layers_ : int
        Layers, input and output included.
    n_outputs_ : int
        Output units.
    out_activation_ : str
        σ of the output layer, by deltaprop's name ("softmax" or "sigmoid").
    """

    _out_activations = ("softmax", "sigmoid", "logistic")

    # The whole signature again, plus class_weight: scikit-learn's get_params reads each
    # estimator's own __init__ signature, so it cannot be inherited with **kwargs.
    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str | Sequence[str] = "relu",
        *,
        out_activation: str | None = None,
        cost: str | None = None,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | np.random.Generator | None = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        init: str = "xavier",
        dtype: str | type | None = None,
        class_weight: str | Mapping | None = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes, activation, out_activation=out_activation, cost=cost, solver=solver, alpha=alpha,
            batch_size=batch_size, learning_rate_init=learning_rate_init, max_iter=max_iter, shuffle=shuffle,
            random_state=random_state, tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, dropout=dropout, init=init, dtype=dtype,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _check_params(self) -> tuple[list[int], list[str]]:
        """The shared checks, and ``class_weight``'s."""
        checked = super()._check_params()
        cw = self.class_weight
        if not (cw is None or isinstance(cw, Mapping) or (isinstance(cw, str) and cw == "balanced")):
            raise ValueError(f"class_weight must be 'balanced', a dict {{class: weight}} or None; got {cw!r}")
        return checked

    def fit(self, X: object, y: object, sample_weight: object = None) -> DeltaPropClassifier:
        """Train on ``X`` (n, d) and labels ``y`` (n,) or a 0/1 indicator matrix (n, n_labels).

        Parameters
        ----------
        X : array_like, shape (n, d)
        y : array_like, shape (n,) or (n, n_labels)
        sample_weight : array_like, shape (n,), optional
            Weights ≥ 0 of the rows (multiplied by ``class_weight``'s).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X: object, y: object, sample_weight: object = None, classes: object = None) -> DeltaPropClassifier:
        """Train one epoch on this batch, continuing from the previous call (and its optimizer).

        Parameters
        ----------
        X, y, sample_weight
            As for :meth:`fit`.
        classes : array_like, optional
            Every class that any call will see; required on the first call.

        Returns
        -------
        self
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer().fit(y if type_of_target(y).startswith("multilabel") else classes)
            self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X: object) -> np.ndarray:
        """Return the probability of each class, shape (n, n_classes), columns as ``classes_``.

        Rows sum to 1, except for multilabel y, where each column is its label's own probability.
        """
        a = self._outputs(X)
        if a.shape[1] == 1:
            return np.hstack([1 - a, a])
        return a

    def predict(self, X: object) -> np.ndarray:
        """Return the predicted labels (n,), or the 0/1 indicator matrix for multilabel y."""
        return self._labels(self._outputs(X))

    def _labels(self, a: np.ndarray) -> np.ndarray:
        """Labels from output activations: argmax, or ≥ ½ per unit for sigmoid outputs."""
        if a.shape[1] == 2 and self._label_binarizer.y_type_ == "binary":
            a = a[:, 1:]  # softmax over two units: the second is the positive class
        return self._label_binarizer.inverse_transform(a)

    def _validation_score(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        return accuracy_score(y, self._labels(self.network_.predict_proba(X)), sample_weight=sample_weight)

    def _encode(self, y: np.ndarray, first: bool, incremental: bool) -> tuple[np.ndarray, str, str]:
        """Set or check ``classes_``; return one-hot (or indicator) target rows, σ and cost."""
        check_classification_targets(y)
        if first and not incremental:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if not incremental and set(classes) != set(self.classes_):
                raise ValueError(
                    f"warm_start needs y with the classes of the previous fit, {self.classes_.tolist()}; "
                    f"y has {classes.tolist()}"
                )
            if incremental and np.setdiff1d(classes, self.classes_).size:
                raise ValueError(f"y has classes {np.setdiff1d(classes, self.classes_).tolist()} that are not in classes_ {self.classes_.tolist()}")
        Y = self._label_binarizer.transform(y).astype(np.float64)
        if first:
            y_type = self._label_binarizer.y_type_
            out = _canonical(self.out_activation) if self.out_activation else "softmax" if y_type == "multiclass" else "sigmoid"
            if out == "softmax" and y_type.startswith("multilabel"):
                raise ValueError("out_activation='softmax' makes the classes exclusive; multilabel y needs 'sigmoid'")
            cost = self.cost or ("log_likelihood" if out == "softmax" else "cross_entropy")
            if cost == "log_likelihood" and out != "softmax":
                raise ValueError("cost='log_likelihood' needs out_activation='softmax'; with sigmoid outputs use 'cross_entropy'")
        else:
            out, cost = self.out_activation_, self.network_.cost_function.name
        if out == "softmax" and Y.shape[1] == 1:
            Y = np.hstack([1 - Y, Y])
        return Y, out, cost

    def _sample_weight(self, X: np.ndarray, y: np.ndarray, sample_weight: object, incremental: bool) -> np.ndarray | None:
        """``sample_weight`` × the weight of each row's class under ``class_weight``."""
        w = super()._sample_weight(X, y, sample_weight, incremental)
        if self.class_weight is None:
            return w
        if y.ndim != 1:
            raise ValueError("class_weight needs single-label y; it does not apply to multilabel y")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: compute it over all the data with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', classes=classes, y=y_all) and pass a dict"
            )
        per_class = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        per_row = per_class[np.searchsorted(self.classes_, y)]
        return per_row if w is None else w * per_row


class DeltaPropRegressor(RegressorMixin, _DeltaPropEstimator):
    """A neural-network regressor trained by deltaprop, with ``MLPRegressor``'s interface.

    Parameters
    ----------
    See :class:`DeltaPropClassifier`; there is no ``class_weight``, and these differ:

    out_activation : str, optional
        σ of the output layer: any deltaprop activation ("identity", the default, "sigmoid"
        or "logistic", "tanh", "relu", "leaky_relu", "softplus", "softmax").
    cost : {"quadratic", "cross_entropy", "log_likelihood"}, optional
        "quadratic" (½‖a − y‖², summed over the outputs) by default; the others need targets
        in [0, 1] (and rows summing to 1 for "log_likelihood").
    early_stopping : bool
        Stops on the validation R².

    Attributes
    ----------
    As the classifier's, without ``classes_``; ``validation_scores_`` holds R², and
    ``out_activation_`` is deltaprop's name of the output σ ("identity" by default).
    """

    _out_activations = ("logistic", *ACTIVATIONS)

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: object, y: object, sample_weight: object = None) -> DeltaPropRegressor:
        """Train on ``X`` (n, d) and targets ``y`` (n,) or (n, n_outputs).

        Parameters
        ----------
        X : array_like, shape (n, d)
        y : array_like, shape (n,) or (n, n_outputs)
        sample_weight : array_like, shape (n,), optional
            Weights ≥ 0 of the rows.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X: object, y: object, sample_weight: object = None) -> DeltaPropRegressor:
        """Train one epoch on this batch, continuing from the previous call (and its optimizer).

        Parameters
        ----------
        X, y, sample_weight
            As for :meth:`fit`.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: object) -> np.ndarray:
        """Return the predicted targets: (n,) for one output, else (n, n_outputs)."""
        a = self._outputs(X)
        return a.ravel() if a.shape[1] == 1 else a

    def _validation_score(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        a = self.network_.predict_proba(X)
        return r2_score(y, a.ravel() if a.shape[1] == 1 else a, sample_weight=sample_weight)

    def _encode(self, y: np.ndarray, first: bool, incremental: bool) -> tuple[np.ndarray, str, str]:
        """Return target rows (n, n_outputs), σ and cost."""
        Y = y.reshape(len(y), -1).astype(np.float64)
        if first:
            return Y, _canonical(self.out_activation or "identity"), self.cost or "quadratic"
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} target columns; the network was fitted with {self.n_outputs_} outputs")
        return Y, self.out_activation_, self.network_.cost_function.name
