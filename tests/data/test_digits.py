import numpy as np
import pytest

from tf_pixelcnn.data import load_digits


def test_real_digits_split_and_quantise():
    train_images, train_labels = load_digits("train")
    test_images, test_labels = load_digits("test")
    assert train_images.shape == (1438, 8, 8, 1) and test_images.shape == (359, 8, 8, 1)
    assert train_images.dtype == np.uint8 and train_labels.dtype == np.int32
    assert set(np.unique(train_labels)) == set(range(10))
    assert train_images.max() == 16 and train_images.min() == 0
    # Real digits: images of one class are far more alike than images of different classes.
    zeros, ones = train_images[train_labels == 0], train_images[train_labels == 1]
    within = np.abs(zeros[:50, None].astype(int) - zeros[None, :50]).mean()
    between = np.abs(zeros[:50, None].astype(int) - ones[None, :50]).mean()
    assert within < 0.8 * between
    everything, _ = load_digits("all")
    assert len(everything) == len(train_images) + len(test_images)


def test_requantise_and_determinism():
    binary, _ = load_digits("train", num_levels=2)
    assert set(np.unique(binary)) == {0, 1}
    again, _ = load_digits("train", num_levels=2)
    np.testing.assert_array_equal(binary, again)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"split": "validation"}, "split='validation'"), ({"num_levels": 1}, "num_levels=1")],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_digits(**kwargs)
