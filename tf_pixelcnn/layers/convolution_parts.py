"""What the package's convolution layers share: the convolution with its bias in the
compute dtype, the kernel and bias variables, and their arguments and config."""

import keras
import tensorflow as tf

from tf_pixelcnn.layers import masks


def convolve(inputs, kernel, bias, compute_dtype, padding: str = "VALID") -> tf.Tensor:
    """`conv2d(inputs, kernel) + bias` with stride 1, in `compute_dtype` (the variables
    may be float32 under a mixed-precision policy)."""
    outputs = tf.nn.conv2d(inputs, tf.cast(kernel, compute_dtype), strides=1, padding=padding)
    if bias is not None:
        outputs = tf.nn.bias_add(outputs, tf.cast(bias, compute_dtype))
    return outputs


def weights_config(layer) -> dict:
    """`filters`, `kernel_size`, `use_bias` and the serialised initializers of `layer`."""
    return dict(
        filters=layer.filters,
        kernel_size=layer.kernel_size,
        use_bias=layer.use_bias,
        kernel_initializer=keras.initializers.serialize(layer.kernel_initializer),
        bias_initializer=keras.initializers.serialize(layer.bias_initializer),
    )


class Convolution(keras.layers.Layer):
    """Base of the package's stride-1 convolutions: `[batch, height, width, in_channels]`
    → `[batch, height, width, filters]`.

    `build` makes the variables `kernel` (of `kernel_shape(in_channels)`) and `bias`
    `[filters]` (None without `use_bias`), in that order. `call` pads the input by
    `padding` and convolves it with `masked_kernel()` and no further padding.

    Args:
        filters: Number of output channels.
        kernel_size: Odd size n, at least `minimum_kernel_size`.
        use_bias: Whether to add a bias.
        kernel_initializer, bias_initializer: Initializers of the variables.
    """

    minimum_kernel_size = 1

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
        masks.check_odd_kernel_size(kernel_size, minimum=self.minimum_kernel_size)
        self.filters = filters
        self.kernel_size = kernel_size
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def kernel_shape(self, in_channels: int) -> tuple:
        """`(kernel_height, kernel_width, in_channels, filters)`."""
        raise NotImplementedError

    @property
    def padding(self):
        """Zeros added around `[B, H, W, C]` before the valid convolution of `call`."""
        raise NotImplementedError

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_shape(int(input_shape[-1])),
            initializer=self.kernel_initializer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer)
            if self.use_bias
            else None
        )

    def masked_kernel(self) -> tf.Tensor:
        """The kernel as convolved, in the compute dtype (mixed precision: bf16/f16), with
        the layer's mask applied; this base has none."""
        return tf.cast(self.kernel, self.compute_dtype)

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
        config.update(weights_config(self))
        return config


class ColourMaskedConvolution(Convolution):
    """A `Convolution` whose current-pixel tap connects colour groups by a mask: output
    group g sees input groups < g (mask "A", first layer) or <= g (mask "B").

    Args:
        filters, kernel_size, use_bias, kernel_initializer, bias_initializer: As for
            `Convolution`.
        mask_type: "A" or "B".
        num_color_groups: Colour channels C of the image (1 or 3); input and output
            channels are split into C contiguous groups.
        out_splits: The output is `out_splits` equal parts (2 for the fused f/g halves of a
            gated unit), each laid out group by group.
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
        masks.check_mask_type(mask_type)
        super().__init__(
            filters, kernel_size, use_bias, kernel_initializer, bias_initializer, **kwargs
        )
        self.mask_type = mask_type
        self.num_color_groups = num_color_groups
        self.out_splits = out_splits

    def current_pixel_channel_mask(self, in_channels: int):
        """The centre tap's connectivity, `float32 [in_channels, filters]` (a NumPy array,
        not a tensor: build() may run inside a graph the call outlives)."""
        return masks.channel_mask(
            in_channels, self.filters, self.num_color_groups, self.mask_type, self.out_splits
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            mask_type=self.mask_type,
            num_color_groups=self.num_color_groups,
            out_splits=self.out_splits,
        )
        return config
