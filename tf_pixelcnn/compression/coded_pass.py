"""The cached sampler's incremental pass with every value provided by Python.

Compression runs the pass teacher-forced (the handler returns the true values and hands
each step's probability table to the entropy encoder); decompression runs the very same
compiled graph with a handler that decodes each value from the table of its step. So both
see bit-identical network outputs: the same operations, shapes and inputs, one
`tf.numpy_function` per step (per sub-pixel for softmax outputs, per pixel for logistic
mixtures). Every step's network outputs depend on the value the previous step returned,
so the handler is called in raster order, R then G then B.
"""

import threading
import weakref
from typing import Optional

import numpy as np
import tensorflow as tf

from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.sampling.cached import cached_sample


class StepHandler:
    """Provides the value of every step of a pass (subclasses: `compression.handlers`)."""

    def subpixel(self, logits: np.ndarray, row: int, column: int, channel: int) -> np.ndarray:
        """Softmax outputs: `logits float32 [B, L]` -> `int32 [B]`."""
        raise NotImplementedError

    def pixel(self, params: np.ndarray, row: int, column: int) -> np.ndarray:
        """Logistic mixtures: `params float32 [B, P]` -> `int32 [B, C]`."""
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


class CodedPass:
    """One compiled pass of a `GatedPixelCNN` per model, for any handler and batch.

    The batch is left unknown in the traced graph (`input_signature`), so every call, in
    any process, runs the same graph.
    """

    def __init__(self, model: GatedPixelCNN):
        self._model = weakref.ref(model)
        self._handler: Optional[StepHandler] = None
        self._lock = threading.Lock()
        self._error: Optional[BaseException] = None
        height, width, channels = model.image_shape
        self._mixture = bool(model.num_mixture_components)
        stream_channels = channels + 1 if self._mixture else channels
        uniform_spec = tf.TensorSpec([None, height, width, stream_channels], tf.float32)
        spec = condition_spec(model)
        if spec is None:
            self._function = tf.function(
                lambda uniform: self._run(uniform, None), input_signature=[uniform_spec]
            )
        else:
            self._function = tf.function(self._run, input_signature=[uniform_spec, spec])
        self._stream_shape = (height, width, stream_channels)

    def _call(self, method, *args):
        try:
            return np.asarray(getattr(self._handler, method)(*args), np.int32)
        except BaseException as error:  # re-raised by `run`, not as a wrapped op error
            self._error = error
            raise

    def _run(self, uniform, condition):
        model = self._model()
        channels = model.image_shape[2]

        def subpixel(logits, u, row, column, channel):
            del u
            value = tf.numpy_function(
                lambda l, r, c: self._call("subpixel", l, int(r), int(c), channel),
                [logits, row, column],
                tf.int32,
                stateful=True,
            )
            return tf.ensure_shape(value, logits.shape[:1])

        def pixel(params, u, row, column):
            del u
            values = tf.numpy_function(
                lambda p, r, c: self._call("pixel", p, int(r), int(c)),
                [params, row, column],
                tf.int32,
                stateful=True,
            )
            return tf.ensure_shape(values, [params.shape[0], channels])

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


def coded_pass(model: GatedPixelCNN) -> CodedPass:
    """The `CodedPass` of `model` (traced once, kept while the model lives)."""
    if model not in _passes:
        _passes[model] = CodedPass(model)
    return _passes[model]
