"""The cached sampler: exact Gated PixelCNN sampling at the cost of about C forward passes.

The two stacks make caching simple (Ramachandran et al. 2017 did it for PixelCNN++):

- The vertical stack runs one row behind the image, so its row r depends on image rows
  < r only. Once row r − 1 is sampled, row r of every layer's vertical stack is computed
  at once from a cache of the last ⌈n/2⌉ rows of that layer's input (one (⌈n/2⌉×n)
  convolution over a [⌈n/2⌉, W] window per layer and row), together with the 1×1 link
  into the horizontal stack and the conditioning biases of the row.
- The horizontal stack at pixel (r, c) depends on columns c − ⌊n/2⌋ … c of the layer
  below in the same row. A per-layer window of the last ⌊n/2⌋ columns holds the final
  values of the pixels to the left; their contribution is computed once per pixel. Only
  the current-pixel tap, masked by colour group, is evaluated again for each of the C
  sub-pixels. A logistic-mixture output draws the whole pixel from one pass (one colour
  group).

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

from tf_pixelcnn import logistic_mixture
from tf_pixelcnn.layers.gated_block import gated_activation
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.sampling import random_stream


def supports_cached_sampling(model) -> bool:
    """Every `GatedPixelCNN` (softmax or logistic-mixture output)."""
    return isinstance(model, GatedPixelCNN)


def dense_weights(conv_layer, dtype):
    """`(kernel [in, out], bias [out])` of a biased 1×1 convolution, masks applied."""
    kernel = conv_layer.kernel
    if hasattr(conv_layer, "mask"):
        kernel = kernel * tf.constant(conv_layer.mask)
    return tf.cast(kernel[0, 0], dtype), tf.cast(conv_layer.bias, dtype)


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
    height, width, channels = model.image_shape
    levels, half = model.num_levels, model.kernel_size // 2
    components = model.num_mixture_components
    if components and draw_pixel is None:
        draw_pixel = lambda params, u, row, column: logistic_mixture.sample_pixels(  # noqa: E731
            params, u, components, channels, levels, log_scale_reduction, mixture_mode
        )
    groups = 1 if components else channels  # a mixture draws the whole pixel at once
    outputs_per_step = (
        logistic_mixture.num_parameters(components, channels) if components else levels
    )
    dtype = model.compute_dtype
    blocks = model.blocks
    # Static batch where known (shapes stay fixed through the loops, XLA needs them).
    batch = uniform.shape[0] if uniform.shape[0] is not None else tf.shape(uniform)[0]
    global_condition, spatial_condition = model.conditioning(condition)
    scale = 2.0 / (levels - 1)

    # Per-layer weights of the per-pixel step as matrices (masks applied once).
    left_kernels, current_kernels = [], []
    for block in blocks:
        kernel = tf.cast(block.horizontal_conv.masked_kernel()[0], dtype)  # (half + 1, in, 2p)
        left_kernels.append(tf.reshape(kernel[:-1], [-1, kernel.shape[-1]]))  # (half·in, 2p)
        current_kernels.append(kernel[-1])  # (in, 2p), colour-masked
    outputs = [dense_weights(block.horizontal_output, dtype) for block in blocks]
    hidden_kernel, hidden_bias = dense_weights(model.output_head.hidden, dtype)
    logits_kernel, logits_bias = dense_weights(model.output_head.logits, dtype)
    in_channels = [channels] + [model.filters] * (len(blocks) - 1)

    def condition_bias(projection, row):
        spatial_row = (
            None if spatial_condition is None else tf.gather(spatial_condition, [row], axis=1)
        )  # (B, 1, W, S), static shape
        return projection(global_condition, spatial_row)  # (B, 1, 1 or W, 2p)

    def vertical_row(row, previous_row, vertical_caches):
        """Row `row` of every layer's vertical stack; returns the link rows and caches."""
        new_caches, link_rows = [], []
        # The vertical stack's input is the image shifted down: row r holds image row r − 1.
        incoming = tf.pad(previous_row[:, None], [[0, 0], [0, 0], [half, half], [0, 0]])
        for block, cache in zip(blocks, vertical_caches):
            cache = tf.concat([cache[:, 1:], incoming], axis=1)  # (B, half + 1, W + 2h, in)
            new_caches.append(cache)
            v = block.vertical_conv.convolve(cache)  # (B, 1, W, 2p)
            if block.is_conditional:
                v = v + condition_bias(block.vertical_condition, row)
            link = block.vertical_to_horizontal(v) + tf.cast(block.horizontal_conv.bias, dtype)
            if block.is_conditional:
                link = link + condition_bias(block.horizontal_condition, row)
            link_rows.append(link[:, 0])  # (B, W, 2p)
            incoming = tf.pad(gated_activation(v), [[0, 0], [0, 0], [half, half], [0, 0]])
        return link_rows, new_caches

    def pixel_step(row, column, link_rows, windows, row_values, logits_array):
        """Samples the C sub-pixels of (row, column); returns the updated windows."""
        left = [
            tf.matmul(tf.reshape(window, [batch, -1]), kernel) + link_row[:, column]
            for window, kernel, link_row in zip(windows, left_kernels, link_rows)
        ]  # per layer (B, 2p): everything but the current-pixel tap
        pixel = tf.zeros([batch, channels], dtype)  # scaled values sampled so far
        values = []
        for channel in range(groups):
            inputs, layer_inputs = pixel, []
            for i, block in enumerate(blocks):
                layer_inputs.append(inputs)
                pre = left[i] + tf.matmul(inputs, current_kernels[i])  # (B, 2p)
                out_kernel, out_bias = outputs[i]
                h = tf.matmul(gated_activation(pre), out_kernel) + out_bias  # (B, p)
                inputs = inputs + h if block.residual else h
            hidden = tf.matmul(tf.nn.relu(inputs), hidden_kernel) + hidden_bias
            if components:
                params = tf.matmul(tf.nn.relu(hidden), logits_kernel) + logits_bias  # (B, P)
                params = tf.cast(params, tf.float32)
                if return_logits:
                    logits_array = logits_array.write(row * width + column, params)
                drawn = draw_pixel(params, uniform[:, row, column], row, column)  # (B, C)
                values = tf.unstack(drawn, channels, axis=-1)
                pixel = tf.cast(drawn, dtype) * scale - 1.0
                continue
            first, last = channel * levels, (channel + 1) * levels
            logits = (
                tf.matmul(tf.nn.relu(hidden), logits_kernel[:, first:last])
                + logits_bias[first:last]
            )  # (B, L)
            logits = tf.cast(logits, tf.float32)
            if return_logits:
                step = (row * width + column) * channels + channel
                logits_array = logits_array.write(step, logits)
            if draw_subpixel is None:
                value = random_stream.inverse_cdf_sample(
                    logits, uniform[:, row, column, channel], temperature
                )  # (B,)
            else:
                value = draw_subpixel(
                    logits, uniform[:, row, column, channel], row, column, channel
                )  # (B,)
            values.append(value)
            one_hot = tf.one_hot(channel, channels, dtype=dtype)
            pixel = pixel + one_hot * (tf.cast(value, dtype)[:, None] * scale - 1.0)
        # The image input of the first layer is the complete pixel. The features of later
        # layers never depend on the pixel's last sub-pixel (colour masks), so the inputs
        # of the last channel's pass are their final values. Shift them into the windows.
        layer_inputs[0] = pixel
        windows = [
            tf.concat([window[:, 1:], layer_input[:, None]], axis=1)
            for window, layer_input in zip(windows, layer_inputs)
        ]
        column_mask = tf.one_hot(column, width, dtype=tf.int32)[None, :, None]  # (1, W, 1)
        row_values = row_values + column_mask * tf.stack(values, axis=-1)[:, None]
        return windows, row_values, logits_array

    def row_step(row, images, previous_row, vertical_caches, logits_array):
        link_rows, vertical_caches = vertical_row(row, previous_row, vertical_caches)
        windows = [tf.zeros([batch, half, c], dtype) for c in in_channels]  # left padding

        def column_step(column, windows, row_values, logits_array):
            windows, row_values, logits_array = pixel_step(
                row, column, link_rows, windows, row_values, logits_array
            )
            return column + 1, windows, row_values, logits_array

        _, _, row_values, logits_array = tf.while_loop(
            lambda column, *_: column < width,
            column_step,
            (tf.constant(0), windows, tf.zeros([batch, width, channels], tf.int32), logits_array),
        )
        row_mask = tf.one_hot(row, height, dtype=tf.int32)[None, :, None, None]  # (1, H, 1, 1)
        images = images + row_mask * row_values[:, None]
        previous_row = tf.cast(row_values, dtype) * scale - 1.0  # (B, W, C)
        return row + 1, images, previous_row, vertical_caches, logits_array

    vertical_caches = [tf.zeros([batch, half + 1, width + 2 * half, c], dtype) for c in in_channels]
    logits_array = tf.TensorArray(
        tf.float32,
        size=height * width * groups if return_logits else 0,
        element_shape=tf.TensorShape([None, outputs_per_step]) if return_logits else None,
    )
    _, images, _, _, logits_array = tf.while_loop(
        lambda row, *_: row < height,
        row_step,
        (
            tf.constant(0),
            tf.zeros([batch, height, width, channels], tf.int32),
            tf.zeros([batch, width, channels], dtype),  # "row −1": the shift's zero row
            vertical_caches,
            logits_array,
        ),
    )
    if not return_logits:
        return images
    logits = tf.transpose(logits_array.stack(), [1, 0, 2])  # (B, H·W·groups, outputs)
    if components:
        return images, tf.reshape(logits, [batch, height, width, outputs_per_step])
    return images, tf.reshape(logits, [batch, height, width, channels, levels])
