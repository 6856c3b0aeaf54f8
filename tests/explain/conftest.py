"""The default explanation, built once per module that asks for it."""

from __future__ import annotations

import pytest

import deltaprop as dp

from .common import default_explanation


@pytest.fixture(scope="module")
def default() -> dp.Explanation:
    return default_explanation()
