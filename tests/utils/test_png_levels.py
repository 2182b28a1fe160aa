"""PNGs to a model's levels and back: exact where it can be, refused (or warned) where not."""

import numpy as np
import pytest
import tensorflow as tf

from tf_pixelcnn.utils.png_levels import levels_to_png_values, read_png_levels


def write(path, pixels):
    tf.io.write_file(str(path), tf.io.encode_png(np.asarray(pixels, np.uint8)))
    return str(path)


@pytest.mark.parametrize("num_levels", [2, 16, 17, 256])
def test_levels_written_as_png_read_back_unchanged(num_levels, tmp_path):
    levels = np.random.default_rng(0).integers(0, num_levels, (4, 5, 3))
    path = write(tmp_path / "x.png", levels_to_png_values(levels, num_levels))
    read, warning = read_png_levels(path, (4, 5, 3), num_levels)
    np.testing.assert_array_equal(read, levels)
    assert warning is None


def test_lossy_or_mismatched_pngs_are_refused_and_named(tmp_path):
    rng = np.random.default_rng(1)
    many = write(tmp_path / "many.png", rng.integers(0, 256, (4, 5, 1)))
    with pytest.raises(ValueError, match=r"many.png: \d+ distinct values, more than the "
                       r"model's 16 levels: quantising changes \d+ of 20 values"):  # fmt: skip
        read_png_levels(many, (4, 5, 1), 16)
    levels, warning = read_png_levels(many, (4, 5, 1), 16, allow_lossy=True)
    assert "(lossy)" in warning and levels.max() < 16
    with pytest.raises(ValueError, match="is 4x5; the model codes 5x5"):
        read_png_levels(many, (5, 5, 1), 16, allow_lossy=True)
    colour = write(tmp_path / "colour.png", rng.integers(0, 2, (4, 5, 3)) * 255)
    with pytest.raises(ValueError, match="has 3 channels; the model codes 1"):
        read_png_levels(colour, (4, 5, 1), 2)
    gray = np.repeat(rng.integers(0, 2, (4, 5, 1)) * 255, 3, axis=-1)
    gray_as_rgb = write(tmp_path / "gray.png", gray)
    assert read_png_levels(gray_as_rgb, (4, 5, 1), 2)[0].shape == (4, 5, 1)
    alpha = np.concatenate([np.zeros((4, 5, 3)), np.full((4, 5, 1), 128)], -1)
    with pytest.raises(ValueError, match="transparent pixels"):
        read_png_levels(write(tmp_path / "alpha.png", alpha), (4, 5, 3), 2)
