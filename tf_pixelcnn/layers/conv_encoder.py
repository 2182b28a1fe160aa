"""Convolutional encoder of the PixelCNN auto-encoder."""

import keras
import tensorflow as tf

from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.numbered_layers import numbered_layers
from tf_pixelcnn.layers.numbered_layers import set_numbered_layers


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class ConvEncoder(keras.layers.Layer):
    """Maps an image to a bottleneck code h: stride-2 convolutions, then a dense layer.

    Each of `num_downsamplings` 3×3 stride-2 convolutions (ReLU) halves the spatial size
    and doubles the channels, starting from `filters`; the result is flattened and
    projected to `bottleneck_dim`.

    Args:
        bottleneck_dim: Size m of the code (the paper: 10 or 100).
        filters: Channels of the first convolution.
        num_downsamplings: Stride-2 convolutions.

    Input: float `[batch, height, width, channels]`. Output: `[batch, bottleneck_dim]`.

    Example:
        >>> ConvEncoder(bottleneck_dim=10, filters=8)(tf.zeros([2, 32, 32, 3])).shape
        TensorShape([2, 10])

    References:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        §2.4 and §3.4.
    """

    def __init__(
        self, bottleneck_dim: int, filters: int = 64, num_downsamplings: int = 3, **kwargs
    ):
        super().__init__(**kwargs)
        if bottleneck_dim < 1:
            raise ValueError(
                "bottleneck_dim must be a positive integer. "
                f"Received: bottleneck_dim={bottleneck_dim}."
            )
        self.bottleneck_dim = bottleneck_dim
        self.filters = filters
        self.num_downsamplings = num_downsamplings
        set_numbered_layers(
            self,
            "conv",
            [
                keras.layers.Conv2D(
                    filters * 2**i,
                    3,
                    strides=2,
                    padding="same",
                    activation="relu",
                    name=f"conv_{i}",
                    dtype=self.dtype_policy,
                )
                for i in range(num_downsamplings)
            ],
        )
        self.bottleneck = keras.layers.Dense(
            bottleneck_dim, name="bottleneck", dtype=self.dtype_policy
        )

    @property
    def convolutions(self):
        return numbered_layers(self, "conv", self.num_downsamplings)

    def build(self, input_shape):
        _, height, width, channels = input_shape
        for i, convolution in enumerate(self.convolutions):
            build_once(convolution, (None, height, width, channels))
            height, width = -(-height // 2), -(-width // 2)
            channels = self.filters * 2**i
        build_once(self.bottleneck, (None, height * width * channels))
        self.built = True

    def call(self, images):
        x = images
        for convolution in self.convolutions:
            x = convolution(x)  # (B, ⌈H/2⌉, ⌈W/2⌉, 2F)
        _, height, width, channels = x.shape
        x = tf.reshape(x, [-1, height * width * channels])  # (B, h·w·F')
        return self.bottleneck(x)  # (B, m)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.bottleneck_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            bottleneck_dim=self.bottleneck_dim,
            filters=self.filters,
            num_downsamplings=self.num_downsamplings,
        )
        return config
