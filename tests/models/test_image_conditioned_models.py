"""Conditioning on an image-shaped auxiliary variable (Kolesnikov & Lampert 2017): causal in
x, fully visible x̂, exact cached sampling, serialization, clear errors."""

import numpy as np
import pytest

import tf_pixelcnn as tpc
from tests import test_case


def _model(kind=tpc.GatedPixelCNN, shape=(4, 4, 3), aux=(2, 2, 1), **kwargs):
    kwargs.setdefault("num_levels", 4)
    return kind(
        shape, num_layers=3, filters=6, kernel_size=3, condition_image_shape=aux,
        condition_image_levels=16, **kwargs,
    )  # fmt: skip


def _aux(batch=2, shape=(2, 2, 1), seed=0):
    return np.random.default_rng(seed).integers(0, 16, (batch, *shape)).astype(np.int32)


@pytest.mark.parametrize("kind", [tpc.GatedPixelCNN, tpc.PixelCNN])
@pytest.mark.parametrize("aux", [(2, 2, 1), (4, 4, 1)])
def test_causal_in_x_whatever_the_auxiliary_image(kind, aux):
    model = _model(kind, aux=aux)
    test_case.assert_causal(model, (4, 4, 3), condition=_aux(shape=aux))


def test_every_pixel_sees_the_auxiliary_image_and_log_prob_depends_on_it():
    import tensorflow as tf

    model = _model(aux=(4, 4, 1))
    images = np.zeros((1, 4, 4, 3), np.int32)
    aux = tf.Variable(np.full((1, 4, 4, 1), 0.5, np.float32))
    with tf.GradientTape() as tape:
        s = model.image_condition_network(aux)
        outputs = model.network(
            model.scale_images(images), spatial_condition=s
        )  # logits of every sub-pixel
        total = tf.reduce_sum(outputs[:, 0, 0])  # the first pixel
    gradient = tape.gradient(total, aux).numpy()[0, :, :, 0]
    assert np.abs(gradient[1, 1]) > 0  # sees x̂ below-right of itself
    a, b = (
        model.log_prob(images, condition=_aux(1, (4, 4, 1), 1)),
        model.log_prob(images, condition=_aux(1, (4, 4, 1), 2)),
    )
    assert abs(float(a[0] - b[0])) > 1e-6


@pytest.mark.parametrize("channels", [1, 3])
def test_cached_sampling_equals_naive(channels):
    model = _model(shape=(4, 4, channels))
    aux = _aux(3)
    cached = tpc.sample(model, condition=aux, seed=(4, 5), method="cached", jit_compile=False)
    naive = tpc.sample(model, condition=aux, seed=(4, 5), method="naive")
    np.testing.assert_array_equal(cached.numpy(), naive.numpy())


def test_keras_round_trip_and_mixture_output():
    model = _model(num_levels=256, num_mixture_components=2)
    images = np.random.default_rng(3).integers(0, 256, (2, 4, 4, 3)).astype(np.int32)
    loaded = test_case.keras_round_trip(model)
    assert loaded.condition_image_shape == (2, 2, 1)
    np.testing.assert_allclose(
        loaded.log_prob(images, condition=_aux()),
        model.log_prob(images, condition=_aux()),
        rtol=1e-6,
    )


def test_bad_auxiliary_images_and_combinations_are_named(tmp_path):
    model = _model()
    with pytest.raises(
        ValueError, match=r"integer images \[batch, 2, 2, 1\].*shape=\(2, 3, 3, 1\)"
    ):
        model.log_prob(np.zeros((2, 4, 4, 3), np.int32), condition=_aux(shape=(3, 3, 1)))
    with pytest.raises(Exception, match="condition image values must be in"):
        model.log_prob(np.zeros((2, 4, 4, 3), np.int32), condition=_aux() + 16)
    with pytest.raises(ValueError, match="needs condition="):
        model.log_prob(np.zeros((2, 4, 4, 3), np.int32))
    with pytest.raises(ValueError, match="not with num_classes"):
        _model(num_classes=3)


@pytest.mark.parametrize("kind", [tpc.GatedPixelCNN, tpc.PixelCNN])
def test_condition_network_depth_and_width(kind):
    model = _model(kind, condition_image_hidden_filters=5, condition_image_layers_per_resolution=2)
    network = model.image_condition_network
    assert network is model.condition_network  # the attribute saved files know
    assert (network.hidden_filters, network.layers_per_resolution) == (5, 2)
    assert sum(len(w.shape) == 4 for w in network.weights) == 7  # 2 + down + 2 + up + output
    config = model.get_config()
    assert config["condition_image_hidden_filters"] == 5
    assert config["condition_image_layers_per_resolution"] == 2
    loaded = test_case.keras_round_trip(model)
    images = np.random.default_rng(0).integers(0, 4, (2, 4, 4, 3)).astype(np.int32)
    np.testing.assert_array_equal(loaded(images, _aux()), model(images, _aux()))
    default = _model(kind).image_condition_network
    assert (default.hidden_filters, default.layers_per_resolution) == (32, 1)


def test_auxiliary_variable_models_pass_the_condition_network_shape_on():
    grayscale = tpc.GrayscalePixelCNN(
        (4, 4, 3), num_levels=8, grayscale_levels=4, num_layers=1, filters=6,
        grayscale_num_layers=1, grayscale_filters=4, kernel_size=3, num_mixture_components=2,
        condition_filters=2, condition_hidden_filters=3, condition_layers_per_resolution=2,
    )  # fmt: skip
    pyramid = tpc.PyramidPixelCNN(
        (4, 4, 1), num_levels=8, num_resolutions=2, base_num_layers=1, base_filters=4,
        num_layers=1, filters=4, kernel_size=3, num_mixture_components=2, condition_filters=2,
        condition_hidden_filters=3, condition_layers_per_resolution=2,
    )  # fmt: skip
    for model, conditioned in ((grayscale, grayscale.colour_model), (pyramid, pyramid.levels[1])):
        network = conditioned.image_condition_network
        assert (network.hidden_filters, network.layers_per_resolution) == (3, 2)
        clone = type(model).from_config(model.get_config())
        assert clone.get_config() == model.get_config()
        assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
