"""The horizontal-stack convolution of the Gated PixelCNN."""

import keras
import tensorflow as tf

from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.convolution_parts import convolve, weights_config


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class HorizontalStackConv2D(keras.layers.Layer):
    """A (1 × ⌈n/2⌉) convolution over the current row, up to and including the pixel.

    The input is padded with ⌊n/2⌋ columns on the left and convolved with no further
    padding, so output column c sees input columns c − ⌊n/2⌋ … c. Only the last kernel
    column (the current pixel) carries a colour-group mask: "A" in the first layer (group
    g sees input groups < g), "B" after it (groups <= g). The other columns are not
    masked.

    Args:
        filters: Number of output channels.
        kernel_size: Odd size n; the kernel is 1 × ⌈n/2⌉.
        mask_type: "A" or "B".
        num_color_groups: Colour channels C of the image (1 or 3).
        out_splits: The output is `out_splits` equal parts (2 for the fused f/g halves),
            each laid out group by group.
        use_bias: Whether to add a bias.

    Input: `[batch, height, width, in_channels]`. Output: `[batch, height, width, filters]`.

    Example:
        >>> layer = HorizontalStackConv2D(filters=6, kernel_size=3, mask_type="A",
        ...                               num_color_groups=3)
        >>> layer(tf.zeros([1, 4, 4, 3])).shape
        TensorShape([1, 4, 4, 6])

    References:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        §2.2 and Fig. 2.
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
        masks.check_odd_kernel_size(kernel_size, minimum=1)
        self.filters = filters
        self.kernel_size = kernel_size
        self.mask_type = mask_type
        self.num_color_groups = num_color_groups
        self.out_splits = out_splits
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    @property
    def kernel_width(self) -> int:
        return self.kernel_size // 2 + 1

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel",
            shape=(1, self.kernel_width, in_channels, self.filters),
            initializer=self.kernel_initializer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer)
            if self.use_bias
            else None
        )
        # A NumPy array, not a tensor: build() may run inside a graph the call outlives.
        self.current_pixel_mask = masks.channel_mask(
            in_channels, self.filters, self.num_color_groups, self.mask_type, self.out_splits
        )

    def masked_kernel(self):
        """`[1, ⌈n/2⌉, in_channels, filters]`: the kernel with the current-pixel tap masked."""
        kernel = tf.cast(self.kernel, self.compute_dtype)  # mixed precision: bf16/f16
        left, current = kernel[:, :-1], kernel[:, -1:]
        mask = tf.constant(self.current_pixel_mask, self.compute_dtype)
        return tf.concat([left, current * mask], axis=1)

    @property
    def padding(self):
        """Zeros added to `[B, H, W, C]`: ⌊n/2⌋ columns on the left."""
        return [[0, 0], [0, 0], [self.kernel_size // 2, 0], [0, 0]]

    def convolve(self, padded):
        """Valid convolution of an input padded already (the cached sampler convolves
        windows of its caches this way)."""
        return convolve(padded, self.masked_kernel(), self.bias, self.compute_dtype)

    def call(self, inputs):
        # Pad, then convolve with "VALID": oneDNN runs the backward pass of this form,
        # while a conv2d with explicit padding falls back to far slower Eigen kernels.
        return self.convolve(tf.pad(inputs, self.padding))

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
