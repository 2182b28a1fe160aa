"""DivergenceGuard: one exploded step, a window many times the best, the factor's range."""

import math

import pytest

from tf_pixelcnn.training.divergence_guard import DivergenceGuard


def test_a_step_far_above_the_uniform_bits_has_diverged():
    guard = DivergenceGuard(num_levels=17, factor=3.0)  # uniform: log2(17) = 4.087
    assert guard.step_limit == pytest.approx(3 * math.log2(17))
    assert guard.add(12.2) is None
    reason = guard.add(1.4e10)  # the probe: learning rate 1e3
    assert "1.4e+10 bits/dim" in reason and "uniform distribution over 17 levels" in reason


def test_a_window_many_times_the_best_window_has_diverged():
    guard = DivergenceGuard(num_levels=256, factor=3.0)  # step limit 24 bits/dim
    for window in ([4.0, 3.0], [2.0, 2.0], [5.9, 6.0]):  # best 2.0; limit 6.0
        for loss in window:
            assert guard.add(loss) is None
        assert guard.end_window() is None
    assert guard.best_window == 2.0
    assert guard.end_window() is None  # an empty window says nothing
    guard.add(6.5)
    guard.add(6.1)
    reason = guard.end_window()
    assert "6.3 bits/dim over the last 2 step(s)" in reason and "(2.0000 bits/dim)" in reason
    assert guard.best_window == 2.0  # a diverged window never becomes the best


def test_factor_zero_switches_the_guard_off_and_a_factor_up_to_one_is_refused():
    guard = DivergenceGuard(num_levels=2, factor=0)
    assert guard.add(1e30) is None and guard.end_window() is None
    assert DivergenceGuard(num_levels=2, factor=None).add(1e30) is None
    for factor in (1.0, 0.5, -2.0, math.nan):
        with pytest.raises(ValueError, match=f"Received: {factor}"):
            DivergenceGuard(num_levels=2, factor=factor)
