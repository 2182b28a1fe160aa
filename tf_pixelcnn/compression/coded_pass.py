"""The cached sampler's incremental pass with every value provided by Python.

Compression runs the pass teacher-forced (the handler returns the true values and hands
each sub-pixel's probability table to the entropy encoder); decompression runs the very
same compiled graph with a handler that decodes each value from its table. So both see
bit-identical tables: the same operations, shapes and inputs. The tables are computed in
the graph, as unnormalised probabilities `float32 [B, L]`:

- softmax outputs: exp(logits − max) of the sub-pixel;
- logistic mixtures: channel c of a pixel given the channels before it,
  Σ_k w_k P_k(v | x_<c), with the component posterior w after the earlier channels and
  P_k the discretized logistic with the coupled mean (`bin_masses`) — the product over
  channels is `logistic_mixture.pixel_log_prob`;
- with `grayscale_levels` (the Grayscale PixelCNN's colour model, conditioned on x̂): the
  same restricted to the channel's interval given x̂ (`grayscale_levels.channel_bounds`),
  as `truncated_logistic_mixture` — values outside it get no mass.

Then one `tf.numpy_function` per sub-pixel hands the table to the handler and returns
its value. Every table depends on the values returned before it, so the handler is
called in raster order, R then G then B.
"""

import threading
import weakref
from typing import Optional

import numpy as np
import tensorflow as tf

from tf_pixelcnn import grayscale_levels as grayscale_lib
from tf_pixelcnn.distributions import logistic_mixture
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.sampler_function import SamplerFunction


class StepHandler:
    """Provides the value of every sub-pixel of a pass (`compression.handlers`)."""

    def subpixel(self, table: np.ndarray, row: int, column: int, channel: int):
        """`table float32 [B, L]` (unnormalised probabilities) -> `int32 [B]`."""
        raise NotImplementedError


def condition_spec(model: GatedPixelCNN) -> Optional[tf.TensorSpec]:
    """The canonical dtype and shape of the condition of `model` (None: unconditional)."""
    if model.condition_image_shape is not None:
        return tf.TensorSpec([None, *model.condition_image_shape], tf.int32)
    if model.num_classes is not None:
        return tf.TensorSpec([None], tf.int32)
    if model.condition_dim is not None:
        return tf.TensorSpec([None, model.condition_dim], tf.float32)
    return None


def bin_masses(means, log_scales, num_levels: int) -> tf.Tensor:
    """P(v) for every value v of discretized logistics, `float32 [..., L]` (edge bins open).

    P(v) = σ(z_{v+1}) − σ(z_v) over the bin's scaled edges z (z_0 = −∞, z_L = +∞). A bin
    below the mean takes the difference of two small CDF values, a bin above it the
    difference of two small survival values σ(−z), so no bin loses its relative precision
    to cancellation; one exp per edge (the sampler's cost, not a log-space table's).

    Args:
        means, log_scales: `[B, K]`.
    """
    edges = tf.range(1, num_levels, dtype=tf.float32) * (2.0 / (num_levels - 1))
    edges = edges - 1.0 - 1.0 / (num_levels - 1)  # (L − 1,): between bins v − 1 and v
    z = (edges - means[..., None]) * tf.exp(-log_scales)[..., None]  # (B, K, L − 1)
    z = tf.pad(z, [[0, 0], [0, 0], [1, 1]])  # (B, K, L + 1); the ends: below
    first = tf.one_hot(0, num_levels + 1, on_value=-np.inf, off_value=0.0)
    last = tf.one_hot(num_levels, num_levels + 1, on_value=np.inf, off_value=0.0)
    z = z + first + last  # z_0 = −∞, z_L = +∞
    small = tf.exp(-tf.abs(z))
    large = 1.0 / (1.0 + small)  # max(σ(z), σ(−z))
    small = small * large  # min(σ(z), σ(−z)): σ(z) below the mean, σ(−z) above
    left, right = z[..., :-1], z[..., 1:]
    below = small[..., 1:] - small[..., :-1]  # both edges below the mean: Δ CDF
    above = small[..., :-1] - small[..., 1:]  # both above: Δ survival
    straddling = large[..., 1:] - small[..., :-1]  # σ(z_{v+1}) − σ(z_v), z_v < 0 ≤ z_{v+1}
    masses = tf.where(right < 0, below, tf.where(left >= 0, above, straddling))
    return tf.maximum(masses, 0.0)


def mixture_pixel(params, num_components, channels, num_levels, value_of, bounds=None):
    """A pixel's channels one after the other from their exact conditional tables.

    Args:
        params: `[B, P]` mixture parameters.
        value_of: `value_of(channel, table [B, L]) -> int32 [B]`.
        bounds: `bounds(earlier_values) -> (low, high)` int `[B]`, or None.

    Returns:
        `int32 [B, C]`.
    """
    logits, means, log_scales, coupling = logistic_mixture.split_parameters(
        params, num_components, channels
    )
    log_weights = tf.nn.log_softmax(logits, axis=-1)  # (B, K)
    every_value = tf.range(num_levels, dtype=tf.int32)  # (L,)
    values, scaled, pair = [], [], 0
    for c in range(channels):
        mean = means[..., c]  # (B, K)
        for j in range(c):
            mean = mean + coupling[..., pair] * scaled[j][..., None]
            pair += 1
        masses = bin_masses(mean, log_scales[..., c], num_levels)  # P_k(v | x_<c): (B, K, L)
        weights = tf.exp(log_weights - tf.reduce_max(log_weights, axis=-1, keepdims=True))
        table = tf.matmul(weights[:, None, :], masses)[:, 0]  # (B, L) ∝ p(v | x_<c)
        if bounds is not None:
            low, high = bounds(values)
            outside = tf.logical_or(
                every_value < low[..., None], every_value > high[..., None]
            )
            table = tf.where(outside, 0.0, table)
            # Every allowed value underflowed (far in every component's tail): uniform
            # over the interval, the same way both directions.
            empty = tf.reduce_sum(table, axis=-1, keepdims=True) <= 0.0
            table = tf.where(empty, tf.cast(tf.logical_not(outside), tf.float32), table)
        value = value_of(c, table)  # (B,)
        # The posterior over components given x_≤c (floored: a value in the far tail of
        # every component leaves the weights as they were, the same way both directions).
        mass = tf.gather(masses, value, axis=-1, batch_dims=1)  # (B, K)
        log_weights = log_weights + tf.math.log(tf.maximum(mass, 1e-37))
        values.append(value)
        scaled.append(logistic_mixture.scale_values(value, num_levels))
    return tf.stack(values, axis=-1)


class CodedPass:
    """One compiled pass of a `GatedPixelCNN`, for any handler and batch.

    The batch is left unknown in the traced graph (`input_signature`), so every call, in
    any process, runs the same graph.

    Args:
        model: a `GatedPixelCNN`.
        grayscale_levels: the colour model of a `GrayscalePixelCNN` (its condition is x̂):
            restrict each channel to the values consistent with x̂ (levels of x̂).
    """

    def __init__(self, model: GatedPixelCNN, grayscale_levels: Optional[int] = None):
        self._model = weakref.ref(model)
        self._grayscale_levels = grayscale_levels
        self._handler: Optional[StepHandler] = None
        self._error: Optional[BaseException] = None
        self._lock = threading.Lock()
        height, width, channels = model.image_shape
        self._mixture = bool(model.num_mixture_components)
        stream_channels = channels + 1 if self._mixture else channels
        self._stream_shape = (height, width, stream_channels)
        uniform_spec = tf.TensorSpec([None, *self._stream_shape], tf.float32)
        spec = condition_spec(model)
        if spec is None:
            self._function = SamplerFunction(
                lambda uniform: self._run(uniform, None), input_signature=[uniform_spec]
            )
        else:
            self._function = SamplerFunction(self._run, input_signature=[uniform_spec, spec])

    def _call(self, table, row, column, channel):
        try:
            values = self._handler.subpixel(table, int(row), int(column), int(channel))
            return np.asarray(values, np.int32)
        except BaseException as error:  # re-raised by `run`, not as a wrapped op error
            self._error = error
            raise

    def _value(self, table, row, column, channel):
        value = tf.numpy_function(
            self._call, [table, row, column, tf.constant(channel)], tf.int32, stateful=True
        )
        return tf.ensure_shape(value, table.shape[:1])

    def _run(self, uniform, condition):
        model = self._model()
        channels, levels = model.image_shape[2], model.num_levels

        def subpixel(logits, u, row, column, channel):
            del u
            table = tf.exp(logits - tf.reduce_max(logits, axis=-1, keepdims=True))  # (B, L)
            return self._value(table, row, column, channel)

        def pixel(params, u, row, column):
            del u
            bounds = None
            if self._grayscale_levels is not None:
                grayscale = condition[:, row, column, 0]  # x̂ of the pixel, (B,)
                bounds = lambda earlier: grayscale_lib.channel_bounds(  # noqa: E731
                    grayscale, earlier, levels, self._grayscale_levels
                )
            return mixture_pixel(
                params, model.num_mixture_components, channels, levels,
                lambda c, table: self._value(table, row, column, c), bounds,
            )  # fmt: skip

        return cached_sample(
            model,
            uniform,
            condition,
            draw_pixel=pixel if self._mixture else None,
            draw_subpixel=None if self._mixture else subpixel,
        )

    def run(self, handler: StepHandler, batch: int, condition=None) -> np.ndarray:
        """Runs the pass with `handler`; returns the values it provided, `int32 [B, H, W, C]`."""
        uniform = tf.zeros([batch, *self._stream_shape], tf.float32)  # unused: shapes only
        with self._lock:
            self._handler, self._error = handler, None
            try:
                if condition is None:
                    images = self._function(uniform)
                else:
                    images = self._function(uniform, condition)
            except tf.errors.OpError:
                if self._error is not None:
                    raise self._error
                raise
            finally:
                self._handler = None
        return images.numpy()


_passes = weakref.WeakKeyDictionary()


def coded_pass(model: GatedPixelCNN, grayscale_levels: Optional[int] = None) -> CodedPass:
    """The `CodedPass` of `model` (traced once, kept while the model lives)."""
    per_model = _passes.setdefault(model, {})
    if grayscale_levels not in per_model:
        per_model[grayscale_levels] = CodedPass(model, grayscale_levels)
    return per_model[grayscale_levels]
