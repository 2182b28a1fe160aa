"""The vertical-stack convolution of the Gated PixelCNN."""

import keras
import tensorflow as tf

from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.convolution_parts import convolve, weights_config


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class VerticalStackConv2D(keras.layers.Layer):
    """A (⌈n/2⌉ × n) convolution whose output row r sees input rows r − ⌊n/2⌋ … r.

    This is the n×n masked convolution of the vertical stack done without a mask: the
    input is padded with ⌊n/2⌋ rows on top and ⌊n/2⌋ columns on each side, then convolved
    with no further padding. The Gated PixelCNN feeds its vertical stack the image shifted
    down one row, so row r of every vertical feature map holds only what lies above image
    row r, and the vertical stack needs no colour masks.

    Args:
        filters: Number of output channels.
        kernel_size: Odd width n of the kernel; its height is ⌈n/2⌉.
        use_bias: Whether to add a bias.

    Input: `[batch, height, width, in_channels]`. Output: `[batch, height, width, filters]`.

    Example:
        >>> VerticalStackConv2D(filters=8, kernel_size=5)(tf.zeros([1, 6, 6, 3])).shape
        TensorShape([1, 6, 6, 8])

    References:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        §2.2 and Fig. 2.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        masks.check_odd_kernel_size(kernel_size, minimum=3)
        self.filters = filters
        self.kernel_size = kernel_size
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    @property
    def kernel_height(self) -> int:
        return self.kernel_size // 2 + 1

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_height, self.kernel_size, int(input_shape[-1]), self.filters),
            initializer=self.kernel_initializer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer)
            if self.use_bias
            else None
        )

    @property
    def padding(self):
        """Zeros added around `[B, H, W, C]`: ⌊n/2⌋ rows on top, ⌊n/2⌋ columns each side."""
        half = self.kernel_size // 2
        return [[0, 0], [half, 0], [half, half], [0, 0]]

    def convolve(self, padded):
        """Valid convolution of an input padded already (the cached sampler convolves
        windows of its caches this way)."""
        return convolve(padded, self.kernel, self.bias, self.compute_dtype)

    def call(self, inputs):
        # Pad, then convolve with "VALID": oneDNN runs the backward pass of this form,
        # while a conv2d with explicit padding falls back to far slower Eigen kernels.
        return self.convolve(tf.pad(inputs, self.padding))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(weights_config(self))
        return config
