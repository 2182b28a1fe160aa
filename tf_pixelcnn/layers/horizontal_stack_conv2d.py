"""The horizontal-stack convolution of the Gated PixelCNN."""

import keras
import tensorflow as tf

from tf_pixelcnn.layers.convolution_parts import ColourMaskedConvolution


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class HorizontalStackConv2D(ColourMaskedConvolution):
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

    @property
    def kernel_width(self) -> int:
        return self.kernel_size // 2 + 1

    def kernel_shape(self, in_channels: int) -> tuple:
        return (1, self.kernel_width, in_channels, self.filters)

    def build(self, input_shape):
        super().build(input_shape)
        self.current_pixel_mask = self.current_pixel_channel_mask(int(input_shape[-1]))

    def masked_kernel(self):
        """`[1, ⌈n/2⌉, in_channels, filters]`: the kernel with the current-pixel tap masked."""
        kernel = super().masked_kernel()  # mixed precision: bf16/f16
        left, current = kernel[:, :-1], kernel[:, -1:]
        mask = tf.constant(self.current_pixel_mask, self.compute_dtype)
        return tf.concat([left, current * mask], axis=1)

    @property
    def padding(self):
        """Zeros added to `[B, H, W, C]`: ⌊n/2⌋ columns on the left."""
        return [[0, 0], [0, 0], [self.kernel_size // 2, 0], [0, 0]]
