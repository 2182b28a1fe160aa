"""The value choice per step (`sampling.value_choice`): each choice's hooks — a random
draw is the distribution's draw, teacher forcing returns the given values, a callback
sees every step's coder table in raster order."""

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.naive import naive_sample_mixture
from tf_pixelcnn.sampling.value_choice import Callback, RandomDraw, TeacherForced

SOFTMAX = dict(num_levels=8)
MIXTURE = dict(num_levels=32, num_mixture_components=2)


def _model(**kwargs):
    model = tpc.GatedPixelCNN((3, 4, 3), num_layers=2, filters=6, kernel_size=3, **kwargs)
    sharpen_output(model, scale=2.0)
    return model


def _stream(model, batch=3, seed=(1, 2)):
    height, width, _ = model.image_shape
    seeds = random_stream.per_image_seeds(seed, batch)
    return random_stream.uniform_noise(seeds, model.pixel_distribution.stream_shape(height, width))


def _images(model, batch=3, seed=0):
    shape = (batch, *model.image_shape)
    return np.random.default_rng(seed).integers(0, model.num_levels, shape).astype(np.int32)


def test_random_draw_hooks_are_the_distributions_draw():
    rng = np.random.default_rng(0)
    softmax = _model(**SOFTMAX).pixel_distribution
    logits = tf.constant(rng.normal(0, 2, (5, 8)), tf.float32)
    u = tf.constant(rng.uniform(size=5), tf.float32)
    for temperature in (1.0, 0.3):
        hook = RandomDraw(temperature).hooks(softmax)
        assert hook["draw_pixel"] is None
        np.testing.assert_array_equal(
            hook["draw_subpixel"](logits, u, 0, 1, 2), softmax.draw(logits, u, temperature)
        )
    mixture = _model(**MIXTURE).pixel_distribution
    params = tf.constant(rng.normal(0, 1, (5, mixture.outputs_per_group)), tf.float32)
    u = tf.constant(rng.uniform(size=(5, 4)), tf.float32)
    for reduction, mode in ((0.0, "sample"), (1.0, "sample"), (0.0, "map")):
        hook = RandomDraw(log_scale_reduction=reduction, mixture_mode=mode).hooks(mixture)
        assert hook["draw_subpixel"] is None
        drawn = hook["draw_pixel"](params, u, 0, 1)
        np.testing.assert_array_equal(drawn, mixture.draw(params, u, reduction, mode))
    # MAP is a choice too: another value than the draw somewhere.
    map_pixel = RandomDraw(mixture_mode="map").draw_pixel(mixture)(params, u, 0, 1)
    assert not np.array_equal(map_pixel, mixture.draw(params, u))


@pytest.mark.parametrize("kwargs", [SOFTMAX, MIXTURE], ids=["softmax", "mixture"])
def test_a_random_draw_samples_as_the_samplers_did(kwargs):
    model = _model(**kwargs)
    uniform = _stream(model)
    hooks = RandomDraw().hooks(model.pixel_distribution)
    np.testing.assert_array_equal(
        cached_sample(model, uniform, **hooks), cached_sample(model, uniform)
    )


@pytest.mark.parametrize("kwargs", [SOFTMAX, MIXTURE], ids=["softmax", "mixture"])
def test_teacher_forcing_returns_the_given_values(kwargs):
    model = _model(**kwargs)
    images, uniform = _images(model), _stream(model)
    everything = TeacherForced(images).hooks(model.pixel_distribution)
    np.testing.assert_array_equal(cached_sample(model, uniform, **everything), images)
    # The first row known: it is given, the rest drawn given it; nothing known: a draw.
    first_row = TeacherForced(images, known=lambda row, column: row < 1)
    forced = cached_sample(model, uniform, **first_row.hooks(model.pixel_distribution))
    np.testing.assert_array_equal(forced[:, :1], images[:, :1])
    assert not np.array_equal(forced[:, 1:], images[:, 1:])
    nothing = TeacherForced(images, known=lambda row, column: tf.zeros([3], tf.bool))
    np.testing.assert_array_equal(
        cached_sample(model, uniform, **nothing.hooks(model.pixel_distribution)),
        cached_sample(model, uniform),
    )


def test_teacher_forcing_with_values_by_pixel_in_the_naive_sampler():
    model = _model(**MIXTURE)
    images, uniform = _images(model), _stream(model)
    choice = TeacherForced(
        lambda row, column: tf.gather(tf.gather(images, row, axis=1), column, axis=1),
        known=lambda row, column: column % 2 == 0,  # every image: a scalar
    )
    hooks = choice.hooks(model.pixel_distribution)
    naive = naive_sample_mixture(model, uniform, draw_pixel=hooks["draw_pixel"])
    np.testing.assert_array_equal(naive[:, :, ::2], images[:, :, ::2])
    np.testing.assert_array_equal(naive, cached_sample(model, uniform, **hooks))


@pytest.mark.parametrize("kwargs", [SOFTMAX, MIXTURE], ids=["softmax", "mixture"])
def test_a_callback_sees_every_table_in_raster_order(kwargs):
    model = _model(**kwargs)
    images = _images(model, batch=2)
    height, width, channels = model.image_shape
    seen = []

    def value(table, row, column, channel):
        def record(table, row, column, channel):
            seen.append((int(row), int(column), int(channel), table))
            return images[:, row, column, channel]

        out = tf.numpy_function(
            record, [table, row, column, tf.constant(channel)], tf.int32, stateful=True
        )
        return tf.ensure_shape(out, table.shape[:1])

    hooks = Callback(value).hooks(model.pixel_distribution)
    uniform = tf.zeros([2, *model.pixel_distribution.stream_shape(height, width)])
    returned = tf.function(lambda u: cached_sample(model, u, **hooks))(uniform)
    np.testing.assert_array_equal(returned, images)
    raster = [(r, c, k) for r in range(height) for c in range(width) for k in range(channels)]
    assert [step[:3] for step in seen] == raster
    # The tables are the distribution's along the given images (softmax: its coder table
    # of the full network's logits).
    tables = np.stack([step[3] for step in seen], axis=1)  # (B, steps, L)
    assert tables.shape == (2, len(raster), model.num_levels) and (tables >= 0).all()
    if not model.pixel_distribution.whole_pixel:
        logits = model(images, training=False)
        expected = model.pixel_distribution.coder_table(logits).numpy()
        np.testing.assert_allclose(tables, expected.reshape(2, -1, 8), rtol=1e-4, atol=1e-5)
