import numpy as np
import pytest
import tensorflow as tf

from tf_pixelcnn.utils import image_grid
from tf_pixelcnn.utils import write_png


def test_grid_layout_scale_and_png(tmp_path):
    images = np.stack([np.full((2, 3, 3), v) for v in range(5)]).astype(np.int32)  # levels 0..4
    grid = image_grid(images, num_levels=5, columns=2, zoom=2, padding=1)
    assert grid.shape == (3 * 5 + 1, 2 * 7 + 1, 3)
    assert grid[1, 1, 0] == 0 and grid[1, 8, 0] == 64 and grid[11, 8, 0] == 255
    assert (grid[0] == 255).all()  # padding
    path = write_png(str(tmp_path / "sub" / "grid.png"), grid)
    decoded = tf.io.decode_png(tf.io.read_file(path)).numpy()
    np.testing.assert_array_equal(decoded, grid)


def test_bad_shape_is_named():
    with pytest.raises(ValueError, match=r"shape=\(2, 3, 3\)"):
        image_grid(np.zeros((2, 3, 3)), 4, columns=2)
