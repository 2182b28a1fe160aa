"""The cached sampler is exact: same images as the naive sampler, logits of the full model."""

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.cached import cached_sample

CONDITIONS = {
    None: {},
    "class": {"num_classes": 3},
    "vector": {"condition_dim": 4},
    "spatial": {"condition_dim": 4, "spatial_condition": True},
}


def make_condition(conditioning, batch):
    rng = np.random.default_rng(1)
    if conditioning == "class":
        return rng.integers(0, 3, batch).astype(np.int32)
    if conditioning in ("vector", "spatial"):
        return rng.normal(size=(batch, 4)).astype(np.float32)
    return None


@pytest.mark.parametrize("conditioning", list(CONDITIONS))
@pytest.mark.parametrize(
    "channels, kernel_size, num_levels", [(1, 3, 2), (3, 5, 7), (3, 7, 256), (1, 5, 16)]
)
def test_same_images_as_naive_and_logits_of_the_full_model(
    conditioning, channels, kernel_size, num_levels
):
    model = tpc.GatedPixelCNN(
        (5, 6, channels),
        num_layers=3,
        filters=6,
        kernel_size=kernel_size,
        num_levels=num_levels,
        **CONDITIONS[conditioning],
    )
    sharpen_output(model, scale=1.0)
    condition = make_condition(conditioning, 3)
    seeds = random_stream.per_image_seeds((5, 9), 3)
    uniform = random_stream.uniform_noise(seeds, model.image_shape)
    images, step_logits = tf.function(
        lambda u: cached_sample(model, u, condition, 1.0, return_logits=True)
    )(uniform)
    np.testing.assert_allclose(step_logits, model(images, condition=condition), atol=1e-4)
    naive = tpc.sample(model, condition=condition, seed=seeds, method="naive")
    np.testing.assert_array_equal(images, naive)
    np.testing.assert_array_equal(
        tpc.sample(model, condition=condition, seed=seeds, method="cached", jit_compile=False),
        naive,
    )


@pytest.mark.parametrize("components", [None, 2])
@pytest.mark.parametrize("first_kernel_size, kernel_size", [(7, 3), (3, 5)])
def test_first_block_of_another_size_and_a_wide_head_match_naive(
    components, first_kernel_size, kernel_size
):
    """Per-layer caches and windows: the first block's kernel differs from the others'."""
    model = tpc.GatedPixelCNN(
        (5, 6, 3), num_layers=3, filters=6, kernel_size=kernel_size, num_levels=7,
        first_kernel_size=first_kernel_size, output_filters=15,
        num_mixture_components=components, num_classes=3,
    )  # fmt: skip
    sharpen_output(model, scale=1.0)
    condition = make_condition("class", 3)
    seeds = random_stream.per_image_seeds((2, 4), 3)
    stream = (5, 6, 4) if components else model.image_shape  # a mixture pixel: C + 1
    uniform = random_stream.uniform_noise(seeds, stream)
    images, step_outputs = tf.function(
        lambda u: cached_sample(model, u, condition, 1.0, return_logits=True)
    )(uniform)
    np.testing.assert_allclose(step_outputs, model(images, condition=condition), atol=1e-4)
    naive = tpc.sample(model, condition=condition, seed=seeds, method="naive")
    np.testing.assert_array_equal(images, naive)


def test_temperature_and_autoencoder_decoder_match_naive():
    ae = tpc.PixelCNNAutoencoder(
        (6, 6, 3),
        bottleneck_dim=4,
        num_layers=2,
        filters=6,
        kernel_size=3,
        num_levels=5,
        encoder_filters=4,
    )
    images = np.random.default_rng(0).integers(0, 5, (2, 6, 6, 3)).astype(np.int32)
    code = ae.encode(images)
    for temperature in (0.5, 1.7):
        cached = ae.decode(code, seed=(3, 3), temperature=temperature, method="cached")
        naive = ae.decode(code, seed=(3, 3), temperature=temperature, method="naive")
        np.testing.assert_array_equal(cached, naive)


def test_xla_compiled_sampler_matches():
    model = tpc.GatedPixelCNN((4, 4, 3), num_layers=2, filters=6, kernel_size=3, num_levels=8)
    expected = tpc.sample(model, num_samples=2, seed=(1, 1), method="naive")
    np.testing.assert_array_equal(
        tpc.sample(model, num_samples=2, seed=(1, 1), method="cached", jit_compile=True), expected
    )


def test_auto_picks_cached_for_gated_and_naive_for_pixel_cnn():
    gated = tpc.GatedPixelCNN((3, 3, 1), num_layers=1, filters=2, kernel_size=3, num_levels=4)
    np.testing.assert_array_equal(
        tpc.sample(gated, num_samples=2, seed=(0, 1)),
        tpc.sample(gated, num_samples=2, seed=(0, 1), method="naive"),
    )
    baseline = tpc.PixelCNN((3, 3, 1), num_layers=1, filters=2, num_levels=4)
    assert tpc.sample(baseline, num_samples=2, seed=(0, 1)).shape == (2, 3, 3, 1)
    with pytest.raises(
        ValueError, match="method='cached' needs a GatedPixelCNN. Received: PixelCNN"
    ):
        tpc.sample(baseline, num_samples=2, method="cached")


@pytest.mark.parametrize(
    "channels, kernel_size, conditioning", [(3, 3, None), (1, 5, "class"), (3, 3, "image")]
)
@pytest.mark.parametrize("mode, reduction", [("sample", 0.0), ("sample", 1.5), ("map", 0.0)])
def test_logistic_mixture_same_images_as_naive_and_parameters_of_the_full_model(
    channels, kernel_size, conditioning, mode, reduction
):
    kwargs = {"class": {"num_classes": 3}, "image": {"condition_image_shape": (2, 3, 1),
              "condition_image_levels": 4}}.get(conditioning, {})  # fmt: skip
    model = tpc.GatedPixelCNN(
        (4, 5, channels), num_layers=3, filters=6, kernel_size=kernel_size,
        num_mixture_components=3, **kwargs,
    )  # fmt: skip
    sharpen_output(model, scale=1.0)
    rng = np.random.default_rng(2)
    condition = {
        "class": rng.integers(0, 3, 3).astype(np.int32),
        "image": rng.integers(0, 4, (3, 2, 3, 1)).astype(np.int32),
    }.get(conditioning)
    seeds = random_stream.per_image_seeds((4, 2), 3)
    uniform = random_stream.uniform_noise(seeds, (4, 5, channels + 1))
    images, params = tf.function(
        lambda u: cached_sample(
            model,
            u,
            condition,
            return_logits=True,
            log_scale_reduction=reduction,
            mixture_mode=mode,
        )  # fmt: skip
    )(uniform)
    np.testing.assert_allclose(params, model(images, condition=condition), atol=1e-4)
    naive = tpc.sample(
        model, condition=condition, seed=seeds, method="naive", log_scale_reduction=reduction,
        mixture_mode=mode,
    )  # fmt: skip
    np.testing.assert_array_equal(images, naive)
    assert len(np.unique(naive)) > 3  # not a constant image


@pytest.mark.parametrize("components", [None, 2])
def test_teacher_forcing_hooks_give_the_full_models_outputs_on_the_forced_images(components):
    """What image completion and compression rely on: with hooks that return given values,
    the pass returns those values and, at every step, the full network's outputs on them."""
    model = tpc.GatedPixelCNN(
        (4, 5, 3), num_layers=3, filters=6, kernel_size=3, num_levels=6,
        num_mixture_components=components, num_classes=2,
    )  # fmt: skip
    sharpen_output(model, scale=1.0)
    images = np.random.default_rng(4).integers(0, 6, (2, 4, 5, 3)).astype(np.int32)
    labels = np.array([1, 0])
    forced = tf.constant(images)
    stream = (4, 5, 4) if components else (4, 5, 3)
    uniform = tf.zeros([2, *stream])
    got, outputs = tf.function(
        lambda u: cached_sample(
            model, u, labels, return_logits=True,
            draw_subpixel=lambda logits, u, r, c, k: forced[:, r, c, k],
            draw_pixel=lambda params, u, r, c: forced[:, r, c],
        )  # fmt: skip
    )(uniform)
    np.testing.assert_array_equal(got, images)
    np.testing.assert_allclose(outputs, model(images, condition=labels), atol=1e-4)


@pytest.mark.parametrize("mixture", [False, True])
def test_every_bias_counts(mixture):
    """All weights, biases included, drawn at random (Keras starts biases at 0, which would
    hide a bias the pixel loop drops or adds twice): logits of the full model, naive images."""
    model = tpc.GatedPixelCNN(
        (4, 5, 3), num_layers=4, filters=6, kernel_size=5, num_levels=16, num_classes=2,
        num_mixture_components=2 if mixture else None,
    )  # fmt: skip
    model.build()
    rng = np.random.default_rng(3)
    for variable in model.weights:
        variable.assign(rng.normal(0.0, 0.5, variable.shape).astype(np.float32))
    condition = np.array([0, 1, 1], np.int32)
    seeds = random_stream.per_image_seeds((2, 4), 3)
    channels = 4 if mixture else 3
    uniform = random_stream.uniform_noise(seeds, (4, 5, channels))
    images, step_outputs = tf.function(
        lambda u: cached_sample(model, u, condition, return_logits=True)
    )(uniform)
    np.testing.assert_allclose(step_outputs, model(images, condition=condition), atol=1e-4)
    naive = tpc.sample(model, condition=condition, seed=seeds, method="naive")
    np.testing.assert_array_equal(images, naive)
