import numpy as np
import pytest

from tf_pixelcnn.sampling.interpolation import interpolation_grid


def test_rows_share_a_seed_and_move_linearly():
    conditions, seeds = interpolation_grid(
        [0.0, 1.0], [2.0, -1.0], num_steps=5, num_rows=3, seed=(4, 2)
    )
    assert conditions.shape == (15, 2) and seeds.shape == (15, 2)
    np.testing.assert_allclose(conditions[:5, 0], [0.0, 0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(conditions[5:10], conditions[:5])
    for row in range(3):
        assert (seeds[row * 5 : row * 5 + 5] == seeds[row * 5]).all()
    assert len({tuple(s) for s in seeds[::5]}) == 3


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\)"):
        interpolation_grid([0.0, 1.0], [0.0, 1.0, 2.0], 3, 1)
    with pytest.raises(ValueError, match="num_steps=1"):
        interpolation_grid([0.0], [1.0], 1, 1)
