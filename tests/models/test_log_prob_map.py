"""`log_prob_map` (log p of every pixel, `[B, H, W]`) and `auxiliary_picture` (x̂ drawn like
x) of every model kind: the map sums to `log_prob` and puts each term at its pixel."""

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc

SMALL = {"num_layers": 2, "filters": 6, "kernel_size": 3}


def _images(shape, levels, batch=3, seed=0):
    return np.random.default_rng(seed).integers(0, levels, (batch, *shape)).astype(np.int32)


def _pyramid(quarters):
    return tpc.PyramidPixelCNN(
        (8, 4, 3), num_levels=16, num_resolutions=3, base_num_layers=1, base_filters=6,
        num_layers=1, filters=6, kernel_size=3, num_mixture_components=2, condition_filters=4,
        quarters=quarters,
    )  # fmt: skip


def _grayscale():
    return tpc.GrayscalePixelCNN(
        (4, 4, 3), num_levels=16, grayscale_levels=4, num_layers=1, filters=6,
        grayscale_num_layers=1, grayscale_filters=6, kernel_size=3, num_mixture_components=2,
        condition_filters=4,
    )  # fmt: skip


MODELS = {
    "gated_softmax": lambda: tpc.GatedPixelCNN((4, 4, 3), num_levels=4, **SMALL),
    "gated_mixture": lambda: tpc.GatedPixelCNN(
        (4, 4, 3), num_levels=4, num_mixture_components=2, **SMALL
    ),
    "pixel_cnn_class": lambda: tpc.PixelCNN((4, 4, 3), num_levels=4, num_classes=3, **SMALL),
    "autoencoder": lambda: tpc.PixelCNNAutoencoder(
        (4, 4, 3), bottleneck_dim=2, num_levels=4, encoder_filters=4, **SMALL
    ),
    "grayscale": _grayscale,
    "pyramid_raster": lambda: _pyramid("raster"),
    "pyramid_independent": lambda: _pyramid("independent"),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_map_sums_to_log_prob(name):
    model = MODELS[name]()
    images = _images(model.image_shape, model.num_levels)
    kwargs = {"condition": np.array([0, 2, 1])} if name == "pixel_cnn_class" else {}
    log_map = model.log_prob_map(images, **kwargs)
    assert log_map.shape == (3, *model.image_shape[:2]) and log_map.dtype == tf.float32
    assert np.all(log_map.numpy() < 0)  # every pixel carries information
    np.testing.assert_allclose(
        tf.reduce_sum(log_map, [1, 2]), model.log_prob(images, **kwargs), rtol=1e-5
    )


def test_the_softmax_map_is_each_pixels_sub_pixels_together():
    model = MODELS["gated_softmax"]()
    images = _images(model.image_shape, model.num_levels)
    np.testing.assert_allclose(
        model.log_prob_map(images), tf.reduce_sum(model.pixel_log_prob(images), -1), rtol=1e-6
    )


@pytest.mark.parametrize("quarters", ["raster", "independent"])
def test_the_pyramid_map_puts_each_level_at_its_pixels(quarters):
    model = _pyramid(quarters)
    images = _images(model.image_shape, model.num_levels)
    log_map = model.log_prob_map(images).numpy()
    # The 2×1 base: pixels (4r, 4c); the 8×4 top level: every pixel not both even.
    np.testing.assert_allclose(
        log_map[:, ::4, ::4], model.levels[0].log_prob_map(images[:, ::4, ::4]), rtol=1e-6
    )
    top = model.level_log_prob_map(2, images, images[:, ::2, ::2]).numpy()
    assert np.all(top[:, ::2, ::2] == 0)  # copied from the level below: no term here
    new = np.ones((8, 4), bool)
    new[::2, ::2] = False
    np.testing.assert_allclose(log_map[:, new], top[:, new], rtol=1e-6)
    # The middle level's new pixels: (2r, 2c) of the image, not multiples of 4 in both.
    middle = model.level_log_prob_map(1, images[:, ::2, ::2], images[:, ::4, ::4]).numpy()
    np.testing.assert_allclose(log_map[:, 2::4, ::2], middle[:, 1::2, :], rtol=1e-6)
    np.testing.assert_allclose(
        np.sum(log_map, (1, 2)), sum(model.factor_log_probs(images).values()), rtol=1e-5
    )


def test_the_grayscale_map_is_both_factors_per_pixel():
    model = _grayscale()
    images = _images(model.image_shape, model.num_levels)
    grayscale = model.auxiliary(images)
    colour = model.colour_log_prob_map(images, grayscale)
    np.testing.assert_allclose(
        model.log_prob_map(images),
        model.grayscale_model.log_prob_map(grayscale) + colour,
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        tf.reduce_sum(colour, [1, 2]), model.colour_log_prob(images, grayscale), rtol=1e-6
    )


def test_auxiliary_pictures():
    pyramid = _pyramid("raster")
    images = _images(pyramid.image_shape, pyramid.num_levels)
    picture = pyramid.auxiliary_picture(images).numpy()  # half resolution, each pixel 2×2
    np.testing.assert_array_equal(picture, images[:, ::2, ::2].repeat(2, 1).repeat(2, 2))
    grayscale = _grayscale()
    images = _images(grayscale.image_shape, grayscale.num_levels)
    picture = grayscale.auxiliary_picture(images).numpy()  # 4 levels → 0, 5, 10, 15, in RGB
    levels = grayscale.auxiliary(images).numpy()
    np.testing.assert_array_equal(picture, np.repeat(levels * 5, 3, axis=-1))
    assert picture.shape == images.shape and picture.dtype == np.int32
    for name in ("gated_softmax", "autoencoder"):  # no auxiliary variable
        model = MODELS[name]()
        assert model.auxiliary_picture(_images(model.image_shape, 4)) is None


def test_pyramid_auxiliary_picture_rejects_bad_images():
    model = _pyramid("raster")
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
        model.auxiliary_picture(np.zeros((1, 4, 4, 3), np.int32))
