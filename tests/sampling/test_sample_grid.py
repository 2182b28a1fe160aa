import numpy as np
import pytest

from tf_pixelcnn.sampling.sample_grid import sample_grid


def recording_draw(calls):
    def draw(seeds, condition):
        calls.append((np.array(seeds), None if condition is None else np.array(condition)))
        return np.zeros((len(seeds), 2, 2, 1), np.int32)

    return draw


def test_class_rows_are_capped_at_the_number_of_classes():
    calls = []
    images = sample_grid(recording_draw(calls), rows=5, per_row=3, num_classes=2, batch_size=4)
    assert images.shape == (6, 2, 2, 1)
    labels = np.concatenate([c for _, c in calls])
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1, 1])


def test_interpolation_rows_and_errors():
    calls = []
    endpoints = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    images = sample_grid(
        recording_draw(calls), rows=2, per_row=4, condition_dim=2, endpoints=endpoints
    )
    assert images.shape == (8, 2, 2, 1)
    conditions = np.concatenate([c for _, c in calls])
    np.testing.assert_allclose(conditions[3], [1.0, 1.0])
    with pytest.raises(ValueError, match="needs conditions"):
        sample_grid(recording_draw([]), rows=1, per_row=2, condition_dim=2)
    with pytest.raises(ValueError, match=r"endpoints shape=\(2, 3\)"):
        sample_grid(recording_draw([]), 1, 2, condition_dim=2, endpoints=np.zeros((2, 3)))
