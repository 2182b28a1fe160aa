"""The gated PixelCNN layer: vertical and horizontal stacks with a gated activation."""

import keras
import numpy as np
import tensorflow as tf

from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.condition_projection import ConditionProjection
from tf_pixelcnn.layers.horizontal_stack_conv2d import HorizontalStackConv2D
from tf_pixelcnn.layers.masked_conv2d import MaskedConv2D
from tf_pixelcnn.layers.pixel_step import LayerWeights, gate_columns, group_bounds
from tf_pixelcnn.layers.vertical_stack_conv2d import VerticalStackConv2D


def gated_activation(x):
    """tanh(f) ⊙ σ(g) where `x = [f, g]` on the last axis: `[..., 2p] -> [..., p]` (eq. 2)."""
    f, g = tf.split(x, 2, axis=-1)
    return tf.tanh(f) * tf.sigmoid(g)


def shift_down(x):
    """Moves `[B, H, W, C]` down one row (zeros on top), so row r holds row r − 1."""
    return tf.pad(x, [[0, 0], [1, 0], [0, 0], [0, 0]])[:, :-1]


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class GatedBlock(keras.layers.Layer):
    """One layer of the Gated PixelCNN (van den Oord et al. 2016, Fig. 2).

        v = V_conv(v_in) [+ V_v h]               (⌈n/2⌉×n: rows r − ⌊n/2⌋ … r of v_in)
        h = H_conv(h_in) + link(v) [+ V_h h]     (1×⌈n/2⌉, current pixel masked)
        v_out = tanh(v_f) ⊙ σ(v_g)
        h_out = h_in + W_out(dropout(tanh(h_f) ⊙ σ(h_g)))  (residual only for mask "B")
        skip  = W_skip(dropout(tanh(h_f) ⊙ σ(h_g)))        (optional)

    The vertical stack is kept one row behind the image: row r of `v_in` holds only what
    is above row r (the model feeds the first block the image shifted down one row), so
    row r of `v` may feed pixel row r of the horizontal stack through the 1×1 link with no
    shift, and stays computable once row r − 1 is known (what the cached sampler uses).
    W_f and W_g are one convolution with 2p outputs; the horizontal stack keeps p/C
    channels per colour group in each half. Information flows from the vertical stack to
    the horizontal one, never back, so there is no blind spot.

    Dropout (`dropout_rate` > 0, training only) acts on the gated output of the
    horizontal stack, before its output 1×1 convolution (and the skip's): the block's
    update to the residual stream, as PixelCNN++ drops the residual branch of its gated
    ResNet blocks (Salimans et al. 2017, §2.6) and Kolesnikov & Lampert 2017 use it. The
    residual h_in passes untouched, so the stack's information is never cut, and the
    vertical stack, which has no residual and is the only path of the rows above, is left
    alone. The mask is drawn independently of the inputs and is elementwise, so it cannot
    move information between positions: causality holds in training mode too. Inference
    (training=False) is the network without dropout, as the cached sampler computes it.

    For a sampler that caches (`sampling.cached`), the block computes its own steps at
    inference: `vertical_row` (row r of the vertical stack and of the link from a cache of
    the rows above, started by `vertical_cache`) and `pixel_step_weights` (the horizontal
    stack at one pixel as matrices cut by colour group, `layers.pixel_step`).

    Args:
        filters: p, the channels of both stacks' outputs.
        kernel_size: Odd n ≥ 3 of the equivalent n×n receptive field.
        mask_type: "A" for the first layer (the current sub-pixel is hidden), else "B".
        num_color_groups: Colour channels C of the image (1 or 3).
        condition_dim: Size D of a global condition vector h (eq. 4), or None.
        spatial_condition_channels: Channels of a spatial condition map s = m(h) (eq. 5),
            or None.
        skip_connection: Whether to also return a skip output `[batch, h, w, filters]`.
        dropout_rate: Fraction in [0, 1) of the horizontal stack's gated units dropped in
            training (0: no dropout layer at all).

    Call arguments:
        inputs: `(v_in, h_in)`, each `[batch, height, width, channels]`: for the first
            layer `(shift_down(image), image)`, p channels after it. Row r of `v_in` must
            hold only information from rows < r.
        condition: `[batch, condition_dim]`, if `condition_dim` is set.
        spatial_condition: `[batch, height, width, spatial_condition_channels]`, if set.
        training: Whether dropout is active.

    Returns:
        `(v_out, h_out)` or `(v_out, h_out, skip)`, each `[batch, height, width, filters]`.

    Example:
        >>> block = GatedBlock(filters=6, kernel_size=3, mask_type="A", num_color_groups=3)
        >>> x = tf.zeros([2, 8, 8, 3])
        >>> v, h = block((shift_down(x), x))
        >>> h.shape
        TensorShape([2, 8, 8, 6])

    References:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        §2.1-2.3, eqs. 2, 4, 5, Fig. 2.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        mask_type: str = "B",
        num_color_groups: int = 1,
        condition_dim=None,
        spatial_condition_channels=None,
        skip_connection: bool = False,
        dropout_rate: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_arguments(kernel_size, mask_type, dropout_rate)
        self.filters = filters
        self.kernel_size = kernel_size
        self.mask_type = mask_type
        self.num_color_groups = num_color_groups
        self.condition_dim = condition_dim
        self.spatial_condition_channels = spatial_condition_channels
        self.skip_connection = skip_connection
        self.dropout_rate = dropout_rate
        self.is_conditional = condition_dim is not None or spatial_condition_channels is not None
        self._create_sublayers()

    def _create_sublayers(self):
        """The sub-layers, in the order their weights are saved (and named after their
        attributes, which checkpoints key by): keep both."""
        filters, kernel_size, groups = self.filters, self.kernel_size, self.num_color_groups
        gate_units = 2 * filters  # the fused [f, g] halves
        dtype = self.dtype_policy  # sub-layers follow the block's policy
        self.vertical_conv = VerticalStackConv2D(
            gate_units, kernel_size, name="vertical_conv", dtype=dtype
        )
        self.horizontal_conv = HorizontalStackConv2D(
            gate_units,
            kernel_size,
            mask_type=self.mask_type,
            num_color_groups=groups,
            out_splits=2,
            name="horizontal_conv",
            dtype=dtype,
        )
        self.vertical_to_horizontal = keras.layers.Conv2D(
            gate_units, 1, use_bias=False, name="vertical_to_horizontal", dtype=dtype
        )
        self.horizontal_output = masked_output_conv(filters, groups, "horizontal_output", dtype)
        self.skip_output = (
            masked_output_conv(filters, groups, "skip_output", dtype)
            if self.skip_connection
            else None
        )
        # No layer at rate 0: models without dropout keep exactly their variables.
        self.dropout = (
            keras.layers.Dropout(self.dropout_rate, name="dropout", dtype=dtype)
            if self.dropout_rate > 0
            else None
        )
        if self.is_conditional:  # V^T h (eq. 4) or V * s (eq. 5) for each stack
            self.vertical_condition, self.horizontal_condition = (
                ConditionProjection(
                    gate_units,
                    self.condition_dim,
                    self.spatial_condition_channels,
                    name=name,
                    dtype=dtype,
                )
                for name in ("vertical_condition", "horizontal_condition")
            )

    @property
    def residual(self) -> bool:
        """Mask "B" layers add their input to the horizontal output (mask "A" changes width)."""
        return self.mask_type == "B"

    def build(self, input_shape):
        v_shape, h_shape = input_shape
        gate_units = 2 * self.filters
        build_once(self.vertical_conv, v_shape)
        build_once(self.horizontal_conv, h_shape)
        build_once(self.vertical_to_horizontal, (None, None, None, gate_units))
        build_once(self.horizontal_output, (None, None, None, self.filters))
        if self.skip_output is not None:
            build_once(self.skip_output, (None, None, None, self.filters))
        if self.is_conditional:
            build_once(self.vertical_condition)
            build_once(self.horizontal_condition)
        if self.residual and int(h_shape[-1]) != self.filters:
            raise ValueError(
                f"A mask 'B' GatedBlock adds its input to its output, so h_in needs "
                f"filters={self.filters} channels. Received: h_in shape={tuple(h_shape)}."
            )
        self.built = True

    def call(self, inputs, condition=None, spatial_condition=None, training=None):
        v_in, h_in = inputs
        v = self.vertical_conv(v_in)  # (B, H, W, 2p), row r sees v_in rows <= r: image rows < r
        if self.is_conditional:
            v = v + self.vertical_condition(condition, spatial_condition)
        h = self.horizontal_conv(h_in)  # (B, H, W, 2p), column c sees columns <= c
        h = h + self.vertical_to_horizontal(v)
        if self.is_conditional:
            h = h + self.horizontal_condition(condition, spatial_condition)
        v_out = gated_activation(v)  # (B, H, W, p)
        h_gated = gated_activation(h)  # (B, H, W, p)
        if self.dropout is not None:
            h_gated = self.dropout(h_gated, training=training)  # elementwise: still causal
        h_out = self.horizontal_output(h_gated)
        if self.residual:
            h_out = h_out + h_in
        if self.skip_output is not None:
            return v_out, h_out, self.skip_output(h_gated)
        return v_out, h_out

    # --- One row, one pixel: the block's steps for a caching sampler -------------------

    @property
    def receptive_half(self) -> int:
        """⌊n/2⌋: the rows above (vertical stack) and the columns to the left (horizontal
        stack) that each position sees."""
        return self.kernel_size // 2

    def vertical_cache(self, batch, width: int, in_channels: int, dtype) -> tf.Tensor:
        """The cache of `vertical_row` before row 0: the zero rows above the image,
        `[batch, ⌈n/2⌉, width + 2⌊n/2⌋, in_channels]` in `dtype`."""
        half = self.receptive_half
        return tf.zeros([batch, half + 1, width + 2 * half, in_channels], dtype)

    def vertical_row(self, cache, v_in_row, condition=None, spatial_condition=None):
        """Row r of the vertical stack and of its link into the horizontal stack, from
        the rows of `v_in` it sees: computable as soon as row r of `v_in` is (for the
        first block: once image row r − 1 is drawn). Equals row r of `call`'s `v`-path.

        Args:
            cache: rows r − ⌈n/2⌉ … r − 1 of `v_in` with ⌊n/2⌋ zero columns each side,
                `[B, ⌈n/2⌉, W + 2⌊n/2⌋, in]`: `vertical_cache(...)` before row 0, then
                the cache the previous call returned.
            v_in_row: row r of `v_in`, `[B, 1, W, in]`, in the compute dtype.
            condition: `[B, condition_dim]`, if `condition_dim` is set.
            spatial_condition: row r of the spatial condition, `[B, 1, W, S]`, if set.

        Returns:
            `(cache, v_out_row, link_row)`: the cache for row r + 1 (rows r − ⌊n/2⌋ … r),
            row r of `v_out` `[B, 1, W, p]` (the next block's `v_in_row`), and
            `[B, 1, W, 2p]`, all of the horizontal stack's pre-activation at row r but
            the taps of `H_conv`: `link(v) + bias(H_conv) [+ V_h h]`.
        """
        half = self.receptive_half
        v_in_row = tf.pad(v_in_row, [[0, 0], [0, 0], [half, half], [0, 0]])
        cache = tf.concat([cache[:, 1:], v_in_row], axis=1)  # (B, half + 1, W + 2h, in)
        v = self.vertical_conv.convolve(cache)  # (B, 1, W, 2p)
        if self.is_conditional:
            v = v + self.vertical_condition(condition, spatial_condition)
        bias = tf.cast(self.horizontal_conv.bias, self.compute_dtype)
        link = self.vertical_to_horizontal(v) + bias
        if self.is_conditional:
            link = link + self.horizontal_condition(condition, spatial_condition)
        return cache, gated_activation(v), link

    def pixel_step_weights(
        self, in_channels: int, num_groups: int, first: bool, dtype
    ) -> LayerWeights:
        """The horizontal stack at one pixel as matrices cut by colour group, for a
        sampler that computes group k of the pixel from input groups ≤ k
        (`layers.pixel_step`).

        With `x` the layer's input at the pixel, `window` its inputs at the ⌊n/2⌋ pixels
        to the left (`[B, half·in]`, oldest first) and `link` the row's `vertical_row`
        term at the pixel, group k's gate pre-activations (columns `columns` of the 2p)
        are `window left + link[columns] + x[:, :rows_k] current[k]` (cut by
        `left_sizes`), and group k of `horizontal_output(gated)` without its bias is
        `gated[:, :end_k] output[k]`, as `call` computes them.

        Args:
            in_channels: the layer's input channels.
            num_groups: colour groups the pixel is drawn in (1: the whole pixel).
            first: whether the input is the pixel itself (rows of every input channel;
                the mask "A" hides what is not drawn yet), else features in groups.
            dtype: the dtype the sampler computes the block in (its compute dtype).
        """
        kernel = tf.cast(self.horizontal_conv.masked_kernel()[0], dtype)  # (half+1, in, 2p)
        filters = self.filters
        features = group_bounds(filters, num_groups)
        per_group = gate_columns(filters, num_groups)
        columns = np.concatenate(per_group)
        in_ends = [
            in_channels if first else end for _, end in group_bounds(in_channels, num_groups)
        ]
        left = tf.gather(tf.reshape(kernel[:-1], [-1, 2 * filters]), columns, axis=1)
        current = [
            tf.gather(kernel[-1, :rows], group_columns, axis=1)
            for rows, group_columns in zip(in_ends, per_group)
        ]  # (rows_k, 2 n_k)
        output_kernel, output_bias = self.horizontal_output.dense_weights(dtype)
        output = [output_kernel[:end, start:end] for start, end in features]  # (end_k, n_k)
        return LayerWeights(
            columns, left, [2 * (end - start) for start, end in features], current, output,
            output_bias, kernel[-1],
        )  # fmt: skip

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            mask_type=self.mask_type,
            num_color_groups=self.num_color_groups,
            condition_dim=self.condition_dim,
            spatial_condition_channels=self.spatial_condition_channels,
            skip_connection=self.skip_connection,
            dropout_rate=self.dropout_rate,
        )
        return config


def masked_output_conv(filters: int, num_color_groups: int, name: str, dtype) -> MaskedConv2D:
    """The masked 1×1 convolution (mask "B") of the horizontal stack's output or skip:
    `[batch, height, width, filters] -> [batch, height, width, filters]`."""
    return MaskedConv2D(
        filters, 1, mask_type="B", num_color_groups=num_color_groups, name=name, dtype=dtype
    )


def check_arguments(kernel_size: int, mask_type: str, dropout_rate: float) -> None:
    """Raises ValueError for an even or < 3 `kernel_size`, an unknown `mask_type` or a
    `dropout_rate` outside [0, 1)."""
    masks.check_mask_type(mask_type)
    check_dropout_rate(dropout_rate)
    masks.check_odd_kernel_size(kernel_size, minimum=3)


def check_dropout_rate(dropout_rate: float) -> None:
    if not 0.0 <= dropout_rate < 1.0:
        raise ValueError(
            f"dropout_rate must be in [0, 1). Received: dropout_rate={dropout_rate}."
        )
