"""The cached sampler: exact Gated PixelCNN sampling at the cost of a few forward passes.

The two stacks make caching simple (Ramachandran et al. 2017 did it for PixelCNN++):

- The vertical stack runs one row behind the image, so its row r depends on image rows
  < r only. Once row r − 1 is sampled, row r of every layer's vertical stack is computed
  at once from a cache of the last ⌈n/2⌉ rows of that layer's input (one (⌈n/2⌉×n)
  convolution over a [⌈n/2⌉, W] window per layer and row), together with the 1×1 link
  into the horizontal stack and the conditioning biases of the row
  (`GatedBlock.vertical_row`).
- The horizontal stack at pixel (r, c) depends on columns c − ⌊n/2⌋ … c of the layer
  below in the same row. A per-layer window of the last ⌊n/2⌋ columns holds the final
  values of the pixels to the left; their contribution is computed once per pixel.
- The C sub-pixels of a pixel are drawn in C passes, and pass k computes only colour
  group k of every layer and of the head, through the blocks of the masked matrices
  that map groups ≤ k to group k (`GatedBlock.pixel_step_weights`,
  `PixelOutputHead.pixel_step_weights`, see `layers.pixel_step`): the C passes together cost
  about one evaluation of the horizontal stack, not C. A logistic-mixture output draws
  the whole pixel from one pass (one colour group).
- The output 1×1s' biases are folded out of the pixel loop (`fold_output_biases`).

On CPU, `tpc.sample` runs this graph in TensorFlow's single-threaded executor
(`sampler_function.SamplerFunction`): at small batches its per-op cost, not arithmetic,
is what a pixel costs.

The sampler reads the layers through those public steps only; the loops, the caches'
layout across rows and pixels and the folding of biases are its own.

Each sub-pixel is drawn by inverse-CDF sampling with the same uniform number as the naive
sampler, so both return the same images for the same seeds. Everything is one graph of
nested `tf.while_loop`s (rows, then pixels; layers and colour channels are unrolled), so
it runs in a `tf.function`, a SavedModel signature or under XLA (`jit_compile=True`).

References:
    P. Ramachandran et al. 2017, "Fast Generation for Convolutional Autoregressive
    Models", ICLR workshop; van den Oord et al. 2016, "Conditional Image Generation with
    PixelCNN Decoders", §2.2.
"""

import tensorflow as tf

from tf_pixelcnn.layers.gated_block import gated_activation
from tf_pixelcnn.sampling.two_stack_model import supports_cached_sampling
from tf_pixelcnn.sampling.value_choice import RandomDraw


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
        uniform: `float32 [batch, height, width, n]`, the random stream of the images:
            `random_stream.uniform_noise(seeds, model.pixel_distribution.stream_shape(H, W))`
            (n = channels for a softmax, 1 + channels for a logistic mixture).
        condition: labels `[batch]`, vectors `[batch, D]` or an auxiliary image for
            conditional models.
        temperature: float > 0 (softmax outputs).
        return_logits: also return the logits computed at every step,
            `float32 [batch, H, W, C, num_levels]` (mixture: parameters `[batch, H, W, P]`;
            for tests: they must equal the full network's outputs on the returned images).
        log_scale_reduction, mixture_mode: logistic mixtures, see
            `LogisticMixture.draw`.
        draw_pixel: logistic mixtures: replaces `model.pixel_distribution.draw` —
            `draw_pixel(params [B, P], uniform [B, 1 + C], row, column) -> int32 [B, C]`
            (auxiliary-variable models draw only values consistent with x̂ this way).
        draw_subpixel: softmax outputs: replaces `model.pixel_distribution.draw`
            (inverse-CDF sampling) of each sub-pixel —
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
    distribution = model.pixel_distribution
    default = RandomDraw(temperature, log_scale_reduction, mixture_mode).hooks(distribution)
    draw_pixel = draw_pixel or default["draw_pixel"]
    draw_subpixel = draw_subpixel or default["draw_subpixel"]
    cached_pass = _CachedPass(model, uniform, condition, return_logits)
    return cached_pass.run(draw_pixel, draw_subpixel)


def concat(parts):
    """`tf.concat` on the last axis; a single part as it is (no op)."""
    return parts[0] if len(parts) == 1 else tf.concat(parts, axis=-1)


def split(tensor, sizes):
    """`tf.split` on the last axis into `sizes`; one size: the tensor itself (no op)."""
    return [tensor] if len(sizes) == 1 else tf.split(tensor, sizes, axis=-1)


class _CachedPass:
    """One sampling pass: the model's weights as matrices, the caches, the loops."""

    def __init__(self, model, uniform, condition, return_logits):
        self.model, self.uniform, self.return_logits = model, uniform, return_logits
        self.height, self.width, self.channels = model.image_shape
        self.levels = model.num_levels
        distribution = model.pixel_distribution
        self.whole_pixel = distribution.whole_pixel  # one pass per pixel (a mixture)
        self.groups = distribution.groups  # passes per pixel: 1, or one per sub-pixel
        self.outputs_per_step = distribution.outputs_per_group
        self.dtype = dtype = model.compute_dtype
        self.blocks = model.blocks
        # ⌊n/2⌋ of each layer's n×n receptive field (the first may be wider).
        self.halves = [block.receptive_half for block in self.blocks]
        # Static batch where known (shapes stay fixed through the loops, XLA needs them).
        self.batch = uniform.shape[0] if uniform.shape[0] is not None else tf.shape(uniform)[0]
        self.global_condition, self.spatial_condition = model.conditioning(condition)
        # What the first layer reads of a pixel (scaled values; a code prior's embedding).
        self.input_features = model.input_features
        # Per-layer matrices of the pixel step, cut by colour group (masks applied once).
        self.in_channels = [model.input_channels] + [model.filters] * (len(self.blocks) - 1)
        self.layer_weights = [
            block.pixel_step_weights(channels, self.groups, i == 0, dtype)
            for i, (block, channels) in enumerate(zip(self.blocks, self.in_channels))
        ]
        # The output head computes in its own dtype (float32 whatever the policy), as the
        # model's does.
        self.head_dtype = model.output_head.compute_dtype
        self.fold_output_biases()
        self.head = model.output_head.pixel_step_weights(
            model.filters, self.groups, self.outputs_per_step
        )

    def fold_output_biases(self):
        """Moves the biases of the horizontal stack's output 1×1s out of the pixel loop.

        The loop carries each layer's input x_l less a constant offset o_l (the sum of
        the output biases the residuals carried up to layer l; o_0 = 0), which saves one
        addition per layer and colour. The offset's share of the next pre-activations,
        o_l W_current + [o_l … o_l] W_left, is added to the row's link terms instead; the
        windows start at −o_l, so the left padding still holds x = 0.
        """
        offset = tf.zeros([self.in_channels[0]], self.dtype)
        self.offsets, self.offset_terms = [], []
        for block, weights, half in zip(self.blocks, self.layer_weights, self.halves):
            self.offsets.append(offset)
            window_offset = tf.tile(offset, [half])[None]  # (1, half·in)
            current = tf.gather(weights.current_full, weights.columns, axis=1)
            self.offset_terms.append(
                tf.matmul(offset[None], current)[0] + tf.matmul(window_offset, weights.left)[0]
            )  # (2p,) in the layer's group-by-group column order
            offset = offset + weights.output_bias if block.residual else weights.output_bias
        self.head_offset = tf.cast(offset, self.head_dtype)  # o_L: the head's input is x'_L + o_L

    # --- The vertical stack: one row of every layer from the row caches -------------

    def vertical_rows(self, row, previous_row, vertical_caches):
        """Row `row` of every layer's vertical stack; returns the link rows and caches."""
        spatial_row = (
            None
            if self.spatial_condition is None
            else tf.gather(self.spatial_condition, [row], axis=1)
        )  # (B, 1, W, S), static shape
        new_caches, link_rows = [], []
        # The vertical stack's input is the image shifted down: row r holds image row r − 1.
        incoming = previous_row[:, None]  # (B, 1, W, in)
        for block, cache in zip(self.blocks, vertical_caches):
            cache, incoming, link = block.vertical_row(
                cache, incoming, self.global_condition, spatial_row
            )  # incoming: (B, 1, W, p), the next layer's input row
            new_caches.append(cache)
            link_rows.append(link[:, 0])  # (B, W, 2p)
        return link_rows, new_caches

    # --- The horizontal stack: one pixel -------------------------------------------

    def group_pass(self, group, lefts, pixel, passes):
        """Colour group `group` of every layer and of the head at the current pixel, given
        its (partly drawn) value `pixel` `[B, C]`; returns the head's outputs `[B, L]`
        (a mixture: `[B, P]`). `passes` holds what earlier groups' passes computed: per
        layer the group parts of its input x' and of its gated units, and the head's
        hidden parts; this pass appends group `group`'s."""
        inputs, gated, hidden = passes
        for i, (block, weights) in enumerate(zip(self.blocks, self.layer_weights)):
            x = pixel if i == 0 else concat(inputs[i])  # (B, rows): groups ≤ group
            pre = lefts[i][group] + tf.matmul(x, weights.current[group])  # (B, 2 n_k)
            gated[i].append(gated_activation(pre))
            h = tf.matmul(concat(gated[i]), weights.output[group])  # (B, n_k), no bias
            inputs[i + 1].append(inputs[i][group] + h if block.residual else h)
        head = self.head
        top = tf.cast(concat(inputs[-1]), self.head_dtype)  # (B, features of groups ≤ k)
        top = top + self.head_offset[: head.top_ends[group]]
        hidden.append(tf.matmul(tf.nn.relu(top), head.hidden[group]) + head.hidden_bias[group])
        return tf.matmul(tf.nn.relu(concat(hidden)), head.logits[group]) + head.logits_bias[group]

    def draw_pixel_values(self, lefts, row, column, logits_array, draw_pixel, draw_subpixel):
        """The C values of (row, column), the first layer's input of the pixel and the
        passes' state."""
        # The first layer's input with the sub-pixels drawn so far (the rest 0: the mask
        # hides them from every pass that could see them).
        pixel = self.input_features(tf.zeros([self.batch, self.channels], tf.int32))
        uniform = self.uniform[:, row, column]
        layers = len(self.blocks)
        passes = ([[]] + [[] for _ in range(layers)], [[] for _ in range(layers)], [])
        if self.whole_pixel:
            params = self.group_pass(0, lefts, pixel, passes)  # (B, P)
            if self.return_logits:
                logits_array = logits_array.write(row * self.width + column, params)
            drawn = draw_pixel(params, uniform, row, column)  # (B, C)
            pixel = self.input_features(drawn)
            return tf.unstack(drawn, self.channels, axis=-1), pixel, passes, logits_array
        values = []
        for channel in range(self.channels):
            logits = self.group_pass(channel, lefts, pixel, passes)
            if self.return_logits:
                step = (row * self.width + column) * self.channels + channel
                logits_array = logits_array.write(step, logits)
            value = draw_subpixel(logits, uniform[:, channel], row, column, channel)  # (B,)
            values.append(value)
            drawn = tf.stack(values + [tf.zeros_like(value)] * (self.channels - 1 - channel), -1)
            pixel = self.input_features(drawn)  # (B, input channels)
        return values, pixel, passes, logits_array

    def pixel_step(self, row, column, link_columns, windows, row_values, logits_array, hooks):
        """Draws the C sub-pixels of (row, column); returns the updated windows.

        `link_columns`: `[W, B, Σ 2p]`, every layer's link term of the row by column (each
        layer's columns in its group-by-group order); `windows`: per layer
        `[B, half·in]`, the inputs x' of the last `half` pixels.
        """
        links = tf.split(tf.gather(link_columns, column), len(self.blocks), axis=-1)
        lefts = [
            split(tf.matmul(window, weights.left) + link, weights.left_sizes)
            for window, weights, link in zip(windows, self.layer_weights, links)
        ]  # per layer and group (B, 2 n_k): everything but the current-pixel tap
        values, pixel, passes, logits_array = self.draw_pixel_values(
            lefts, row, column, logits_array, *hooks
        )
        # After the last pass every group of every layer's input is final (group k of a
        # layer never depends on sub-pixels ≥ k); the first layer's input is the pixel.
        layer_inputs = [pixel] + [concat(parts) for parts in passes[0][1:-1]]
        windows = [
            tf.concat([window[:, channels:], layer_input], axis=1)
            for window, layer_input, channels in zip(windows, layer_inputs, self.in_channels)
        ]
        column_mask = tf.one_hot(column, self.width, dtype=tf.int32)[None, :, None]  # (1, W, 1)
        row_values = row_values + column_mask * tf.stack(values, axis=-1)[:, None]
        return windows, row_values, logits_array

    # --- The loops ------------------------------------------------------------------

    def row_step(self, row, images, previous_row, vertical_caches, logits_array, hooks):
        link_rows, vertical_caches = self.vertical_rows(row, previous_row, vertical_caches)
        link_columns = tf.transpose(
            tf.concat(
                [
                    tf.gather(link, weights.columns, axis=-1) + term
                    for link, weights, term in zip(link_rows, self.layer_weights, self.offset_terms)
                ],
                axis=-1,
            ),
            [1, 0, 2],
        )  # (W, B, Σ 2p), each layer's columns group by group
        windows = [
            tf.tile(-offset[None], [self.batch, half])
            for offset, half in zip(self.offsets, self.halves)
        ]  # (B, half·in): x = 0 left of the image

        def column_step(column, windows, row_values, logits_array):
            windows, row_values, logits_array = self.pixel_step(
                row, column, link_columns, windows, row_values, logits_array, hooks
            )
            return column + 1, windows, row_values, logits_array

        row_values = tf.zeros([self.batch, self.width, self.channels], tf.int32)
        _, _, row_values, logits_array = tf.while_loop(
            lambda column, *_: column < self.width,
            column_step,
            (tf.constant(0), windows, row_values, logits_array),
        )
        row_mask = tf.one_hot(row, self.height, dtype=tf.int32)[None, :, None, None]
        images = images + row_mask * row_values[:, None]  # (B, H, W, C)
        previous_row = self.input_features(row_values)  # (B, W, input channels)
        return row + 1, images, previous_row, vertical_caches, logits_array

    def run(self, draw_pixel, draw_subpixel):
        batch, height, width, channels = self.batch, self.height, self.width, self.channels
        hooks = (draw_pixel, draw_subpixel)
        vertical_caches = [
            block.vertical_cache(batch, width, c, self.dtype)
            for block, c in zip(self.blocks, self.in_channels)
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
                tf.zeros([batch, width, self.in_channels[0]], self.dtype),  # "row −1": zeros
                vertical_caches,
                logits_array,
            ),
        )
        if not self.return_logits:
            return images
        logits = tf.transpose(logits_array.stack(), [1, 0, 2])  # (B, H·W·groups, outputs)
        if self.whole_pixel:
            return images, tf.reshape(logits, [batch, height, width, self.outputs_per_step])
        return images, tf.reshape(logits, [batch, height, width, channels, self.levels])
