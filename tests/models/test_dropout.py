"""Dropout (dropout_rate): active in training only, causal, serialised, and invisible to
the samplers."""

import numpy as np
import pytest

import tf_pixelcnn as tpc
from tests import test_case
from tests.models.test_autoregressive_image_model import sharpen_output

RATE = 0.3

MODELS = {
    "gated": lambda rate: tpc.GatedPixelCNN((4, 4, 3), num_layers=3, filters=6, kernel_size=3,
                                            num_levels=8, num_classes=2, dropout_rate=rate),
    "gated_mixture": lambda rate: tpc.GatedPixelCNN((4, 4, 3), num_layers=3, filters=6,
                                                    kernel_size=3, num_levels=8,
                                                    num_mixture_components=2, dropout_rate=rate),
    # A head as wide as the layers: with a wider one every input still reaches every
    # output through the residual skips whatever dropout drops, so the check that dropout
    # removed some dependencies (test_causal_in_training_mode) has nothing to see.
    "pixel_cnn": lambda rate: tpc.PixelCNN((4, 4, 3), num_layers=3, filters=6, num_levels=8,
                                           dropout_rate=rate, output_filters="filters"),
    "autoencoder": lambda rate: tpc.PixelCNNAutoencoder((4, 4, 1), bottleneck_dim=2,
                                                        num_layers=2, filters=4, kernel_size=3,
                                                        num_levels=8, encoder_filters=2,
                                                        dropout_rate=rate),
    "grayscale": lambda rate: tpc.GrayscalePixelCNN((4, 4, 3), num_levels=8, grayscale_levels=4,
                                                    num_layers=2, filters=6,
                                                    grayscale_num_layers=2, grayscale_filters=4,
                                                    kernel_size=3, num_mixture_components=2,
                                                    condition_filters=2, dropout_rate=rate),
    "pyramid": lambda rate: tpc.PyramidPixelCNN((4, 4, 1), num_levels=8, num_resolutions=2,
                                                base_num_layers=2, base_filters=4, num_layers=2,
                                                filters=4, kernel_size=3,
                                                num_mixture_components=2, condition_filters=2,
                                                dropout_rate=rate),
}  # fmt: skip


def _log_prob(model, images, training):
    if isinstance(model, tpc.PixelCNNAutoencoder) or hasattr(model, "factor_log_probs"):
        return model.log_prob(images, training=training).numpy()
    condition = np.array([0, 1, 1], np.int32) if model.num_classes else None
    return model.log_prob(images, condition=condition, training=training).numpy()


@pytest.mark.parametrize("kind", list(MODELS))
def test_evaluation_is_the_model_without_dropout_and_training_is_random(kind):
    model, plain = MODELS[kind](RATE), MODELS[kind](0.0)
    assert model.get_config()["dropout_rate"] == RATE
    plain.set_weights(model.get_weights())  # dropout adds no weights
    images = np.random.default_rng(0).integers(0, 8, (3, *model.image_shape)).astype(np.int32)
    expected = _log_prob(plain, images, training=False)
    np.testing.assert_array_equal(_log_prob(model, images, training=False), expected)
    np.testing.assert_array_equal(_log_prob(model, images, training=False), expected)
    first, second = _log_prob(model, images, True), _log_prob(model, images, True)
    assert not np.allclose(first, expected) and not np.allclose(first, second)
    np.testing.assert_array_equal(_log_prob(plain, images, training=True), expected)


class _Training:
    """`logits_from_float` in training mode, for the causality harness."""

    def __init__(self, model):
        self.model = model

    def logits_from_float(self, x, condition=None):
        return self.model.logits_from_float(x, condition, training=True)


@pytest.mark.parametrize("kind", ["gated", "pixel_cnn"])
def test_causal_in_training_mode(kind):
    model = MODELS[kind](0.5)
    condition = np.array([0, 1], np.int32) if kind == "gated" else None
    depends = test_case.assert_causal(_Training(model), model.image_shape, condition)
    # Dropout really acted: in evaluation mode more of the receptive field is seen.
    evaluation = test_case.assert_causal(model, model.image_shape, condition)
    assert depends.sum() < evaluation.sum()


def test_causal_in_training_mode_with_the_default_head():
    model = tpc.PixelCNN((4, 4, 3), num_layers=3, filters=6, num_levels=8, dropout_rate=0.5)
    assert model.head_width == 24  # 3 × 8 logits per pixel
    test_case.assert_causal(_Training(model), model.image_shape, None)


def test_mixture_causal_in_training_mode():
    model = MODELS["gated_mixture"](0.5)
    test_case.assert_pixel_causal(_Training(model), model.image_shape, full_receptive_field=False)


@pytest.mark.parametrize("kind", list(MODELS))
def test_config_round_trip(kind):
    model = MODELS[kind](RATE)
    clone = type(model).from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.dropout_rate == RATE


def test_keras_round_trip_keeps_dropout_and_weights():
    model = MODELS["gated"](RATE)
    loaded = test_case.keras_round_trip(model)
    images = np.random.default_rng(1).integers(0, 8, (3, 4, 4, 3)).astype(np.int32)
    assert loaded.dropout_rate == RATE
    np.testing.assert_array_equal(
        _log_prob(loaded, images, training=False), _log_prob(model, images, training=False)
    )


@pytest.mark.parametrize("kind", ["gated", "gated_mixture"])
def test_cached_sampler_equals_naive_with_dropout(kind):
    """The cached sampler reimplements inference only: with dropout off in evaluation it
    stays exact."""
    model = MODELS[kind](0.5)
    sharpen_output(model, scale=1.0)
    condition = np.array([0, 1], np.int32) if kind == "gated" else None
    cached = tpc.sample(
        model, num_samples=2, condition=condition, seed=(3, 1), method="cached", jit_compile=False
    )
    naive = tpc.sample(model, num_samples=2, condition=condition, seed=(3, 1), method="naive")
    np.testing.assert_array_equal(cached, naive)
