"""The MSE convolutional auto-encoder: the baseline of the PixelCNN auto-encoder."""

from typing import Sequence

import keras
import tensorflow as tf

from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.conv_encoder import ConvEncoder
from tf_pixelcnn.layers.spatial_condition_network import (
    SpatialConditionNetwork,
    default_num_resamplings,
)


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class ConvAutoencoder(keras.Model):
    """Encoder → code h → deconvolutional decoder, trained on mean squared error.

    The same `ConvEncoder` as `PixelCNNAutoencoder`; the decoder is a dense layer and
    stride-2 transposed convolutions up to the image size, then a 3×3 convolution to the
    image channels. Images are compared in [-1, 1].

    Args:
        image_shape: `(height, width, channels)`.
        bottleneck_dim: m, the size of the code.
        num_levels: Values per sub-pixel of the integer images.
        filters: Channels of the encoder's first and the decoder's last layers.

    Example:
        >>> ae = ConvAutoencoder(image_shape=(8, 8, 1), bottleneck_dim=4, num_levels=17,
        ...                      filters=4)
        >>> ae.reconstruct(tf.zeros([2, 8, 8, 1], tf.int32)).shape
        TensorShape([2, 8, 8, 1])

    References:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        §3.4 (the MSE baseline of Fig. 6).
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        bottleneck_dim: int = 10,
        num_levels: int = 256,
        filters: int = 64,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.bottleneck_dim = bottleneck_dim
        self.num_levels = num_levels
        self.filters = filters
        height, width, channels = self.image_shape
        steps = default_num_resamplings(height, width)
        dtype = self.dtype_policy  # sub-layers follow the model's policy
        self.encoder = ConvEncoder(
            bottleneck_dim, filters, num_downsamplings=steps, name="encoder", dtype=dtype
        )
        self.decoder = SpatialConditionNetwork(
            height, width, filters, num_upsamplings=steps, name="decoder", dtype=dtype
        )
        self.to_image = keras.layers.Conv2D(
            channels, 3, padding="same", name="to_image", dtype=dtype
        )
        self.build()  # every shape is known: weights exist from construction on

    def build(self, input_shape=None):
        build_once(self.encoder, (None, *self.image_shape))
        build_once(self.decoder, (None, self.bottleneck_dim))
        build_once(self.to_image, (None, None, None, self.filters))
        self.built = True

    def build_from_config(self, config):
        self.build()

    def scale_images(self, images) -> tf.Tensor:
        return tf.cast(images, self.compute_dtype) * (2.0 / (self.num_levels - 1)) - 1.0

    def encode(self, images, training=False) -> tf.Tensor:
        """`[batch, bottleneck_dim]` code of integer images."""
        return self.encoder(self.scale_images(images), training=training)

    def decode(self, code, training=False) -> tf.Tensor:
        """Reconstruction in [-1, 1] scale, `float [batch, H, W, C]`."""
        return self.to_image(tf.nn.relu(self.decoder(code, training=training)))

    def call(self, images, training=False):
        return self.decode(self.encode(images, training), training)

    def loss_fn(self, images, training=False) -> tf.Tensor:
        """Mean squared error per image in the [-1, 1] scale, `float32 [batch]`."""
        error = tf.cast(self(images, training=training), tf.float32) - tf.cast(
            self.scale_images(images), tf.float32
        )
        return tf.reduce_mean(tf.square(error), axis=[1, 2, 3])

    def reconstruct(self, images) -> tf.Tensor:
        """Integer reconstructions `int32 [batch, H, W, C]` in [0, num_levels)."""
        levels = (tf.cast(self(images), tf.float32) + 1.0) * (self.num_levels - 1) / 2.0
        return tf.cast(tf.clip_by_value(tf.round(levels), 0, self.num_levels - 1), tf.int32)

    def get_config(self):
        return {
            **super().get_config(),  # name, trainable, dtype
            "image_shape": list(self.image_shape),
            "bottleneck_dim": self.bottleneck_dim,
            "num_levels": self.num_levels,
            "filters": self.filters,
        }
