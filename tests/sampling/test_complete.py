"""Image completion: known pixels kept, the rest from p(unknown | known), the edge cases
equal to the input and to `tpc.sample`."""

import itertools

import numpy as np
import pytest
import scipy.stats

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn.sampling.completion_grid import completion_grid

SMALL = dict(num_layers=2, filters=6, kernel_size=3)
CASES = {
    "softmax": dict(num_levels=8),
    "mixture": dict(num_levels=32, num_mixture_components=2),
    "class": dict(num_levels=8, num_classes=3),
    "class_mixture": dict(num_levels=16, num_classes=2, num_mixture_components=2),
}


def make(case):
    model = tpc.GatedPixelCNN((5, 6, 3), **SMALL, **CASES[case])
    sharpen_output(model, scale=1.0)
    condition = np.array([0, 1, 1]) if "class" in case else None
    images = tpc.sample(model, num_samples=3, condition=condition, seed=(1, 2)).numpy()
    return model, images, condition


@pytest.mark.parametrize("case", list(CASES))
def test_known_pixels_unchanged_and_edge_cases(case):
    model, images, condition = make(case)
    mask = np.zeros([3, 5, 6], bool)
    mask[0, :2], mask[1, :3, :] = True, True
    mask[1, 3, :4] = True  # a partial row
    completed = tpc.complete(model, images, mask, seed=(3, 4), condition=condition).numpy()
    assert completed.dtype == np.int32 and completed.shape == images.shape
    np.testing.assert_array_equal(completed[mask], images[mask])
    assert (completed[~mask] != images[~mask]).any()  # the rest is drawn anew
    everything = tpc.complete(model, images, 5, seed=(3, 4), condition=condition)
    np.testing.assert_array_equal(everything, images)
    nothing = tpc.complete(model, images, np.zeros([3], np.int32), seed=(3, 4),
                           condition=condition)  # fmt: skip
    np.testing.assert_array_equal(
        nothing, tpc.sample(model, num_samples=3, condition=condition, seed=(3, 4))
    )
    # Known rows per image, and the same seed gives the same completion.
    rows = np.array([1, 0, 4])
    first = tpc.complete(model, images, rows, seed=(5, 5), condition=condition).numpy()
    np.testing.assert_array_equal(first, tpc.complete(model, images, rows, (5, 5), condition))
    for b, r in enumerate(rows):
        np.testing.assert_array_equal(first[b, :r], images[b, :r])


@pytest.mark.parametrize(
    "kwargs", [dict(num_levels=3), dict(num_levels=3, num_mixture_components=2)]
)
def test_completions_follow_the_models_conditional(kwargs):
    """Chi-square against p(unknown | known) by enumeration, on a 2×2 grayscale model."""
    model = tpc.GatedPixelCNN((2, 2, 1), num_layers=2, filters=4, kernel_size=3, **kwargs)
    sharpen_output(model, scale=1.0)
    known = np.array([[[2], [0]], [[0], [0]]])  # the first pixel: 2
    outcomes = np.array(list(itertools.product(range(3), repeat=3)))  # pixels 1, 2, 3
    candidates = np.repeat(known[None], len(outcomes), axis=0)
    candidates.reshape(len(outcomes), 4)[:, 1:] = outcomes
    log_p = model.log_prob(candidates).numpy().astype(np.float64)
    expected = np.exp(log_p - log_p.max())
    expected /= expected.sum()
    count = 4000
    mask = np.zeros([count, 2, 2], bool)
    mask[:, 0, 0] = True
    completed = tpc.complete(model, np.repeat(known[None], count, axis=0), mask, seed=(7, 8))
    completed = completed.numpy().reshape(count, 4)
    assert (completed[:, 0] == 2).all()
    index = completed[:, 1] * 9 + completed[:, 2] * 3 + completed[:, 3]
    observed = np.bincount(index, minlength=27)
    frequent = expected * count >= 5  # pool the rare outcomes into one cell
    observed_cells, expected_cells = observed[frequent], expected[frequent] * count
    if not frequent.all():
        observed_cells = np.append(observed_cells, observed[~frequent].sum())
        expected_cells = np.append(expected_cells, expected[~frequent].sum() * count)
    _, p_value = scipy.stats.chisquare(observed_cells, expected_cells)
    assert p_value > 1e-3, (observed, np.round(expected * count, 1))


def test_a_mask_that_is_not_a_prefix_is_named():
    model, images, _ = make("softmax")
    mask = np.zeros([3, 5, 6], bool)
    mask[2, 1, 3] = True
    with pytest.raises(ValueError, match=r"image 2 has pixel \(row 0, column 0\) unknown but "
                       r"pixel \(row 1, column 3\) known"):  # fmt: skip
        tpc.complete(model, images, mask)
    with pytest.raises(ValueError, match=r"bool \[batch, height, width\] = \[3, 5, 6\]"):
        tpc.complete(model, images, np.ones([3, 5, 6, 3], bool))
    with pytest.raises(ValueError, match=r"Known rows must be in \[0, height=5\]"):
        tpc.complete(model, images, 6)
    with pytest.raises(ValueError, match="complete needs a GatedPixelCNN"):
        tpc.complete(tpc.PixelCNN((5, 6, 3), num_layers=1, filters=3, num_levels=8), images, 1)


def test_completion_grid_rows_are_original_masked_completions():
    model, images, _ = make("softmax")
    completions = np.stack(
        [tpc.complete(model, images, 2, seed=(s, 0)).numpy() for s in range(2)], axis=1
    )
    grid = completion_grid(images, completions, 2, num_levels=8, padding=1)
    assert grid.shape == (3 * 6 + 1, 4 * 7 + 1, 3) and grid.dtype == np.uint8
    # Row 1: the masked image shows the known rows and mid-grey (level 3) below.
    masked = grid[7:12, 8:14]
    np.testing.assert_array_equal(masked[:2], np.round(images[1, :2] * 255 / 7))
    assert (masked[2:] == round(3 * 255 / 7)).all()
