"""Samples, completions, log p and the range coder's tables are what the code computed
before the pixel distributions became objects (commit 175af8e; `fixtures/make_fixtures.py`
wrote the fixtures with it): the same images for the same seeds, the same tables, so
compressed files written before still decode."""

import pathlib

import keras
import numpy as np
import pytest

from tests.distributions.fixtures.make_fixtures import outputs

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("name", ["softmax", "mixture", "grayscale"])
def test_outputs_are_those_of_the_code_before(name):
    model = keras.saving.load_model(FIXTURES / f"{name}.keras")
    expected = dict(np.load(FIXTURES / f"{name}_outputs.npz"))
    got = outputs(name, model)
    assert sorted(got) == sorted(expected)
    for key in sorted(expected):
        if key in ("log_prob", "tables"):  # floats: bit-equal on one machine; to rounding
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, err_msg=key)
        else:  # images: exactly
            np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
