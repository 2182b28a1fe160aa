import io

import numpy as np

import tf_pixelcnn as tpc
from tf_pixelcnn.sampling.sample_in_batches import model_draw
from tf_pixelcnn.sampling.sample_in_batches import sample_in_batches
from tf_pixelcnn.sampling.sample_in_batches import split_seed
from tf_pixelcnn.utils.progress_line import ProgressLine


def test_images_do_not_depend_on_the_batch_size_and_progress_is_reported():
    model = tpc.GatedPixelCNN(
        (3, 3, 3), num_layers=2, filters=6, kernel_size=3, num_levels=4, num_classes=2
    )
    labels = np.array([0, 1, 1, 0, 1], np.int32)
    stream = io.StringIO()
    seeds = split_seed((2, 3), 5)
    batched = sample_in_batches(
        model_draw(model), seeds, labels, batch_size=2, progress=ProgressLine(3, 2, stream=stream)
    )
    np.testing.assert_array_equal(
        batched,
        tpc.sample(model, condition=labels, seed=(2, 3), num_samples=5, jit_compile=False),
    )
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("step 3/3 (100%) | images 5 | ")
