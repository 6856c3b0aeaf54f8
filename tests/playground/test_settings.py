"""The playground's settings: every change checked, sizes bounded, hidden layers and their activations kept in step."""

from __future__ import annotations

import pytest

from deltaprop.playground.settings import LIMITS, Settings

NAMES = ("xor", "moons", "circles", "spirals")


def test_new_hidden_layers_take_the_last_activation_and_removed_ones_drop_theirs() -> None:
    s = Settings(hidden=(8, 8), activations=("relu", "tanh"))
    assert s.updated({"hidden": [8, 8, 4, 2]}, NAMES).activations == ("relu", "tanh", "tanh", "tanh")
    assert s.updated({"hidden": [3]}, NAMES).activations == ("relu",)
    assert Settings(hidden=(), activations=()).updated({"hidden": [5]}, NAMES).activations == ("tanh",)
    with pytest.raises(ValueError) as e:
        s.updated({"activations": ["relu"]}, NAMES)
    assert str(e.value) == "activations must name one function per hidden layer (2); got ['relu']"


def test_round_trip_through_json_values() -> None:
    s = Settings().updated({"hidden": [3, 4], "lr": 0.5, "dataset": "moons"}, NAMES)
    assert Settings().updated(s.to_dict(), NAMES) == s
    assert s.to_dict()["hidden"] == [3, 4]


@pytest.mark.parametrize(("changes", "message"), [
    ({"hidden": "8,8"}, "hidden must be a list of at most 8 layer widths; got '8,8'"),
    ({"hidden": [0]}, f"hidden[0] must be an integer from 1 to {LIMITS['neurons']}; got 0"),
    ({"hidden": [2.0]}, f"hidden[0] must be an integer from 1 to {LIMITS['neurons']}; got 2.0"),
    ({"noise": float("nan")}, "noise must be a number in [0, 2]; got nan"),
    ({"test_fraction": 0.95}, "test_fraction must be a number in [0.1, 0.9]; got 0.95"),
    ({"dropout": 0.95}, "dropout must be a number in [0, 0.9]; got 0.95"),
    ({"batch_size": 1001}, "batch_size must be an integer from 1 to 1000; got 1001"),
    ({"seed": -1}, f"seed must be an integer from 0 to {LIMITS['seed']}; got -1"),
    ({"optimizer": "lbfgs"}, "optimizer 'lbfgs' is unknown; choose one of sgd, momentum, nesterov, adam, adamw, rmsprop"),
    ({"classes": 7}, "classes must be an integer from 2 to 6; got 7"),
])
def test_bad_values_are_one_line_errors(changes: dict, message: str) -> None:
    with pytest.raises(ValueError) as e:
        Settings().updated(changes, NAMES)
    assert str(e.value) == message
