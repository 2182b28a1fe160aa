"""The cached sampler: exact Gated PixelCNN sampling at the cost of about C forward passes.

The two stacks make caching simple (Ramachandran et al. 2017 did it for PixelCNN++):

- The vertical stack runs one row behind the image, so its row r depends on image rows
  < r only. Once row r − 1 is sampled, row r of every layer's vertical stack is computed
  at once from a cache of the last ⌈n/2⌉ rows of that layer's input (one (⌈n/2⌉×n)
  convolution over a [⌈n/2⌉, W] window per layer and row), together with the 1×1 link
  into the horizontal stack and the conditioning biases of the row.
- The horizontal stack at pixel (r, c) depends on columns c − ⌊n/2⌋ … c of the layer
  below in the same row. A per-layer window of the last ⌊n/2⌋ columns holds the final
  values of the pixels to the left; their contribution is computed once per pixel. The
  colour masks make group g of every layer depend at the current pixel on sub-pixels < g
  only, so the pass for colour g computes group g of every layer, once: the current-pixel
  work of a whole pixel is about one layer stack's, not C. A logistic-mixture output
  draws the whole pixel from one pass (one colour group).

Without XLA a sampling step is bound by the graph executor's cost per op (about 1 µs at
batch 1) and per loop variable (every tensor the loop body reads, about 1 µs per
iteration), so the weights are stacked into a few tensors and the column loop does
`COLUMNS_PER_STEP` pixels per iteration.

Each sub-pixel is drawn by inverse-CDF sampling with the same uniform number as the naive
sampler, so both return the same images for the same seeds. Everything is one graph of
nested `tf.while_loop`s (rows, then pixels; layers and colour channels are unrolled), so
it runs in a `tf.function`, a SavedModel signature or under XLA (`jit_compile=True`).

References:
    P. Ramachandran et al. 2017, "Fast Generation for Convolutional Autoregressive
    Models", ICLR workshop; van den Oord et al. 2016, "Conditional Image Generation with
    PixelCNN Decoders", §2.2.
"""

import numpy as np
import tensorflow as tf

from tf_pixelcnn.distributions import logistic_mixture
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.gated_block import gated_activation
from tf_pixelcnn.sampling.full_layer_pass import FullLayerPass
from tf_pixelcnn.sampling.full_layer_pass import dense_weights
from tf_pixelcnn.sampling.two_stack_model import supports_cached_sampling

COLUMNS_PER_STEP = 4  # at most; a divisor of the width


def in_xla_context() -> bool:
    """Whether the graph being built is compiled with XLA (`jit_compile=True`)."""
    try:
        from tensorflow.python.ops import control_flow_util  # noqa: PLC0415 (private API)

        return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())
    except (ImportError, AttributeError):
        return False


def cached_sample(
    model,
    uniform,
    condition=None,
    temperature=1.0,
    return_logits=False,
    log_scale_reduction=0.0,
    mixture_mode="sample",
    draw_pixel=None,
    draw_subpixel=None,
):
    """Samples a `GatedPixelCNN` with row and column caches; exact against `naive_sample`.

    Args:
        model: a `GatedPixelCNN` (also the decoder of a `PixelCNNAutoencoder`).
        uniform: `float32 [batch, height, width, channels]` (softmax) or
            `[batch, height, width, 1 + channels]` (logistic mixture), the random stream of
            the images: `random_stream.uniform_noise(seeds, shape)`.
        condition: labels `[batch]`, vectors `[batch, D]` or an auxiliary image for
            conditional models.
        temperature: float > 0 (softmax outputs).
        return_logits: also return the logits computed at every step,
            `float32 [batch, H, W, C, num_levels]` (mixture: parameters `[batch, H, W, P]`;
            for tests: they must equal the full network's outputs on the returned images).
        log_scale_reduction, mixture_mode: logistic mixtures, see
            `logistic_mixture.sample_pixels`.
        draw_pixel: logistic mixtures: replaces `logistic_mixture.sample_pixels` —
            `draw_pixel(params [B, P], uniform [B, 1 + C], row, column) -> int32 [B, C]`
            (auxiliary-variable models draw only values consistent with x̂ this way).
        draw_subpixel: softmax outputs: replaces inverse-CDF sampling of each sub-pixel —
            `draw_subpixel(logits float32 [B, L], uniform [B], row, column, channel)
            -> int32 [B]`, called in raster order, R then G then B (image completion
            teacher-forces known sub-pixels this way; lossless compression provides the
            values from an entropy decoder). `temperature` is then up to the hook.

    With either hook, the values it returns are what the later steps are conditioned
    on: the pass computes the logits of every sub-pixel given the values returned
    before it, with the same operations whatever the hook.

    Returns:
        `int32 [batch, height, width, channels]`, or `(images, logits)`.
    """
    if not supports_cached_sampling(model):
        raise ValueError(
            f"Cached sampling needs a GatedPixelCNN (two stacks). Received: "
            f"{type(model).__name__}; use method='naive'."
        )
    components = model.num_mixture_components
    if components and draw_pixel is None:
        channels, levels = model.image_shape[2], model.num_levels
        draw_pixel = lambda params, u, row, column: logistic_mixture.sample_pixels(  # noqa: E731
            params, u, components, channels, levels, log_scale_reduction, mixture_mode
        )
    static_batch = uniform.shape[0]
    if in_xla_context() and (static_batch is None or static_batch > 1):
        # Under XLA above batch 1 the pass with whole layers per channel measured faster.
        pass_class = FullLayerPass
    else:
        pass_class = _CachedPass
    cached_pass = pass_class(model, uniform, condition, temperature, return_logits)
    return cached_pass.run(draw_pixel, draw_subpixel)


class _CachedPass:
    """One sampling pass: the model's weights as matrices, the caches, the loops.

    Colour masks make group g of every layer's features (and the head's logits of colour
    g) depend at the current pixel only on the sub-pixels < g. So the pass for colour g
    computes group g of every layer once, from the groups <= g computed before it: one
    forward pass's worth of current-pixel work per pixel instead of C. Weight columns are
    regrouped once (group 0's f and g columns, then group 1's, ...), so each pass reads
    contiguous slices. The left windows of all layers form one tensor `[L, B, h·p]` (the
    image layer's zero-padded to p channels), so their contribution and the link from the
    vertical stack are one batched matmul and one gather per pixel.
    """

    def __init__(self, model, uniform, condition, temperature, return_logits):
        self.model, self.uniform = model, uniform
        self.temperature, self.return_logits = temperature, return_logits
        self.height, self.width, self.channels = model.image_shape
        self.levels, self.half = model.num_levels, model.kernel_size // 2
        self.components = model.num_mixture_components
        self.groups = 1 if self.components else self.channels  # a mixture: whole pixels
        self.outputs_per_step = (
            logistic_mixture.num_parameters(self.components, self.channels)
            if self.components
            else self.levels
        )
        self.dtype = model.compute_dtype
        self.blocks = model.blocks
        self.filters = model.filters
        # Static batch where known (shapes stay fixed through the loops, XLA needs them).
        self.batch = uniform.shape[0] if uniform.shape[0] is not None else tf.shape(uniform)[0]
        self.global_condition, self.spatial_condition = model.conditioning(condition)
        self.scale = 2.0 / (self.levels - 1)
        # The scaled value of every level, as the model computes it from the image.
        self.level_values = tf.cast(tf.range(self.levels), self.dtype) * self.scale - 1.0
        # Pixels per iteration of the column loop: every tensor the loop body reads is a
        # loop variable whose bookkeeping costs about 1 µs per iteration without XLA.
        self.columns_per_step = max(
            d for d in range(1, COLUMNS_PER_STEP + 1) if self.width % d == 0
        )
        self.in_channels = [self.channels] + [model.filters] * (len(self.blocks) - 1)
        self._prepare_block_weights()
        self._prepare_head_weights()
        self.in_xla = False
        if in_xla_context():
            no_left = tf.zeros([len(self.blocks), 0, 2 * self.filters], self.dtype)
            self.weight_views = self.pixel_weights(no_left)[1:]  # sliced once, outside
            self.left_views = tf.unstack(self.left_kernels)
            self.in_xla = True

    def _prepare_block_weights(self):
        """Stacked weights (each tensor the pixel loop reads is one more loop variable, a
        cost per pixel): the left taps `[L, h·p, 2p]`; per colour group the current tap
        `[in, 2p_g]` of the image layer and `[L − 1, p, 2p_g]` of the others, and the
        output rows `[L, p_g, p]`; the output biases `[L, p]`. Gate columns regrouped."""
        gate_groups = masks.channel_groups(2 * self.filters, self.groups, 2)
        self.order = np.argsort(gate_groups, kind="stable")  # group 0's [f, g], group 1's ...
        self.gate_sizes = [int(np.sum(gate_groups == g)) for g in range(self.groups)]
        bounds = np.cumsum([0] + self.gate_sizes)
        out_groups = masks.channel_groups(self.filters, self.groups)
        left_kernels, current_kernels, output_kernels, output_biases = [], [], [], []
        for block, in_channels in zip(self.blocks, self.in_channels):
            kernel = tf.gather(  # (h + 1, in, 2p), current tap colour-masked
                tf.cast(block.horizontal_conv.masked_kernel()[0], self.dtype), self.order, axis=-1
            )
            left = tf.pad(kernel[:-1], [[0, 0], [0, self.filters - in_channels], [0, 0]])
            left_kernels.append(tf.reshape(left, [-1, 2 * self.filters]))  # (h·p, 2p)
            current_kernels.append(
                [kernel[-1][:, bounds[g] : bounds[g + 1]] for g in range(self.groups)]
            )
            out_kernel, out_bias = dense_weights(block.horizontal_output, self.dtype)
            output_kernels.append([out_kernel[out_groups == g] for g in range(self.groups)])
            output_biases.append(out_bias)
        self.left_kernels = tf.stack(left_kernels)  # (L, h·p, 2p)
        # Mask "A", group 0: the image layer does not see the current pixel.
        mask = self.blocks[0].horizontal_conv.current_pixel_mask[:, self.order]
        self.first_current = [
            current_kernels[0][g] if mask[:, bounds[g] : bounds[g + 1]].any() else None
            for g in range(self.groups)
        ]
        self.current_kernels = [
            tf.stack([kernels[g] for kernels in current_kernels[1:]]) if len(self.blocks) > 1
            else None
            for g in range(self.groups)
        ]  # fmt: skip
        self.output_kernels = [
            tf.stack([kernels[g] for kernels in output_kernels]) for g in range(self.groups)
        ]
        self.output_biases = tf.stack(output_biases)  # (L, p)

    def _prepare_head_weights(self):
        """The head in float32 as the model's: the hidden layer, and per colour group the
        logits of that colour `[G, hidden, L]` (masked: hidden groups > g have no weight),
        or the mixture's parameters."""
        hidden_kernel, hidden_bias = dense_weights(self.model.output_head.hidden, tf.float32)
        logits_kernel, logits_bias = dense_weights(self.model.output_head.logits, tf.float32)
        width = self.outputs_per_step
        self.head = (
            hidden_kernel,
            hidden_bias,
            tf.stack([logits_kernel[:, g * width : (g + 1) * width] for g in range(self.groups)]),
            tf.stack([logits_bias[g * width : (g + 1) * width] for g in range(self.groups)]),
        )

    # --- The vertical stack: one row of every layer from the row caches -------------

    def condition_bias(self, projection, row):
        spatial_row = (
            None
            if self.spatial_condition is None
            else tf.gather(self.spatial_condition, [row], axis=1)
        )  # (B, 1, W, S), static shape
        return projection(self.global_condition, spatial_row)  # (B, 1, 1 or W, 2p)

    def vertical_row(self, row, previous_row, vertical_caches):
        """Row `row` of every layer's vertical stack: the link into the horizontal stack
        (with its bias) `[W, L, B, 2p]`, gate columns regrouped, and the new caches."""
        half, dtype = self.half, self.dtype
        new_caches, link_rows = [], []
        # The vertical stack's input is the image shifted down: row r holds image row r − 1.
        incoming = tf.pad(previous_row[:, None], [[0, 0], [0, 0], [half, half], [0, 0]])
        for block, cache in zip(self.blocks, vertical_caches):
            cache = tf.concat([cache[:, 1:], incoming], axis=1)  # (B, half + 1, W + 2h, in)
            new_caches.append(cache)
            v = block.vertical_conv.convolve(cache)  # (B, 1, W, 2p)
            if block.is_conditional:
                v = v + self.condition_bias(block.vertical_condition, row)
            link = block.vertical_to_horizontal(v) + tf.cast(block.horizontal_conv.bias, dtype)
            if block.is_conditional:
                link = link + self.condition_bias(block.horizontal_condition, row)
            link_rows.append(link[:, 0])  # (B, W, 2p)
            incoming = tf.pad(gated_activation(v), [[0, 0], [0, 0], [half, half], [0, 0]])
        links = tf.gather(tf.stack(link_rows), self.order, axis=-1)  # (L, B, W, 2p)
        return tf.transpose(links, [2, 0, 1, 3]), new_caches

    # --- The horizontal stack: one colour group of every layer at one pixel ---------

    def group_pass(self, group, weights, pixel, partial):
        """Group `group` of every layer at the current pixel, given the scaled pixel with
        its sub-pixels < group: the head's outputs of that colour and the layers' inputs.
        `weights` are the pixel's (`pixel_weights`); `partial` holds each layer's output
        accumulated over the earlier groups."""
        left, current, output_kernels, biases, head = weights
        inputs, layer_inputs = pixel, []
        for i, block in enumerate(self.blocks):
            layer_inputs.append(inputs)
            pre = left[group][i]  # (B, 2p_g): left taps, link, bias
            kernel = self.first_current[group] if i == 0 else current[group][i - 1]
            if kernel is not None:  # None: mask "A", group 0
                # Not as a BiasAdd at batch 1: the fused op is slower here (measured).
                pre = pre + tf.matmul(inputs, kernel)
            f, g = tf.split(pre, 2, axis=-1)
            h = tf.matmul(tf.tanh(f) * tf.sigmoid(g), output_kernels[group][i])  # (B, p)
            partial[i] = tf.nn.bias_add(h, biases[i]) if group == 0 else partial[i] + h
            inputs = inputs + partial[i] if block.residual else partial[i]
        hidden_kernel, hidden_bias, logits_kernels, logits_biases = head
        # Hidden groups > group are partial here; their logits weights are masked to zero.
        features = tf.nn.relu(tf.cast(inputs, tf.float32))
        hidden = tf.nn.bias_add(tf.matmul(features, hidden_kernel), hidden_bias)
        outputs = tf.matmul(tf.nn.relu(hidden), logits_kernels[group])
        return tf.nn.bias_add(outputs, logits_biases[group]), layer_inputs

    def left_kernel_views(self):
        return self.left_views if self.in_xla else tf.unstack(self.left_kernels)

    def pixel_weights(self, left):
        """Per-pixel views of the stacked weights (Unpack along axis 0 shares buffers)."""
        layers = len(self.blocks)
        left = tf.split(left, self.gate_sizes, axis=-1) if self.groups > 1 else [left]
        left = [tf.unstack(part, layers) for part in left]  # [group][layer] (B, 2p_g)
        if self.in_xla:  # no cost per loop variable; slices inside the loop would copy
            return (left, *self.weight_views)
        current = [None if k is None else tf.unstack(k, layers - 1) for k in self.current_kernels]
        outputs = [tf.unstack(k, layers) for k in self.output_kernels]
        hidden_kernel, hidden_bias, logits_kernels, logits_biases = self.head
        head = (
            hidden_kernel,
            hidden_bias,
            tf.unstack(logits_kernels, self.groups),
            tf.unstack(logits_biases, self.groups),
        )
        return left, current, outputs, tf.unstack(self.output_biases, layers), head

    def draw_pixel_values(self, weights, row, column, uniform, logits_array, hooks):
        """The C values of (row, column) `[B, C]`, the scaled pixel and the layers' inputs."""
        draw_pixel, draw_subpixel = hooks
        partial = [None] * len(self.blocks)
        if self.components:
            params, layer_inputs = self.group_pass(0, weights, self.zero_pixel, partial)
            if self.return_logits:
                logits_array = logits_array.write(row * self.width + column, params)
            drawn = draw_pixel(params, uniform, row, column)  # (B, C)
            return drawn, tf.gather(self.level_values, drawn), layer_inputs, logits_array
        pixel, values, scaled = self.zero_pixel, [], []
        uniforms = tf.unstack(uniform, self.channels, axis=-1)
        for channel in range(self.channels):
            logits, layer_inputs = self.group_pass(channel, weights, pixel, partial)
            if self.return_logits:
                step = (row * self.width + column) * self.channels + channel
                logits_array = logits_array.write(step, logits)
            if draw_subpixel is None:
                value = random_stream.inverse_cdf_sample(
                    logits, uniforms[channel], self.temperature
                )  # (B,)
            else:
                value = draw_subpixel(logits, uniforms[channel], row, column, channel)
            values.append(value)
            scaled.append(tf.gather(self.level_values, value))
            zeros = [self.zero_subpixel] * (self.channels - channel - 1)
            pixel = tf.stack(scaled + zeros, axis=-1)  # (B, C)
        return tf.stack(values, axis=-1), pixel, layer_inputs, logits_array

    def pixel_step(self, row, column, links, windows, uniform_row, logits_array, hooks):
        """Draws the C sub-pixels of (row, column); returns them and the shifted windows."""
        # Everything but the current-pixel tap, all layers at once: (L, B, 2p).
        # One matmul per layer: BatchMatMulV2 of these shapes is several times slower on CPU.
        left = [tf.matmul(w, k) for w, k in zip(tf.unstack(windows), self.left_kernel_views())]
        left = tf.stack(left) + tf.gather(links, column)
        uniform = tf.gather(uniform_row, column)  # (B, C) or (B, 1 + C)
        values, pixel, layer_inputs, logits_array = self.draw_pixel_values(
            self.pixel_weights(left), row, column, uniform, logits_array, hooks
        )
        # The image input of the first layer is the complete pixel. The features of later
        # layers never depend on the pixel's last sub-pixel (colour masks), so the inputs
        # of the last group's pass are their final values. Shift them into the windows.
        layer_inputs[0] = tf.pad(pixel, [[0, 0], [0, self.filters - self.channels]])
        windows = tf.concat([windows[..., self.filters:], tf.stack(layer_inputs)], axis=-1)
        return values, windows, logits_array

    # --- The loops ------------------------------------------------------------------

    def row_step(self, row, images, previous_row, vertical_caches, logits_array, hooks):
        links, vertical_caches = self.vertical_row(row, previous_row, vertical_caches)
        uniform_row = tf.transpose(tf.gather(self.uniform, row, axis=1), [1, 0, 2])  # (W, B, ·)
        windows = tf.zeros([len(self.blocks), self.batch, self.half * self.filters], self.dtype)
        row_values = tf.TensorArray(tf.int32, size=self.width, element_shape=[None, self.channels])

        step = self.columns_per_step

        def column_step(column, windows, row_values, logits_array):
            for offset in range(step):  # unrolled: the loop's own cost is paid once
                values, windows, logits_array = self.pixel_step(
                    row, column + offset, links, windows, uniform_row, logits_array, hooks
                )
                row_values = row_values.write(column + offset, values)
            return column + step, windows, row_values, logits_array

        _, _, row_values, logits_array = tf.while_loop(
            lambda column, *_: column < self.width,
            column_step,
            (tf.constant(0), windows, row_values, logits_array),
            maximum_iterations=self.width // step,
        )
        row_values = tf.transpose(row_values.stack(), [1, 0, 2])  # (B, W, C)
        row_mask = tf.one_hot(row, self.height, dtype=tf.int32)[None, :, None, None]
        images = images + row_mask * row_values[:, None]  # (B, H, W, C)
        previous_row = tf.gather(self.level_values, row_values)  # (B, W, C)
        return row + 1, images, previous_row, vertical_caches, logits_array

    def run(self, draw_pixel, draw_subpixel):
        batch, height, width, channels = self.batch, self.height, self.width, self.channels
        hooks = (draw_pixel, draw_subpixel)
        self.zero_subpixel = tf.zeros([batch], self.dtype)
        self.zero_pixel = tf.zeros([batch, channels], self.dtype)
        vertical_caches = [
            tf.zeros([batch, self.half + 1, width + 2 * self.half, c], self.dtype)
            for c in self.in_channels
        ]
        logits_array = tf.TensorArray(
            tf.float32,
            size=height * width * self.groups if self.return_logits else 0,
            element_shape=(
                tf.TensorShape([None, self.outputs_per_step]) if self.return_logits else None
            ),
        )
        _, images, _, _, logits_array = tf.while_loop(
            lambda row, *_: row < height,
            lambda *state: self.row_step(*state, hooks),
            (
                tf.constant(0),
                tf.zeros([batch, height, width, channels], tf.int32),
                tf.zeros([batch, width, channels], self.dtype),  # "row −1": the shift's zeros
                vertical_caches,
                logits_array,
            ),
            maximum_iterations=height,
        )
        if not self.return_logits:
            return images
        logits = tf.transpose(logits_array.stack(), [1, 0, 2])  # (B, H·W·groups, outputs)
        if self.components:
            return images, tf.reshape(logits, [batch, height, width, self.outputs_per_step])
        return images, tf.reshape(logits, [batch, height, width, channels, self.levels])
