"""Training recipes: what ``deltaprop train`` does when a flag is left out.

A recipe names the hidden layers, activation, initialiser, optimizer, learning rate and its
schedule, mini-batch size, epochs, regularisation and early stopping for one named data set.
Each was measured on that data set's full test split (see ``benchmarks/recipes.py`` and the
README). CSV tables get :data:`TABLES`; other data sets without a recipe of their own get
:data:`GENERIC`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Recipe", "RECIPES", "GENERIC", "TABLES", "recipe_for"]


@dataclass(frozen=True)
class Recipe:
    """Defaults for one data set; every field is a ``deltaprop train`` flag."""

    hidden: tuple[int, ...]
    activation: str
    init: str
    optimizer: str
    lr: float
    schedule: str
    batch_size: int
    epochs: int
    l2: float = 0.0
    dropout: float = 0.0
    validation: float | None = None
    early_stopping: int | None = None

    def describe(self, n_in: int, n_out: int) -> str:
        """One line: these settings as ``deltaprop train`` flags spell them.

        The hidden widths appear inside ``--sizes``, between the data's ``n_in`` inputs and
        ``n_out`` outputs, e.g. ``--sizes 64,100,10  --activation sigmoid  ...  --dropout 0.0``;
        ``validation`` and ``early_stopping`` appear when set.
        """
        flags = {"sizes": ",".join(map(str, (n_in, *self.hidden, n_out)))} | {
            k: v for k, v in asdict(self).items() if k != "hidden" and v is not None
        }
        return "  ".join(f"--{k.replace('_', '-')} {v}" for k, v in flags.items())


#: Nielsen's chapter-1 network and the learning rate that suits it: ≥ 98 % on digits in a second.
GENERIC = Recipe(hidden=(100,), activation="sigmoid", init="default", optimizer="sgd", lr=0.5, schedule="constant", batch_size=10, epochs=30)

#: Tables (a CSV file): scikit-learn's MLP defaults (100 ReLU units, Adam at η = 10⁻³) with
#: smaller batches, and early stopping on a fifth of the training set, keeping the best epoch's
#: weights. The CLI standardises the columns (and a regressor's targets) on the training split.
#: Measured against StandardScaler + MLPClassifier/MLPRegressor (defaults, random_state=0) on
#: deltaprop's split of scikit-learn's iris, wine, breast cancer and diabetes tables: see
#: ``tests/test_cli_tables.py``.
TABLES = Recipe(
    hidden=(100,), activation="relu", init="he", optimizer="adam", lr=1e-3, schedule="constant", batch_size=16,
    epochs=500, validation=0.2, early_stopping=30,
)

RECIPES: dict[str, Recipe] = {
    "digits": GENERIC,
    "fashion-mnist": Recipe(
        hidden=(512, 256), activation="relu", init="he", optimizer="adam", lr=1e-3, schedule="cosine",
        batch_size=128, epochs=40, dropout=0.2,
    ),
    "mnist": Recipe(
        hidden=(512, 256), activation="relu", init="he", optimizer="adam", lr=1e-3, schedule="cosine",
        batch_size=128, epochs=20, dropout=0.2,
    ),
}


def recipe_for(dataset: str) -> Recipe:
    """Return the recipe of a named data set, :data:`TABLES` for a ``.csv`` path, or
    :data:`GENERIC` for any other."""
    if dataset in RECIPES:
        return RECIPES[dataset]
    return TABLES if str(dataset).lower().endswith(".csv") else GENERIC
