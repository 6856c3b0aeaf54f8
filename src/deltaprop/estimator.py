"""scikit-learn estimators: :class:`DeltaPropClassifier` and :class:`DeltaPropRegressor`.

They are ``MLPClassifier`` and ``MLPRegressor`` built on deltaprop's core: every parameter,
method and fitted attribute of those two exists here with the same meaning, and from the
same initial weights a run takes the same steps (to float round-off). scikit-learn is
imported here only (``pip install 'deltaprop[sklearn]'``); ``import deltaprop`` does not
import this module.

What ``MLPClassifier`` lacks is added: ``dropout``, ``out_activation`` and ``cost``, one
activation per hidden layer, ``init``, ``dtype``, ``epsilon_placement``, ``class_weight``
and the regressor's ``target_scaling``.

Names → deltaprop (symbols as in the seeds):

=============================  =================================================================
scikit-learn                   deltaprop
=============================  =================================================================
``hidden_layer_sizes``         the hidden widths of ``Network.sizes``
``activation``                 σ of the hidden layers (``"logistic"`` is ``"sigmoid"``)
``loss`` (regressor)           ``"squared_error"``: identity output, quadratic cost;
                               ``"poisson"``: exp output, the Poisson cost
``learning_rate_init``         η
``solver="sgd"``               v ← μ v − η g, θ ← θ + v (Nesterov: θ ← θ + μ v − η g)
``solver="adam"``              Adam, ε where ``epsilon_placement`` puts it (below)
``solver="lbfgs"``             :func:`deltaprop.fit_full_batch` (``"L-BFGS-B"``, ``gtol=tol``)
``alpha``                      λ of each step's penalty, mapped as below
``max_iter``                   epochs (L-BFGS: iterations)
``coefs_[i]``                  ``network_.weights[i].T`` — W^l transposed, a view
``intercepts_[i]``             ``network_.biases[i]`` — the array itself
=============================  =================================================================

**alpha → λ.** Every mini-batch B descends its own (weighted) mean cost plus
(α / 2 Σ_B w) Σ‖W‖², as ``MLPClassifier``'s ``_backprop`` does (Σ_B w is the batch's size
without sample weights): each step runs BP1–BP4 on the batch with the
:class:`~deltaprop.penalty.Penalty` λ = α, n = Σ_B w. L-BFGS minimises the mean cost over
all rows plus (α / 2 Σ w) Σ‖W‖².

**The loss curve.** ``loss_curve_[k]`` is ``MLPClassifier``'s: the mean over epoch k of the
batch losses (each with its penalty), measured as the batches were trained; ``tol`` stops on
it. The losses are deltaprop's costs: the regressor's quadratic cost is ½‖a − y‖² summed over
the outputs, where ``MLPRegressor`` reports (not descends) it divided by the number of
outputs, so for 2-D ``y`` the two reported losses differ by that factor (the steps do not).

**Learning rates** (``solver="sgd"``), as scikit-learn's: ``"constant"`` keeps η;
``"invscaling"`` sets η_t = η / (t + 1)^power_t after each epoch, t the rows seen (``t_``);
``"adaptive"`` divides η by 5 where training would stop (more than ``n_iter_no_change``
epochs without an improvement of ``tol``) and stops only once η ≤ 1e-6.

**Adam's ε.** ``epsilon_placement="sklearn"`` (the default) is ``MLPClassifier``'s (and Kingma &
Ba's ε̂ form): θ ← θ − η √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε); ``"pytorch"`` is
:class:`deltaprop.Adam`'s, ε added after the bias correction: m̂ / (√v̂ + ε).

**Stopping.** As ``MLPClassifier``: after more than ``n_iter_no_change`` epochs (``np.inf``:
never) in which the loss (with ``early_stopping``: the validation score, accuracy or R²) has
not improved by ``tol``, training stops (or the adaptive rate drops); ``early_stopping``
leaves the network with the weights of its best validation score. Reaching ``max_iter``
first emits scikit-learn's ``ConvergenceWarning``. A run whose loss or weights become NaN
or infinite stops at that epoch: with ``early_stopping`` it records the non-finite score,
warns (``ConvergenceWarning``) and keeps the best weights, as ``MLPClassifier`` does (which
trains on to ``max_iter`` first); without, it raises :class:`deltaprop.TrainingDiverged`.

**Initial weights.** ``init="sklearn"`` (the default) draws as ``MLPClassifier`` does, from the
run's Generator: weights *and biases* U(±√(f / (n_in + n_out))), f = 2 for logistic hidden
units, else 6; the other ``init`` values are :class:`deltaprop.Network`'s.

**Input.** ``X`` may be dense or SciPy sparse (CSR/CSC); a sparse X is never made dense:
the first layer's forward product and BP4 are sparse-dense products. Training computes in
``X``'s float dtype as scikit-learn does (float32 stays float32, anything else becomes
float64), unless ``dtype`` names one.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import Tags
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from .activations import ACTIVATIONS
from .backprop import backprop, dropout_masks, forward
from .costs import COSTS
from .network import INITIALIZERS, Network
from .optimizers import Adam
from .penalty import Penalty
from .scaling import Scaling
from .training import History, TrainingDiverged
from .training.fullbatch import fit_full_batch
from .validation import boolean, integer, non_negative, positive_int, positive_number, real_number

__all__ = ["DeltaPropClassifier", "DeltaPropRegressor"]

#: Hidden-layer activations, by deltaprop's names and scikit-learn's ``"logistic"``.
HIDDEN_ACTIVATIONS = ("logistic", *(name for name, act in ACTIVATIONS.items() if act.elementwise))
SOLVERS = ("sgd", "adam", "lbfgs")
STOCHASTIC_SOLVERS = ("sgd", "adam")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
EPSILON_PLACEMENTS = ("sklearn", "pytorch")
#: ``init`` values: scikit-learn's draw, then :class:`deltaprop.Network`'s.
INITS = ("sklearn", *INITIALIZERS)
#: The regressor's ``loss`` → (output activation, cost), as MLPRegressor's.
LOSSES = {"squared_error": ("identity", "quadratic"), "poisson": ("exp", "poisson")}
#: Rows per mini-batch for ``batch_size="auto"``: min(200, n), as scikit-learn.
AUTO_BATCH = 200
#: The adaptive learning rate stops training once η is at most this (scikit-learn's bound).
MIN_ADAPTIVE_LR = 1e-6


def _canonical(activation: str) -> str:
    """deltaprop's name of an activation: scikit-learn's ``"logistic"`` is ``"sigmoid"``."""
    return "sigmoid" if activation == "logistic" else activation


def _one_of(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of the strings ``allowed``, else raise ValueError."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _generator(random_state: object) -> np.random.Generator:
    """The run's Generator from ``random_state``: None, an int ≥ 0, a RandomState (a seed is
    drawn from it, as scikit-learn's estimators draw theirs) or a Generator (used as it is)."""
    if random_state is None or _is_int(random_state):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return random_state  # a Generator, checked by _check_params


def _sklearn_init(net: Network, rng: np.random.Generator, hidden: Sequence[str]) -> None:
    """Draw ``MLPClassifier``'s initial weights and biases into ``net``: U(±√(f/(n_in + n_out))),
    f = 2 into and out of logistic hidden layers (every layer when all are logistic, as
    scikit-learn's one ``activation``), else 6."""
    for i, (W, b) in enumerate(zip(net.weights, net.biases)):
        below = hidden[min(i, len(hidden) - 1)] if hidden else "identity"
        bound = math.sqrt((2.0 if below == "sigmoid" else 6.0) / sum(W.shape))
        W[...] = rng.uniform(-bound, bound, W.shape[::-1]).T  # drawn (n_in, n_out), as coefs_
        b[...] = rng.uniform(-bound, bound, b.shape)


def _weighted_standardization(Y: np.ndarray, w: np.ndarray | None) -> Scaling:
    """The standardisation of the columns of ``Y`` by their mean and deviation weighted by
    ``w`` (a weight of 2 is the row twice); a constant column is centred and left unscaled."""
    mean = np.average(Y, axis=0, weights=w)
    std = np.sqrt(np.average((Y - mean) ** 2, axis=0, weights=w))
    return Scaling(mean, np.where(std > 0, std, 1.0))


class _VelocitySGD:
    """``MLPClassifier``'s SGD (Nielsen's momentum form): the velocity v holds the step,

        v ← μ v − η g,   θ ← θ + v        (Nesterov: θ ← θ + μ v − η g with the new v)

    With a constant η this is :class:`deltaprop.Momentum`; once η changes (``"invscaling"``,
    ``"adaptive"``) the velocity keeps the steps of the old η, as scikit-learn's does.
    """

    def __init__(self, lr: float, momentum: float, nesterov: bool) -> None:
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.velocities: list[np.ndarray] | None = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching gradient."""
        if self.velocities is None:
            self.velocities = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.velocities, strict=True):
            step = self.lr * g
            v *= self.momentum
            v -= step  # v ← μ v − η g
            if self.nesterov:
                p += self.momentum * v - step
            else:
                p += v


class _SklearnAdam:
    """``MLPClassifier``'s Adam (Kingma & Ba's ε̂ form): with t counted from 1,

        m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
        θ ← θ − η √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε)
    """

    def __init__(self, lr: float, beta1: float, beta2: float, eps: float) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching gradient."""
        if self.m is None:
            self.m, self.v = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p += -step_size * m / (np.sqrt(v) + self.eps)


class _DeltaPropEstimator(BaseEstimator):
    """What the classifier and the regressor share: the parameters, their checks and training.

    Subclasses implement ``_encode`` (targets → float target rows, output activation, cost)
    and ``_score_rows`` (the validation score).
    """

    _out_activations: tuple[str, ...] = ()

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str | Sequence[str] = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
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
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        out_activation: str | None = None,
        cost: str | None = None,
        dropout: float = 0.0,
        init: str = "sklearn",
        dtype: str | type | None = None,
        epsilon_placement: str = "sklearn",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
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
        self.max_fun = max_fun
        self.out_activation = out_activation
        self.cost = cost
        self.dropout = dropout
        self.init = init
        self.dtype = dtype
        self.epsilon_placement = epsilon_placement

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

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _stochastic(self) -> bool:
        """True for "sgd" and "adam"; raise AttributeError otherwise (hides ``partial_fit``)."""
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(f"partial_fit is only available for the stochastic solvers 'sgd' and 'adam'; solver={self.solver!r}")
        return True

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> tuple[list[int], list[str]]:
        """Refuse bad hyper-parameters before any work; return the hidden widths and their
        activations (deltaprop's names, one per hidden layer)."""
        sizes = self.hidden_layer_sizes
        if _is_int(sizes):
            sizes = [sizes]
        if isinstance(sizes, np.ndarray):
            sizes = sizes.tolist()
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or any(not _is_int(s) or s < 1 for s in sizes):
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
        _one_of("learning_rate", self.learning_rate, LEARNING_RATES)
        _one_of("init", self.init, INITS)
        _one_of("epsilon_placement", self.epsilon_placement, EPSILON_PLACEMENTS)
        non_negative("alpha", self.alpha)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            if not _is_int(self.batch_size) or self.batch_size < 1:
                raise ValueError(f"batch_size must be 'auto' or a positive integer; got {self.batch_size!r}")
        positive_number("learning_rate_init", self.learning_rate_init)
        non_negative("power_t", self.power_t)
        positive_int("max_iter", self.max_iter)
        if not (isinstance(self.n_iter_no_change, float) and self.n_iter_no_change == math.inf):
            integer("n_iter_no_change", self.n_iter_no_change, "a positive integer or np.inf", lambda v: v >= 1)
        positive_int("max_fun", self.max_fun)
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            boolean(name, getattr(self, name))
        if not (isinstance(self.verbose, (bool, np.bool_)) or (_is_int(self.verbose) and self.verbose >= 0)):
            raise ValueError(f"verbose must be True, False or an integer ≥ 0; got {self.verbose!r}")
        non_negative("tol", self.tol)
        real_number("momentum", self.momentum, "a number in [0, 1]", lambda v: 0 <= v <= 1)
        real_number("validation_fraction", self.validation_fraction, "a number in (0, 1)", lambda v: 0 < v < 1)
        real_number("beta_1", self.beta_1, "a number in [0, 1)", lambda v: 0 <= v < 1)
        real_number("beta_2", self.beta_2, "a number in [0, 1)", lambda v: 0 <= v < 1)
        positive_number("epsilon", self.epsilon)
        real_number("dropout", self.dropout, "a probability in [0, 1)", lambda v: 0 <= v < 1)
        if self.solver == "lbfgs" and self.dropout:
            raise ValueError(f"dropout needs a stochastic solver ('sgd' or 'adam'); solver='lbfgs' got dropout={self.dropout!r}")
        if self.dtype is not None and self.dtype not in ("float32", "float64", np.float32, np.float64):
            raise ValueError(f"dtype must be None (X's float dtype), 'float32' or 'float64'; got {self.dtype!r}")
        rs = self.random_state
        if not (rs is None or isinstance(rs, (np.random.RandomState, np.random.Generator)) or (_is_int(rs) and rs >= 0)):
            raise ValueError(f"random_state must be None, an integer ≥ 0, a numpy RandomState or Generator; got {rs!r}")
        return hidden, activations

    # ------------------------------------------------------------------ training
    def _fit(self, X: object, y: object, sample_weight: object, incremental: bool) -> _DeltaPropEstimator:
        """fit and partial_fit: check everything, build the network on a first call, train."""
        hidden, activations = self._check_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; call fit, or set early_stopping=False")
        first = not hasattr(self, "network_") or not (incremental or self.warm_start)
        if first:
            dtype = (np.float64, np.float32) if self.dtype is None else np.dtype(self.dtype)
        else:
            dtype = self.network_.dtype
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=not is_classifier(self), dtype=dtype, reset=first
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y, out, cost = self._encode(y, first, incremental)
        w = self._sample_weight(X, y, sample_weight, incremental)
        if first:
            rng = _generator(self.random_state)
            sizes = [X.shape[1], *hidden, Y.shape[1]]
            init = "xavier" if self.init == "sklearn" else self.init
            self.network_ = Network(sizes, activation=activations, output=out, cost=cost, init=init, seed=rng, dtype=X.dtype)
            if self.init == "sklearn":  # with no hidden layer, scikit-learn's factor still follows `activation`
                _sklearn_init(self.network_, rng, activations or [_canonical(self.activation)] * isinstance(self.activation, str))
            self._rng = rng
            self.n_layers_ = len(sizes)
            self.n_outputs_ = Y.shape[1]
            self.out_activation_ = out
            self.t_ = 0
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            self._best_params = [p.copy() for p in self.network_.parameters()]
            self.best_loss_ = None if self.early_stopping else math.inf
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -math.inf if self.early_stopping else None
        elif [self.network_.sizes[1:-1], [a.name for a in self.network_.activations]] != [hidden, [*activations, out]]:
            raise ValueError(
                f"warm_start keeps the fitted network {self.network_.sizes} ({', '.join(a.name for a in self.network_.activations)}); "
                "hidden_layer_sizes, activation and out_activation must not change between fits"
            )
        Y = self._training_targets(Y, w, first).astype(self.network_.dtype)
        w = None if w is None else w.astype(self.network_.dtype)
        if self.solver == "lbfgs":
            self._fit_full_batch(X, Y, w)
        else:
            self._fit_stochastic(X.tocsr() if issparse(X) else X, Y, y, w, incremental)
        return self

    def _training_targets(self, Y: np.ndarray, w: np.ndarray | None, first: bool) -> np.ndarray:
        """The target rows the network learns (the regressor may standardise them)."""
        return Y

    def _sample_weight(self, X: np.ndarray, y: np.ndarray, sample_weight: object, incremental: bool) -> np.ndarray | None:
        """The weight of each row: ``sample_weight`` (checked), or None for equal weights."""
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)

    def _new_optimizer(self) -> _VelocitySGD | _SklearnAdam | Adam:
        """The optimizer ``solver`` names, as ``MLPClassifier`` builds it."""
        lr = float(self.learning_rate_init)
        if self.solver == "sgd":
            return _VelocitySGD(lr, float(self.momentum), bool(self.nesterovs_momentum))
        if self.epsilon_placement == "pytorch":
            return Adam(lr=lr, beta1=float(self.beta_1), beta2=float(self.beta_2), eps=float(self.epsilon))
        return _SklearnAdam(lr, float(self.beta_1), float(self.beta_2), float(self.epsilon))

    def _fit_stochastic(self, X: np.ndarray, Y: np.ndarray, y: np.ndarray, w: np.ndarray | None, incremental: bool) -> None:
        """``MLPClassifier``'s ``_fit_stochastic``: ``max_iter`` epochs of mini-batch steps
        (one for partial_fit), each batch through BP1–BP4 with its own penalty (α / 2 Σ_B w)."""
        if not (incremental and hasattr(self, "_optimizer")):
            self._optimizer = self._new_optimizer()
        held = None
        if self.early_stopping:
            single_output = is_classifier(self) and y.ndim == 1
            train, held = train_test_split(
                np.arange(X.shape[0]), test_size=self.validation_fraction, random_state=int(self._rng.integers(2**31)),
                stratify=y if single_output else None,
            )
            if len(held) < 2:
                raise ValueError(
                    f"the validation set is too small ({len(held)} row of {X.shape[0]}); raise validation_fraction "
                    f"({self.validation_fraction!r}) or pass more rows"
                )
            held = (X[held], y[held], None if w is None else w[held])
            X, Y, w = X[train], Y[train], None if w is None else w[train]
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(AUTO_BATCH, n)
        else:
            if self.batch_size > n:
                warnings.warn(f"batch_size={self.batch_size} is larger than the {n} training rows; using {n}", UserWarning, stacklevel=4)
            batch_size = min(int(self.batch_size), n)
        optimizer, params = self._optimizer, self.network_.parameters()
        self.n_iter_ = 0
        try:
            for _ in range(1 if incremental else int(self.max_iter)):
                start = [p.copy() for p in params]  # kept if this epoch diverges
                order = self._rng.permutation(n) if self.shuffle else np.arange(n)
                accumulated = 0.0
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught below, once per epoch
                    for first in range(0, n, batch_size):
                        batch = order[first : first + batch_size]
                        w_batch = None if w is None else w[batch]
                        accumulated += self._step(X[batch], Y[batch], w_batch, params) * len(batch)
                self.n_iter_ += 1
                self.t_ += n
                self.loss_ = accumulated / n
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                if self._diverged(held, start):
                    break
                self._count_improvement(held)
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    optimizer.lr = float(self.learning_rate_init) / (self.t_ + 1) ** float(self.power_t)
                if self._no_improvement_count > self.n_iter_no_change and self._stop_or_slow_down():
                    break
                if not incremental and self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"{type(self).__name__}: max_iter={self.max_iter} epochs reached and the optimization hasn't "
                        f"converged yet (tol={self.tol}, n_iter_no_change={self.n_iter_no_change})",
                        ConvergenceWarning,
                        stacklevel=4,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        if self.early_stopping:  # back to the weights of the best validation score
            for p, best in zip(params, self._best_params):
                p[...] = best

    def _step(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None, params: list[np.ndarray]) -> float:
        """One mini-batch: BP1–BP4 with the batch's penalty, then the update; return the batch's
        loss (data term and penalty) at the weights before the step."""
        net = self.network_
        total = X.shape[0] if w is None else float(w.sum())
        if total <= 0:
            return 0.0  # no weight: nothing to learn from this batch
        penalty = Penalty(float(self.alpha), 0.0, total)  # α/(2 Σ_B w) Σ‖W‖², scikit-learn's per batch
        masks = dropout_masks(net, X.shape[0], float(self.dropout), self._rng) if self.dropout else None
        grads = backprop(net, X, Y, penalty, masks, w)
        loss = float(net.cost_function.value(grads.output, Y, w) + penalty.cost(net.weights))
        self._optimizer.step(params, grads.parameters())
        return loss

    def _diverged(self, held: tuple | None, start: list[np.ndarray]) -> bool:
        """After an epoch whose loss or weights are NaN or infinite: with early stopping, record
        the non-finite score, warn and return True (stop: the best weights come back); without,
        put back the weights of the epoch's ``start`` and raise TrainingDiverged."""
        params = self.network_.parameters()
        if math.isfinite(self.loss_) and all(np.isfinite(p).all() for p in params):
            return False
        if held is None:
            for p, before in zip(params, start):
                p[...] = before
            raise TrainingDiverged(
                f"{type(self).__name__}: training diverged in epoch {self.n_iter_}: the loss became {self.loss_}; "
                f"learning_rate_init={self.learning_rate_init!r} is probably too high, or X needs scaling. "
                "The network keeps its weights from before that epoch.",
                History(cost=list(self.loss_curve_)),
            )
        self.validation_scores_ = [*self.validation_scores_, math.nan]
        warnings.warn(
            f"{type(self).__name__}: training diverged in epoch {self.n_iter_} (the loss became {self.loss_}); "
            f"stopping with the weights of the best validation score ({self.best_validation_score_}). "
            f"learning_rate_init={self.learning_rate_init!r} is probably too high",
            ConvergenceWarning,
            stacklevel=5,
        )
        return True

    def _count_improvement(self, held: tuple | None) -> None:
        """``MLPClassifier``'s ``_update_no_improvement_count``: count an epoch that does not
        improve on the best by ``tol``; keep the best loss, or the best score and its weights."""
        tol = float(self.tol)
        if held is None:
            loss = self.loss_curve_[-1]
            self._no_improvement_count = self._no_improvement_count + 1 if loss > self.best_loss_ - tol else 0
            self.best_loss_ = min(self.best_loss_, loss)
            return
        score = self._score_rows(*held)
        self.validation_scores_ = [*self.validation_scores_, score]
        if self.verbose:
            print(f"Validation score: {score:f}")
        self._no_improvement_count = self._no_improvement_count + 1 if score < self.best_validation_score_ + tol else 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            self._best_params = [p.copy() for p in self.network_.parameters()]

    def _stop_or_slow_down(self) -> bool:
        """``n_iter_no_change`` epochs passed without improvement: stop (True), or, for the
        adaptive rate above 1e-6, divide η by 5 and carry on (False)."""
        what = "Validation score" if self.early_stopping else "Training loss"
        message = f"{what} did not improve more than tol={self.tol:f} for {self.n_iter_no_change} consecutive epochs."
        adaptive = self.solver == "sgd" and self.learning_rate == "adaptive"
        if adaptive and self._optimizer.lr > MIN_ADAPTIVE_LR:
            self._optimizer.lr /= 5.0
            self._no_improvement_count = 0
            if self.verbose:
                print(f"{message} Setting learning rate to {self._optimizer.lr:f}")
            return False
        if self.verbose:
            print(f"{message}{' Learning rate too small.' if adaptive else ''} Stopping.")
        return True

    def _fit_full_batch(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> None:
        """L-BFGS on all rows by :func:`deltaprop.fit_full_batch` (λ = α over Σ w, gtol = tol)."""
        result = fit_full_batch(
            self.network_, X, Y, "L-BFGS-B", l2=float(self.alpha), max_iter=int(self.max_iter), tol=float(self.tol),
            max_fun=int(self.max_fun), sample_weight=w,
        )
        self.n_iter_ = min(result.iterations, int(self.max_iter))
        self.loss_curve_.extend(result.costs[1:])
        self.loss_ = result.cost
        self.best_loss_ = min(self.loss_curve_, default=result.cost)
        self.validation_scores_ = None
        self.best_validation_score_ = None
        if not result.success:
            hint = ""
            if self.n_iter_ == self.max_iter:
                hint = f"; increase max_iter (max_iter={self.max_iter})"
            elif result.evaluations >= self.max_fun:
                hint = f"; increase max_fun (max_fun={self.max_fun})"
            warnings.warn(
                f"{type(self).__name__}: lbfgs stopped after {self.n_iter_} iterations without converging: {result.message}{hint}",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _outputs(self, X: object) -> np.ndarray:
        """The network's outputs a^L for ``X``, after scikit-learn's checks of X (dense or sparse)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False, dtype=self.network_.dtype)
        return forward(self.network_, X).activations[-1]

    def _score_rows(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        """The validation score of checked rows: NaN when an output is not finite (as scikit-learn)."""
        a = forward(self.network_, X).activations[-1]
        if not np.isfinite(a).all():
            return math.nan
        return self._score_outputs(a, y, sample_weight)

    def _encode(self, y: np.ndarray, first: bool, incremental: bool) -> tuple[np.ndarray, str, str]:
        raise NotImplementedError

    def _score_outputs(self, a: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
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
        "logistic" (= "sigmoid"), "tanh", "relu", "leaky_relu", "softplus" or "exp".
    solver : {"adam", "sgd", "lbfgs"}, default "adam"
        "sgd": v ← μ v − η g with ``momentum`` μ and ``nesterovs_momentum``; "lbfgs": all rows
        at once (no ``dropout``; the mini-batch, learning-rate and early-stopping parameters
        do not apply).
    alpha : float, default 1e-4
        L2 penalty: each batch adds (α / 2 Σ_B w) Σ‖W‖² (see the module notes).
    batch_size : int or "auto", default "auto"
        Rows per mini-batch; "auto" is min(200, n).
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        η's schedule for "sgd" (see the module notes).
    learning_rate_init : float, default 1e-3
        η at the start.
    power_t : float, default 0.5
        The exponent of "invscaling".
    max_iter : int, default 200
        Epochs (iterations for "lbfgs").
    shuffle : bool, default True
        Shuffle the rows every epoch; False keeps their order.
    random_state : int, RandomState, Generator or None
        Seeds the weights, the shuffles, the dropout masks and the validation split.
    tol : float, default 1e-4
        The improvement that counts (see the module notes); L-BFGS's gradient tolerance.
    verbose : bool or int, default False
        Print ``MLPClassifier``'s lines: the loss of each epoch, the validation score, why
        training stopped.
    warm_start : bool, default False
        ``fit`` continues from the fitted network (with a new optimizer) instead of a new one.
    momentum : float, default 0.9
        μ of "sgd", in [0, 1].
    nesterovs_momentum : bool, default True
        Nesterov's momentum for "sgd".
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the rows (stratified), stop on their accuracy and
        keep the best weights ("sgd" and "adam").
    validation_fraction : float, default 0.1
    beta_1, beta_2, epsilon : float
        Adam's β₁, β₂, ε.
    n_iter_no_change : int or np.inf, default 10
        Epochs without improvement before stopping (stops after more than this many).
    max_fun : int, default 15000
        L-BFGS's most evaluations of the loss and its gradient.
    out_activation : {"softmax", "sigmoid", "logistic"}, optional
        σ of the output layer. By default softmax for multiclass y and sigmoid for binary
        (one unit) and multilabel y (one unit per label); softmax on binary y uses two units.
    cost : {"log_likelihood", "cross_entropy", "quadratic", "poisson"}, optional
        By default "log_likelihood" with softmax outputs and "cross_entropy" with sigmoid ones.
    dropout : float, default 0.0
        Probability p of dropping each hidden unit in training (inverted dropout).
    init : {"sklearn", "xavier", "glorot", "he", "default"}, default "sklearn"
        ``MLPClassifier``'s draw (module notes), or how :class:`deltaprop.Network` draws.
    dtype : {None, "float32", "float64"}, default None
        Precision of the network; None follows X (float32 stays, others become float64).
    epsilon_placement : {"sklearn", "pytorch"}, default "sklearn"
        Where Adam adds ε (module notes).
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
    loss : str
        "log_loss", as ``MLPClassifier``'s (or the name of another ``cost``).
    loss_curve_ : list of float
        Each epoch's mean batch loss (L-BFGS: the loss after each iteration), over all fit
        calls of a warm start.
    loss_ : float
        The last epoch's (L-BFGS: the final loss).
    best_loss_ : float or None
        The lowest of ``loss_curve_`` (None with ``early_stopping``).
    validation_scores_ : list of float or None
        Validation accuracy after each epoch, with ``early_stopping`` (NaN for a diverged one).
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs (L-BFGS: iterations) run by the last call of fit or partial_fit.
    t_ : int
        Training rows seen by the stochastic solvers, counting repeats.
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
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
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
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        out_activation: str | None = None,
        cost: str | None = None,
        dropout: float = 0.0,
        init: str = "sklearn",
        dtype: str | type | None = None,
        epsilon_placement: str = "sklearn",
        class_weight: str | Mapping | None = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter, shuffle=shuffle,
            random_state=random_state, tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, out_activation=out_activation, cost=cost,
            dropout=dropout, init=init, dtype=dtype, epsilon_placement=epsilon_placement,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    @property
    def loss(self) -> str:
        """The loss's name as ``MLPClassifier`` gives it, "log_loss" (the log-likelihood of
        softmax outputs or the cross-entropy of sigmoid ones); another ``cost`` by its name."""
        return "log_loss" if self.cost in (None, "log_likelihood", "cross_entropy") else self.cost

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

    @available_if(lambda est: est._stochastic())
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

    def predict_log_proba(self, X: object) -> np.ndarray:
        """Return ln of :meth:`predict_proba` (−inf where a probability rounds to 0), as
        ``MLPClassifier``'s, so that scikit-learn's checks find the two consistent."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: object) -> np.ndarray:
        """Return the predicted labels (n,), or the 0/1 indicator matrix for multilabel y."""
        return self._labels(self._outputs(X))

    def _labels(self, a: np.ndarray) -> np.ndarray:
        """Labels from output activations: argmax, or ≥ ½ per unit for sigmoid outputs."""
        if a.shape[1] == 2 and self._label_binarizer.y_type_ == "binary":
            a = a[:, 1:]  # softmax over two units: the second is the positive class
        return self._label_binarizer.inverse_transform(a)

    def _score_outputs(self, a: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        return float(accuracy_score(y, self._labels(a), sample_weight=sample_weight))

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
    See :class:`DeltaPropClassifier`; there is no ``class_weight``, and these differ or are added:

    loss : {"squared_error", "poisson"}, default "squared_error"
        ``MLPRegressor``'s: the quadratic cost with an identity output, or half the Poisson
        deviance with an exp output (the log link; targets ≥ 0, such as counts).
    out_activation : str, optional
        σ of the output layer: any deltaprop activation ("identity" or "exp" by ``loss``,
        "sigmoid" or "logistic", "tanh", "relu", "leaky_relu", "softplus", "softmax").
    cost : {"quadratic", "cross_entropy", "log_likelihood", "poisson"}, optional
        By ``loss`` ("quadratic", ½‖a − y‖² summed over the outputs, or "poisson"); the
        cross-entropies need targets in [0, 1] (and rows summing to 1 for "log_likelihood").
    early_stopping : bool
        Stops on the validation R².
    target_scaling : bool, default False
        Learn the targets standardised (each column's mean and standard deviation on the
        first fit, kept as ``network_.target_scaling``) and predict in their own units; the
        loss curve is then in standardised units. Targets far from unit scale (prices, counts
        in the hundreds) learn much faster this way (see the README's measurements).

    Attributes
    ----------
    As the classifier's, without ``classes_`` and ``class_weight``; ``validation_scores_``
    holds R², and ``out_activation_`` is deltaprop's name of the output σ ("identity" or
    "exp" by ``loss``). ``network_.target_scaling`` is the targets' standardisation under
    ``target_scaling``, else None.
    """

    _out_activations = ("logistic", *ACTIVATIONS)

    # The whole signature again, plus loss (keyword-only here: MLPRegressor takes it first).
    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (100,),
        activation: str | Sequence[str] = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
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
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        out_activation: str | None = None,
        cost: str | None = None,
        dropout: float = 0.0,
        init: str = "sklearn",
        dtype: str | type | None = None,
        epsilon_placement: str = "sklearn",
        loss: str = "squared_error",
        target_scaling: bool = False,
    ) -> None:
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter, shuffle=shuffle,
            random_state=random_state, tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, out_activation=out_activation, cost=cost,
            dropout=dropout, init=init, dtype=dtype, epsilon_placement=epsilon_placement,
        )
        self.loss = loss
        self.target_scaling = target_scaling

    def _check_params(self) -> tuple[list[int], list[str]]:
        """The shared checks, and ``loss``'s and ``target_scaling``'s."""
        checked = super()._check_params()
        _one_of("loss", self.loss, tuple(LOSSES))
        boolean("target_scaling", self.target_scaling)
        if self.target_scaling and self.loss == "poisson":
            raise ValueError("target_scaling=True would make Poisson targets negative; use it with loss='squared_error'")
        return checked

    def _training_targets(self, Y: np.ndarray, w: np.ndarray | None, first: bool) -> np.ndarray:
        """Standardised targets under ``target_scaling`` (the first fit's mean and deviation,
        weighted by ``w``, kept as ``network_.target_scaling``), else the targets themselves."""
        if first:
            self.network_.target_scaling = _weighted_standardization(Y, w) if self.target_scaling else None
        scaling = self.network_.target_scaling
        return Y if scaling is None else scaling.apply(Y)

    def _in_target_units(self, a: np.ndarray) -> np.ndarray:
        """Outputs a^L in the targets' own units: (n,) for one output, else (n, n_outputs)."""
        scaling = self.network_.target_scaling
        a = a if scaling is None else scaling.invert(a)
        return a.ravel() if a.shape[1] == 1 else a

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

    @available_if(lambda est: est._stochastic())
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
        return self._in_target_units(self._outputs(X))

    def _score_outputs(self, a: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        return float(r2_score(y, self._in_target_units(a), sample_weight=sample_weight))

    def _encode(self, y: np.ndarray, first: bool, incremental: bool) -> tuple[np.ndarray, str, str]:
        """Return target rows (n, n_outputs), σ and cost (from ``loss`` unless named)."""
        Y = y.reshape(len(y), -1).astype(np.float64)
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError(f"loss='poisson' needs targets y ≥ 0 (counts or rates); the smallest is {float(Y.min())!r}")
        if not first:
            if Y.shape[1] != self.n_outputs_:
                raise ValueError(f"y has {Y.shape[1]} target columns; the network was fitted with {self.n_outputs_} outputs")
            return Y, self.out_activation_, self.network_.cost_function.name
        out, cost = LOSSES[self.loss]
        if self.loss == "poisson" and self.cost not in (None, cost):
            raise ValueError(f"loss='poisson' is the cost 'poisson'; got cost={self.cost!r}")
        return Y, _canonical(self.out_activation or out), self.cost or cost
