"""Masked convolution of the original PixelCNN."""

import keras
import numpy as np
import tensorflow as tf

from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.convolution_parts import convolve, weights_config


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class MaskedConv2D(keras.layers.Layer):
    """An n×n convolution that sees only pixels before the current one in raster order.

    The kernel is multiplied by a mask: rows above the centre are kept, the centre row is
    kept left of the centre, and the centre tap connects colour groups by mask "A" (output
    group g sees input groups < g; first layer) or "B" (groups <= g). With
    `kernel_size=1` it is the masked 1×1 convolution used between the layers and in the
    output head of every PixelCNN.

    Stacking these convolutions leaves a blind spot above and to the right of the pixel
    (van den Oord et al. 2016, Fig. 1); the gated model's two stacks remove it.

    Args:
        filters: Number of output channels.
        kernel_size: Odd spatial size n of the square kernel.
        mask_type: "A" or "B".
        num_color_groups: Colour channels C of the image (1 or 3); input and output
            channels are split into C contiguous groups.
        out_splits: The output is `out_splits` equal parts (2 for the fused f/g halves of a
            gated unit), each laid out group by group.
        use_bias: Whether to add a bias.

    Input: `[batch, height, width, in_channels]`. Output: `[batch, height, width, filters]`.

    Example:
        >>> layer = MaskedConv2D(filters=6, kernel_size=3, mask_type="A", num_color_groups=3)
        >>> layer(tf.zeros([2, 8, 8, 3])).shape
        TensorShape([2, 8, 8, 6])

    References:
        van den Oord, Kalchbrenner, Kavukcuoglu 2016, "Pixel Recurrent Neural Networks",
        §3.4, Fig. 4.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        mask_type: str = "B",
        num_color_groups: int = 1,
        out_splits: int = 1,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        masks.check_mask_type(mask_type)
        masks.check_odd_kernel_size(kernel_size)
        self.filters = filters
        self.kernel_size = kernel_size
        self.mask_type = mask_type
        self.num_color_groups = num_color_groups
        self.out_splits = out_splits
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        n = self.kernel_size
        self.kernel = self.add_weight(
            name="kernel",
            shape=(n, n, in_channels, self.filters),
            initializer=self.kernel_initializer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer)
            if self.use_bias
            else None
        )
        # A NumPy array, not a tensor: build() may run inside a graph the call outlives.
        self.mask = self.full_mask(in_channels)

    def full_mask(self, in_channels: int) -> np.ndarray:
        """The kernel mask, `float32 [n, n, in_channels, filters]`."""
        n, centre = self.kernel_size, self.kernel_size // 2
        mask = np.zeros((n, n, in_channels, self.filters), np.float32)
        mask[:centre] = 1.0
        mask[centre, :centre] = 1.0
        mask[centre, centre] = masks.channel_mask(
            in_channels, self.filters, self.num_color_groups, self.mask_type, self.out_splits
        )
        return mask

    def call(self, inputs):
        kernel = tf.cast(self.kernel, self.compute_dtype)  # mixed precision: bf16/f16
        kernel = kernel * tf.constant(self.mask, self.compute_dtype)
        return convolve(inputs, kernel, self.bias, self.compute_dtype, padding="SAME")

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            weights_config(self),
            mask_type=self.mask_type,
            num_color_groups=self.num_color_groups,
            out_splits=self.out_splits,
        )
        return config
