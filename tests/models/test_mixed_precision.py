"""Mixed precision does not bias the likelihood: float32 output heads, float32 copies,
samplers that agree."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests import test_case
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn.distributions import categorical
from tf_pixelcnn.layers.gated_block import shift_down
from tf_pixelcnn.layers.pixel_output_head import PixelOutputHead
from tf_pixelcnn.models import float32_copy
from tf_pixelcnn.utils import private_api


@pytest.fixture
def mixed_policy():
    """Sets a mixed global policy for the test; the previous one is always restored."""
    previous = keras.mixed_precision.global_policy()

    def set_policy(name="mixed_bfloat16"):
        keras.mixed_precision.set_global_policy(name)

    try:
        yield set_policy
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _images(shape, levels, batch=2, seed=0):
    return np.random.default_rng(seed).integers(0, levels, (batch, *shape)).astype(np.int32)


MODELS = {
    "gated": lambda: tpc.GatedPixelCNN((4, 4, 3), num_layers=2, filters=6, kernel_size=3,
                                       num_levels=8, num_classes=3),
    "gated_mixture": lambda: tpc.GatedPixelCNN((4, 4, 3), num_layers=2, filters=6,
                                               kernel_size=3, num_levels=8,
                                               num_mixture_components=2),
    "gated_image_conditioned": lambda: tpc.GatedPixelCNN(
        (4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=8,
        condition_image_shape=(2, 2, 1), condition_image_levels=8,
    ),
    "pixel_cnn": lambda: tpc.PixelCNN((4, 4, 3), num_layers=2, filters=6, num_levels=8,
                                      condition_dim=2, spatial_condition=True),
    "autoencoder": lambda: tpc.PixelCNNAutoencoder((4, 4, 1), bottleneck_dim=2, num_layers=2,
                                                   filters=4, kernel_size=3, num_levels=8,
                                                   encoder_filters=2),
    "grayscale": lambda: tpc.GrayscalePixelCNN((4, 4, 3), num_levels=8, grayscale_levels=4,
                                               num_layers=1, filters=6, grayscale_num_layers=1,
                                               grayscale_filters=4, kernel_size=3,
                                               num_mixture_components=2, condition_filters=2),
    "pyramid": lambda: tpc.PyramidPixelCNN((4, 4, 1), num_levels=8, num_resolutions=2,
                                           base_num_layers=1, base_filters=4, num_layers=1,
                                           filters=4, kernel_size=3, num_mixture_components=2,
                                           condition_filters=2),
}  # fmt: skip


def _outputs(model):
    """The model's head outputs (or log-likelihoods for auxiliary-variable models)."""
    if isinstance(model, tpc.PixelCNNAutoencoder):
        return model(_images(model.image_shape, model.num_levels))
    if hasattr(model, "factor_log_probs"):
        return model.log_prob(_images(model.image_shape, model.num_levels))
    condition = None
    if model.num_classes is not None:
        condition = np.array([0, 2], np.int32)
    elif model.condition_dim is not None:
        condition = np.ones([2, model.condition_dim], np.float32)
    elif model.condition_image_shape is not None:
        condition = _images(model.condition_image_shape, model.condition_image_levels)
    return model(_images(model.image_shape, model.num_levels), condition=condition)


@pytest.mark.parametrize("kind", list(MODELS))
def test_heads_are_float32_and_the_blocks_follow_the_policy(kind, mixed_policy):
    mixed_policy("mixed_bfloat16")
    model = MODELS[kind]()
    layers = private_api.all_layers(model)[1:]
    heads = [layer for layer in layers if isinstance(layer, PixelOutputHead)]
    assert heads, kind
    for head in heads:
        assert head.compute_dtype == "float32"
        assert all(layer.compute_dtype == "float32" for layer in private_api.all_layers(head))
    body = [layer for layer in layers if isinstance(layer, keras.layers.Conv2D)]
    body += [layer for layer in layers if type(layer).__name__ == "GatedBlock"]
    assert body and all(layer.compute_dtype == "bfloat16" for layer in body)
    assert _outputs(model).dtype == tf.float32


def _sharp_logits(model, seed=0):
    """Logits N(0, 4²) from the bias, plus a part N(0, 1)·features: a trained model's
    spread, where rounding the logits to bfloat16 moves log-softmax ~0.01 nats."""
    rng = np.random.default_rng(seed)
    kernel, bias = model.output_head.logits.weights
    kernel.assign(rng.normal(0.0, 1.0, kernel.shape).astype(np.float32))
    bias.assign(rng.normal(0.0, 4.0, bias.shape).astype(np.float32))


def _bits_per_dim_with_bfloat16_head(model, images):
    """What the model computed before its head was float32: the same blocks, then the
    head in bfloat16 (the control that shows the tolerance can fail)."""
    x = model.scale_images(images)
    v, h = shift_down(x), x
    for block in model.blocks:
        v, h = block((v, h))
    channels = model.image_shape[2]
    head = PixelOutputHead(model.num_levels, channels, model.head_width, dtype="mixed_bfloat16")
    head.build(h.shape)
    head.set_weights(model.output_head.get_weights())
    logits = head(h)
    assert logits.dtype == tf.bfloat16
    log_prob = categorical.log_prob_from_logits(logits, images)  # cast to float32 after
    return tpc.bits_per_dim(log_prob, model.image_shape).numpy()


def test_bits_per_dim_of_a_mixed_model_equal_its_float32_copy(mixed_policy):
    mixed_policy("mixed_bfloat16")
    model = tpc.GatedPixelCNN((8, 8, 3), num_layers=3, filters=32, kernel_size=3, num_levels=256)
    _sharp_logits(model)
    copy = float32_copy(model)
    images = _images((8, 8, 3), 256, batch=16, seed=1)
    mixed_bits = tpc.bits_per_dim(model.log_prob(images), (8, 8, 3)).numpy()
    float32_bits = tpc.bits_per_dim(copy.log_prob(images), (8, 8, 3)).numpy()
    assert 15.0 < float32_bits.mean() < 18.0  # logits N(0, 4²): far from uniform (8 bits)
    # Measured: |difference| 1.0e-4 bits/dim per image on average, 3.6e-4 at most (the
    # blocks' bfloat16 alone); with the head in bfloat16 as before: 4.8e-3, 6.0e-3.
    # (The sampler test below: sampling the mixed model itself, cached and naive differ
    # in 2 to 23 of the 60 sub-pixels.)
    tolerance = 1e-3
    np.testing.assert_allclose(mixed_bits, float32_bits, rtol=0, atol=tolerance)
    old = _bits_per_dim_with_bfloat16_head(model, images)
    assert np.abs(old - float32_bits).mean() > tolerance  # the tolerance can fail


def test_float32_copy_has_the_config_and_current_weights(mixed_policy):
    mixed_policy("mixed_bfloat16")
    model = MODELS["gated"]()
    mixed_policy("float32")
    copy = float32_copy(model)
    assert type(copy) is type(model) and copy is not model
    assert copy.dtype_policy.name == "float32" and model.dtype_policy.name == "mixed_bfloat16"
    assert all(layer.compute_dtype == "float32" for layer in private_api.all_layers(copy))
    expected = {k: v for k, v in model.get_config().items() if k != "dtype"}
    assert {k: v for k, v in copy.get_config().items() if k != "dtype"} == expected
    for a, b in zip(copy.weights, model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Weights changed after the copy (training) are copied again at the next call.
    kernel = model.output_head.logits.kernel
    kernel.assign(kernel + 1.0)
    again = float32_copy(model)
    assert again is copy  # one copy per model
    np.testing.assert_array_equal(again.output_head.logits.kernel.numpy(), kernel.numpy())
    assert float32_copy(again) is again  # float32 already: the model itself


@pytest.mark.parametrize("kind", ["autoencoder", "grayscale", "pyramid", "pixel_cnn"])
def test_float32_copy_of_every_model_kind_computes_the_same(kind, mixed_policy):
    mixed_policy("mixed_float16")
    model = MODELS[kind]()
    copy = float32_copy(model)
    assert type(copy) is type(model)
    # Measured: at most 3.0e-4 apart (float16 blocks; |outputs| up to 123).
    np.testing.assert_allclose(_outputs(copy), _outputs(model), rtol=0, atol=2e-3)


def test_mixed_model_saved_and_loaded_stays_mixed_with_a_float32_head(mixed_policy):
    mixed_policy("mixed_bfloat16")
    model = MODELS["gated_mixture"]()
    mixed_policy("float32")  # loaded under another global policy: the file's holds
    loaded = test_case.keras_round_trip(model)
    assert loaded.blocks[0].compute_dtype == "bfloat16"
    assert loaded.output_head.compute_dtype == "float32"
    np.testing.assert_array_equal(_outputs(loaded), _outputs(model))


def test_configs_from_before_the_new_arguments_still_load():
    model = tpc.GatedPixelCNN((4, 4, 1), num_layers=1, filters=4, kernel_size=3,
                              condition_image_shape=(2, 2, 1))  # fmt: skip
    config = model.get_config()
    for key in ("dropout_rate", "condition_image_hidden_filters",
                "condition_image_layers_per_resolution"):  # fmt: skip
        del config[key]
    loaded = tpc.GatedPixelCNN.from_config(config)
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    assert loaded.dropout_rate == 0.0 and loaded.condition_network.layers_per_resolution == 1


@pytest.mark.parametrize(
    "policy, mixture",
    [("mixed_bfloat16", False), ("mixed_bfloat16", True), ("mixed_float16", False)],
)
def test_cached_and_naive_samples_agree_under_a_mixed_policy(policy, mixture, mixed_policy):
    mixed_policy(policy)
    model = tpc.GatedPixelCNN(
        (4, 5, 3), num_layers=3, filters=6, kernel_size=3, num_levels=256, num_classes=2,
        num_mixture_components=3 if mixture else None,
    )  # fmt: skip
    sharpen_output(model, scale=1.0)
    labels = np.array([0, 1, 1], np.int32)
    cached = tpc.sample(model, condition=labels, seed=(4, 2), method="cached", jit_compile=False)
    naive = tpc.sample(model, condition=labels, seed=(4, 2), method="naive")
    np.testing.assert_array_equal(cached, naive)
    # Both sample the float32 copy, with the model's current weights.
    copy = float32_copy(model)
    np.testing.assert_array_equal(
        tpc.sample(copy, condition=labels, seed=(4, 2), method="naive"), naive
    )


def test_auxiliary_variable_model_samples_agree_under_a_mixed_policy(mixed_policy):
    mixed_policy("mixed_bfloat16")
    model = MODELS["pyramid"]()
    for level in model.levels:
        sharpen_output(level, scale=0.5)
    cached = tpc.sample(model, num_samples=2, seed=(1, 3), method="cached", jit_compile=False)
    np.testing.assert_array_equal(
        cached, tpc.sample(model, num_samples=2, seed=(1, 3), method="naive")
    )
    lower = cached[:, ::2, ::2]
    np.testing.assert_array_equal(
        model.sample_given(lower, seed=(2, 2), method="cached"),
        model.sample_given(lower, seed=(2, 2), method="naive"),
    )
