import numpy as np

import tf_pixelcnn as tpc
from tf_pixelcnn.training import evaluate_bits_per_dim


def test_batched_evaluation_equals_the_mean_over_all_images():
    model = tpc.GatedPixelCNN(
        (3, 3, 1), num_layers=1, filters=4, kernel_size=3, num_levels=4, num_classes=2
    )
    rng = np.random.default_rng(0)
    images = rng.integers(0, 4, (10, 3, 3, 1)).astype(np.int32)
    labels = rng.integers(0, 2, 10).astype(np.int32)
    expected = np.mean(tpc.bits_per_dim(model.log_prob(images, condition=labels), (3, 3, 1)))
    np.testing.assert_allclose(
        evaluate_bits_per_dim(model, images, labels, batch_size=3), expected, rtol=1e-5
    )
