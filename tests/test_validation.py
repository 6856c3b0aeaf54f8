"""The shared argument checks: what each accepts, and the one message it gives otherwise."""

from __future__ import annotations

import re

import numpy as np
import pytest

from deltaprop.validation import (
    boolean,
    integer,
    known_name,
    non_negative,
    non_negative_int,
    positive_int,
    positive_number,
)


@pytest.mark.parametrize(
    "check,value,expected",
    [
        (positive_int, 3, 3),
        (positive_int, np.int64(2), 2),
        (non_negative_int, 0, 0),
        (positive_number, 0.5, 0.5),
        (positive_number, np.float32(2), 2.0),
        (non_negative, 0, 0.0),
        (boolean, np.True_, True),
    ],
)
def test_accepted_values_come_back_as_python_values(check, value, expected) -> None:
    got = check("x", value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "check,value,message",
    [
        (positive_int, 0, "x must be a positive integer; got 0"),
        (positive_int, True, "x must be a positive integer; got True"),
        (positive_int, 2.0, "x must be a positive integer; got 2.0"),
        (non_negative_int, -1, "x must be an integer ≥ 0; got -1"),
        (positive_number, 0.0, "x must be a finite number > 0; got 0.0"),
        (positive_number, float("inf"), "x must be a finite number > 0; got inf"),
        (positive_number, "1", "x must be a finite number > 0; got '1'"),
        (non_negative, float("nan"), "x must be a finite number ≥ 0; got nan"),
        (boolean, 1, "x must be True or False; got 1"),
    ],
)
def test_refused_values_name_the_parameter_the_value_and_what_is_allowed(check, value, message) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        check("x", value)


def test_integer_says_what_its_condition_allows() -> None:
    assert integer("opset", 13, "an integer from 13 to 21", lambda v: 13 <= v <= 21) == 13
    with pytest.raises(ValueError, match="^opset must be an integer from 13 to 21; got 22$"):
        integer("opset", 22, "an integer from 13 to 21", lambda v: 13 <= v <= 21)


@pytest.mark.parametrize("name", ["tan", None, ["sgd"]])
def test_known_name_lists_the_registry(name: object) -> None:
    assert known_name("optimizer", "sgd", {"sgd": 1, "adam": 2}) == "sgd"
    with pytest.raises(ValueError, match="^" + re.escape(f"optimizer {name!r} is unknown; choose one of sgd, adam") + "$"):
        known_name("optimizer", name, {"sgd": 1, "adam": 2})
