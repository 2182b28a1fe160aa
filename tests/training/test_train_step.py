"""A short run on real data (scikit-learn's digits) lowers test bits/dim."""

import keras
import numpy as np
import pytest

import tf_pixelcnn as tpc
from tf_pixelcnn.data import load_digits
from tf_pixelcnn.training import evaluate_bits_per_dim
from tf_pixelcnn.training import make_train_step


@pytest.mark.parametrize("model_class", [tpc.GatedPixelCNN, tpc.PixelCNN])
def test_training_on_digits_lowers_test_bits_per_dim(model_class):
    train_images, train_labels = load_digits("train", num_levels=17)
    test_images, test_labels = load_digits("test", num_levels=17)
    model = model_class(
        (8, 8, 1), num_layers=4, filters=24, kernel_size=3, num_levels=17, num_classes=10
    )
    step = make_train_step(model, keras.optimizers.Adam(3e-3))
    before = evaluate_bits_per_dim(model, test_images, test_labels)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(120):
        index = rng.integers(0, len(train_images), 64)
        losses.append(float(step(train_images[index], train_labels[index])))
    after = evaluate_bits_per_dim(model, test_images, test_labels)
    assert before > 3.5  # near log2(17) = 4.09 at initialisation
    assert after < before - 1.5, (before, after)
    assert np.mean(losses[-10:]) < np.mean(losses[:10])


def test_autoencoder_trains_end_to_end():
    images, _ = load_digits("train", num_levels=4)
    ae = tpc.PixelCNNAutoencoder(
        (8, 8, 1),
        bottleneck_dim=10,
        num_layers=2,
        filters=12,
        kernel_size=3,
        num_levels=4,
        encoder_filters=8,
    )
    step = make_train_step(ae, keras.optimizers.Adam(3e-3))
    before = evaluate_bits_per_dim(ae, images[:256])
    for start in range(0, 64 * 40, 64):
        step(images[start % 1024 : start % 1024 + 64])
    assert evaluate_bits_per_dim(ae, images[:256]) < before - 0.5
