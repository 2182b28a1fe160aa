"""`tpc.sample` is fast by default (issue 18 item 4): the cached sampler compiles with XLA
unless `jit_compile=False` asks for the non-XLA graph (the bit-exact reference), falls back
to that graph where XLA cannot compile, and draws the reference's images except where XLA
rounds a logit differently in the last bit next to a bin edge of the inverse CDF."""

import importlib
import warnings

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.cached import cached_sample

# The module (`tf_pixelcnn.sampling.sample` is also the name of its function).
sample_module = importlib.import_module("tf_pixelcnn.sampling.sample")

# How close to a bin edge of the inverse CDF a uniform number must lie for a last-bit
# difference of the logits (about 1e-7 relative) to move the drawn level.
EDGE_TOLERANCE = 1e-5


def _model(**kwargs):
    model = tpc.GatedPixelCNN((4, 4, 3), num_layers=2, filters=8, kernel_size=3, **kwargs)
    sharpen_output(model, scale=2.0)
    return model


def _spy_on_jit(monkeypatch):
    """The `jit_compile` of every compiled sampler `tpc.sample` builds or reuses."""
    seen = []
    for name in ("_compiled_sampler", "_compiled_mixture_sampler"):
        original = getattr(sample_module, name)

        def spy(*args, original=original):
            seen.append(args[-1])
            return original(*args)

        monkeypatch.setattr(sample_module, name, spy)
    return seen


def _unexplained_differences(images, reference, uniform, reference_logits):
    """Images of `images` that differ from `reference` other than by last-bit rounding.

    Image b may differ from sub-pixel (i, j, c) on, the first where they differ, only if
    the reference's uniform number there lies within `EDGE_TOLERANCE` of a bin edge of
    the reference's CDF (after it, the contexts differ and so may the images)."""
    unexplained = []
    for b in range(images.shape[0]):
        differs = np.argwhere(images[b] != reference[b])
        if not len(differs):
            continue
        i, j, c = differs[0]  # argwhere is in raster order, R, G, B within a pixel
        logits = reference_logits[b, i, j, c].astype(np.float64)
        cdf = np.cumsum(np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum())
        if np.min(np.abs(cdf[:-1] - uniform[b, i, j, c])) >= EDGE_TOLERANCE:
            unexplained.append((b, i, j, c))
    return unexplained


def test_default_path_compiles_the_cached_sampler_with_xla(monkeypatch):
    seen = _spy_on_jit(monkeypatch)
    model = _model(num_levels=16)
    tpc.sample(model, num_samples=2, seed=(1, 2))
    assert seen == [True]
    tpc.sample(model, num_samples=2, seed=(1, 2), jit_compile=False)
    assert seen == [True, False]
    tpc.sample(model, num_samples=2, seed=(1, 2), method="naive")  # the reference
    assert seen == [True, False, False]
    mixture = _model(num_levels=32, num_mixture_components=2)
    tpc.sample(mixture, num_samples=2, seed=(1, 2))
    assert seen[-1] is True


def test_default_path_images_are_the_references_but_for_last_bit_rounding():
    model = _model(num_levels=16, num_classes=3)
    labels = np.arange(24, dtype=np.int32) % 3
    seeds = random_stream.per_image_seeds((4, 7), 24)
    uniform = random_stream.uniform_noise(seeds, model.image_shape)
    default = tpc.sample(model, condition=labels, seed=seeds).numpy()
    reference = tpc.sample(model, condition=labels, seed=seeds, jit_compile=False).numpy()

    def draw(u):
        return cached_sample(model, u, labels, 1.0, return_logits=True)

    reference_images, reference_logits = tf.function(draw)(uniform)
    xla_images, xla_logits = tf.function(draw, jit_compile=True)(uniform)
    np.testing.assert_array_equal(reference_images, reference)
    np.testing.assert_array_equal(xla_images, default)
    same = np.all(default == reference, axis=(1, 2, 3))
    np.testing.assert_allclose(
        xla_logits.numpy()[same], reference_logits.numpy()[same], rtol=1e-5, atol=1e-5
    )
    assert same.mean() >= 0.9, same
    args = (reference, uniform.numpy(), reference_logits.numpy())
    assert _unexplained_differences(default, *args) == []
    # The check can fail: a level moved where the uniform is far from every bin edge.
    logits = reference_logits.numpy()[0, 1, 2, 0].astype(np.float64)
    cdf = np.cumsum(np.exp(logits) / np.exp(logits).sum())
    assert np.min(np.abs(cdf[:-1] - uniform[0, 1, 2, 0])) >= EDGE_TOLERANCE
    moved = reference.copy()
    moved[0, 1, 2, 0] = (moved[0, 1, 2, 0] + 1) % 16
    assert _unexplained_differences(moved, *args) == [(0, 1, 2, 0)]


def test_default_path_of_a_mixture_model_is_the_references():
    """A logistic mixture draws a whole pixel from 1 + C uniforms; for these seeds no
    uniform lies at a bin edge, so the images agree exactly."""
    model = _model(num_levels=32, num_mixture_components=2)
    seeds = random_stream.per_image_seeds((2, 5), 8)
    for kwargs in ({}, {"mixture_mode": "map"}, {"log_scale_reduction": 0.5}):
        np.testing.assert_array_equal(
            tpc.sample(model, seed=seeds, **kwargs),
            tpc.sample(model, seed=seeds, jit_compile=False, **kwargs),
        )


def _without_xla_kernel(sampler):
    """`sampler` followed by an op XLA cannot compile (a Python function)."""

    def wrapped(model, uniform, condition, temperature):
        images = sampler(model, uniform, condition, temperature)
        passed = tf.numpy_function(lambda x: x, [images], tf.int32, stateful=False)
        return tf.ensure_shape(passed, images.shape)

    return wrapped


def test_falls_back_to_the_graph_with_a_warning_where_xla_cannot_compile(monkeypatch):
    monkeypatch.setitem(sample_module.SAMPLERS, "cached", _without_xla_kernel(cached_sample))
    seen = _spy_on_jit(monkeypatch)
    model = _model(num_levels=16)
    with pytest.raises(tf.errors.OpError):
        tpc.sample(model, num_samples=2, seed=(1, 2), jit_compile=True)  # asked: no fallback
    reference = tpc.sample(model, num_samples=2, seed=(1, 2), jit_compile=False)
    del seen[:]
    with pytest.warns(RuntimeWarning, match="XLA could not compile the cached sampler"):
        images = tpc.sample(model, num_samples=2, seed=(1, 2))
    np.testing.assert_array_equal(images, reference)
    assert seen == [True, False]
    del seen[:]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once: later calls go straight to the graph
        np.testing.assert_array_equal(tpc.sample(model, num_samples=2, seed=(1, 2)), reference)
    assert seen == [False]


def test_an_error_of_both_paths_reaches_the_caller_and_xla_is_kept(monkeypatch):
    def failing(model, uniform, condition, temperature):
        def refuse(x):
            raise ValueError("refused by the sampler")

        images = cached_sample(model, uniform, condition, temperature)
        return tf.ensure_shape(tf.numpy_function(refuse, [images], tf.int32), images.shape)

    monkeypatch.setitem(sample_module.SAMPLERS, "cached", failing)
    model = _model(num_levels=16)
    with pytest.raises(tf.errors.OpError, match="refused by the sampler"):
        tpc.sample(model, num_samples=2, seed=(1, 2))
    fallback = sample_module._compiled[model][("xla_or_reference", "cached")]
    assert fallback.uses_xla
