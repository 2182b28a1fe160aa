"""The vertical-stack convolution of the Gated PixelCNN."""

import keras

from tf_pixelcnn.layers.convolution_parts import Convolution


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class VerticalStackConv2D(Convolution):
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

    minimum_kernel_size = 3

    @property
    def kernel_height(self) -> int:
        return self.kernel_size // 2 + 1

    def kernel_shape(self, in_channels: int) -> tuple:
        return (self.kernel_height, self.kernel_size, in_channels, self.filters)

    @property
    def padding(self):
        """Zeros added around `[B, H, W, C]`: ⌊n/2⌋ rows on top, ⌊n/2⌋ columns each side."""
        half = self.kernel_size // 2
        return [[0, 0], [half, 0], [half, half], [0, 0]]
