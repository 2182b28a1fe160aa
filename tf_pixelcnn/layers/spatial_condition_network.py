"""The deconvolutional network m(h) of location-dependent conditioning."""

import math

import keras
import tensorflow as tf

from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.numbered_layers import numbered_layers
from tf_pixelcnn.layers.numbered_layers import set_numbered_layers


def default_num_resamplings(height: int, width: int) -> int:
    """Stride-2 steps between an image and a coarse map at least 2×2: at most 3."""
    smallest = max(min(height, width), 1)
    return int(min(3, max(0, math.floor(math.log2(smallest / 2)))))


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class SpatialConditionNetwork(keras.layers.Layer):
    """Maps a condition vector h to a spatial map s = m(h) the size of the image.

    A dense layer makes a coarse `[h0, w0, filters]` map, then stride-2 transposed
    convolutions double it up to `num_upsamplings` times, and the result is cropped to
    `[height, width]`. Each gated layer adds `V * s` (a 1×1 convolution) to its
    pre-activations.

    Args:
        height: Output height H.
        width: Output width W.
        filters: Channels S of the output map.
        num_upsamplings: Stride-2 transposed convolutions; by default as many as keep the
            coarse map at least 2×2, at most 3.

    Input: `[batch, condition_dim]`. Output: `[batch, height, width, filters]`.

    Example:
        >>> m = SpatialConditionNetwork(height=32, width=32, filters=16)
        >>> m(tf.zeros([4, 10])).shape
        TensorShape([4, 32, 32, 16])

    References:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        §2.3, eq. 5.
    """

    def __init__(self, height: int, width: int, filters: int, num_upsamplings=None, **kwargs):
        super().__init__(**kwargs)
        if num_upsamplings is None:
            num_upsamplings = default_num_resamplings(height, width)
        self.height = height
        self.width = width
        self.filters = filters
        self.num_upsamplings = num_upsamplings
        scale = 2**num_upsamplings
        self.coarse_height = -(-height // scale)
        self.coarse_width = -(-width // scale)
        self.dense = keras.layers.Dense(
            self.coarse_height * self.coarse_width * filters, name="dense", dtype=self.dtype_policy
        )
        set_numbered_layers(
            self,
            "deconv",
            [
                keras.layers.Conv2DTranspose(
                    filters,
                    4,
                    strides=2,
                    padding="same",
                    name=f"deconv_{i}",
                    dtype=self.dtype_policy,
                )
                for i in range(num_upsamplings)
            ],
        )

    @property
    def deconvolutions(self):
        return numbered_layers(self, "deconv", self.num_upsamplings)

    def build(self, input_shape):
        build_once(self.dense, input_shape)
        for deconvolution in self.deconvolutions:
            build_once(deconvolution, (None, None, None, self.filters))
        self.built = True

    def call(self, condition):
        x = self.dense(condition)
        x = tf.reshape(x, [-1, self.coarse_height, self.coarse_width, self.filters])
        for deconvolution in self.deconvolutions:
            x = deconvolution(tf.nn.relu(x))  # spatial size doubles
        return x[:, : self.height, : self.width, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            height=self.height,
            width=self.width,
            filters=self.filters,
            num_upsamplings=self.num_upsamplings,
        )
        return config
