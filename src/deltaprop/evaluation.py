"""A data set as a given network takes it: the columns it was trained on, in its units, with its labels.

A network trained by ``deltaprop train`` carries its preprocessing and names (see
:mod:`deltaprop.network`). To measure it on a data set, the rows must reach it as they reached
it in training: a table's columns matched to its ``feature_names`` by name (in whatever order the
file has them), raw pixels when it scales them itself (else pixels in [0, 1]), and labels as
class names when it knows them by those names (a table's integer labels are names too: "3" is
the class the network calls "3", whatever its number), as class numbers otherwise. :func:`data_for` does all of that once, for the
command line's ``evaluate`` and ``plot --confusion`` and for the report.
"""

from __future__ import annotations

import os

import numpy as np

from .datasets.registry import Data, read
from .network import Network

__all__ = ["data_for"]

Split = tuple[np.ndarray, np.ndarray]


def data_for(
    net: Network, dataset: str | os.PathLike, target: str | None = None, image_size: tuple[int, int] | None = None,
    color: str | None = None,
) -> tuple[Data, Split, Split]:
    """Read ``dataset`` and return ``(data, (X_train, y_train), (X_test, y_test))`` as ``net`` takes them.

    Parameters
    ----------
    net : Network
    dataset : str or PathLike
        A name or path, as :func:`deltaprop.datasets.read` takes it.
    target, image_size, color
        Passed to :func:`deltaprop.datasets.read`.

    Raises
    ------
    ValueError
        If the data set does not fit the network: other columns or widths, class names the
        network does not know, a target of the wrong kind.
    """
    images = {k: v for k, v in (("image_size", image_size), ("color", color)) if v is not None}
    data = read(dataset, target=target, **images)
    return data, _fitted(net, data, *data.train), _fitted(net, data, *data.test)


def _fitted(net: Network, data: Data, X: np.ndarray, y: np.ndarray) -> Split:
    name = data.name
    if net.input_scaling is None and data.input_scaling is not None:  # a model that takes [0, 1] pixels
        X = data.input_scaling.apply(X)
    if net.feature_names is not None and data.feature_names is not None:
        missing = [n for n in net.feature_names if n not in data.feature_names]
        if missing:
            raise ValueError(f"{name} lacks the column(s) {', '.join(map(repr, missing[:5]))} that the network takes")
        X = X[:, [data.feature_names.index(n) for n in net.feature_names]]
    if X.shape[1] != net.sizes[0]:
        raise ValueError(f"the network takes {net.sizes[0]} inputs but data set {name!r} has {X.shape[1]}")
    if not net.is_classifier:
        if data.classes is not None:
            raise ValueError(f"the network is a regressor but the target of {name} holds class names")
        return X, y.astype(np.float32).reshape(len(y), -1)
    if y.ndim == 2:
        raise ValueError(f"the network is a classifier but the target of {name} holds numbers that are not all whole")
    if net.classes is not None:
        names = np.array(data.classes, dtype=object)[y] if data.classes is not None else y.astype(str)
        if set(names) <= set(net.classes):  # labels the network knows by name; else they are its class numbers
            y = names
    return X, y

