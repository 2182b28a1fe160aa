"""The cached sampler's incremental pass with every value provided by Python.

Compression runs the pass teacher-forced (the handler returns the true values and hands
each sub-pixel's probability table to the entropy encoder); decompression runs the very
same compiled graph with a handler that decodes each value from its table. So both see
bit-identical tables: the same operations, shapes and inputs. The tables are computed in
the graph by the model's `pixel_distribution`, as unnormalised probabilities
`float32 [B, L]`:

- softmax outputs: `Categorical.coder_table`, exp(logits − max) of the sub-pixel;
- logistic mixtures: `LogisticMixture.coded_pixel`, channel c of a pixel given the
  channels before it (the exact conditionals of `LogisticMixture.log_prob`);
- with `grayscale_levels` (the Grayscale PixelCNN's colour model, conditioned on x̂): the
  same restricted to the channel's interval given x̂ (`grayscale_levels.channel_bounds`),
  `TruncatedLogisticMixture.coded_pixel` — values outside it get no mass.

Then one `tf.numpy_function` per sub-pixel hands the table to the handler and returns
its value (the pass's value choice is a `sampling.value_choice.Callback`). Every table
depends on the values returned before it, so the handler is called in raster order, R
then G then B.
"""

import threading
import weakref
from typing import Optional

import numpy as np
import tensorflow as tf

from tf_pixelcnn import grayscale_levels as grayscale_lib
from tf_pixelcnn.distributions.truncated_logistic_mixture import TruncatedLogisticMixture
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.sampling import compiled
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.value_choice import Callback
from tf_pixelcnn.sampling.sampler_function import SamplerFunction


class StepHandler:
    """Provides the value of every sub-pixel of a pass (`compression.handlers`)."""

    def subpixel(self, table: np.ndarray, row: int, column: int, channel: int):
        """`table float32 [B, L]` (unnormalised probabilities) -> `int32 [B]`."""
        raise NotImplementedError


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
        height, width, _ = model.image_shape
        distribution = model.pixel_distribution
        if grayscale_levels is not None:
            distribution = TruncatedLogisticMixture(distribution)
        self._distribution = distribution
        self._stream_shape = distribution.stream_shape(height, width)  # shapes only
        uniform_spec = tf.TensorSpec([None, *self._stream_shape], tf.float32)
        spec = model.condition_spec.tensor_spec  # the condition's canonical dtype and shape
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
        model, distribution = self._model(), self._distribution
        bounds = None
        if self._grayscale_levels is not None:  # x̂ restricts each channel's interval

            def bounds(row, column):
                grayscale = condition[:, row, column, 0]  # x̂ of the pixel, (B,)
                return lambda earlier: grayscale_lib.channel_bounds(
                    grayscale, earlier, distribution.num_levels, self._grayscale_levels
                )

        choice = Callback(self._value, bounds)  # every value from the handler
        return cached_sample(model, uniform, condition, **choice.hooks(distribution))

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


def coded_pass(model: GatedPixelCNN, grayscale_levels: Optional[int] = None) -> CodedPass:
    """The `CodedPass` of `model` (traced once, kept while the model lives, in the
    samplers' compile cache: `sampling.compiled`)."""
    key = ("coded_pass", grayscale_levels)
    return compiled.cached(model, key, lambda: CodedPass(model, grayscale_levels))
