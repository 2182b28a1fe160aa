"""Masked convolution of the original PixelCNN."""

import keras
import numpy as np
import tensorflow as tf

from tf_pixelcnn.layers.convolution_parts import ColourMaskedConvolution, convolve


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class MaskedConv2D(ColourMaskedConvolution):
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

    def kernel_shape(self, in_channels: int) -> tuple:
        return (self.kernel_size, self.kernel_size, in_channels, self.filters)

    @property
    def padding(self):
        """Zeros added around `[B, H, W, C]` for `convolve`: ⌊n/2⌋ on every side."""
        half = self.kernel_size // 2
        return [[0, 0], [half, half], [half, half], [0, 0]]

    def build(self, input_shape):
        super().build(input_shape)
        # A NumPy array, not a tensor: build() may run inside a graph the call outlives.
        self.mask = self.full_mask(int(input_shape[-1]))

    def full_mask(self, in_channels: int) -> np.ndarray:
        """The kernel mask, `float32 [n, n, in_channels, filters]`."""
        n, centre = self.kernel_size, self.kernel_size // 2
        mask = np.zeros((n, n, in_channels, self.filters), np.float32)
        mask[:centre] = 1.0
        mask[centre, :centre] = 1.0
        mask[centre, centre] = self.current_pixel_channel_mask(in_channels)
        return mask

    def masked_kernel(self) -> tf.Tensor:
        """`[n, n, in_channels, filters]` in the compute dtype, times the mask."""
        kernel = super().masked_kernel()  # mixed precision: bf16/f16
        return kernel * tf.constant(self.mask, self.compute_dtype)

    def dense_weights(self, dtype=None):
        """A 1×1 layer as a dense map: `(kernel [in_channels, filters], bias [filters] or
        None)`, mask applied, cast to `dtype` (default: the compute dtype). The mask is
        applied to the stored kernel before the cast (what the cached sampler multiplies
        by; the same values as `masked_kernel()[0, 0]`, the mask being 0 or 1)."""
        if self.kernel_size != 1:
            raise ValueError(
                f"dense_weights needs a 1×1 MaskedConv2D. Received: kernel_size="
                f"{self.kernel_size} (layer {self.name!r})."
            )
        dtype = dtype or self.compute_dtype
        kernel = (self.kernel * tf.constant(self.mask))[0, 0]  # (in, filters)
        bias = None if self.bias is None else tf.cast(self.bias, dtype)
        return tf.cast(kernel, dtype), bias

    def call(self, inputs):
        # conv2d pads ("SAME"), as this layer always has; convolve(tf.pad(x, padding)) agrees.
        return convolve(inputs, self.masked_kernel(), self.bias, self.compute_dtype, padding="SAME")
