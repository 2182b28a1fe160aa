"""The cached sampler's per-pixel weights: each layer's matrices cut to one colour group.

With C colour groups (softmax outputs of an RGB image) the cached sampler draws a pixel
in C passes, R then G then B. In pass k only group k of every layer's features is new:
groups < k were final after their own pass, and groups > k are not needed yet (the colour
masks: group k of a layer sees groups ≤ k of the layer below, and the logits of colour k
see groups ≤ k of the head). So pass k multiplies by the blocks of the masked kernels
that map groups ≤ k to group k only, and the C passes together cost about one pass over
all features instead of C (the arithmetic of one horizontal stack per pixel).

Feature groups are contiguous channels (`layers.masks.channel_groups`), laid out within
each half of the 2p gate pre-activations [f, g]; the columns of group k are
`f[start:end]` and `g[start:end]`, gathered here into one matrix per pass.

A logistic-mixture output draws whole pixels: one group, one pass, the full matrices.

References:
    van den Oord et al. 2016, "Pixel Recurrent Neural Networks", §3.4 (colour masks);
    "Conditional Image Generation with PixelCNN Decoders", §2.
"""

from typing import List, NamedTuple, Tuple

import numpy as np
import tensorflow as tf

from tf_pixelcnn.layers.masks import channel_groups


def group_bounds(num_channels: int, num_groups: int) -> List[Tuple[int, int]]:
    """`[(start, end)]` of each colour group's contiguous channels."""
    groups = channel_groups(num_channels, num_groups)
    return [(int(np.argmax(groups == g)), int(np.sum(groups <= g))) for g in range(num_groups)]


def dense_weights(conv_layer, dtype):
    """`(kernel [in, out], bias [out])` of a biased 1×1 convolution, masks applied."""
    kernel = conv_layer.kernel
    if hasattr(conv_layer, "mask"):
        kernel = kernel * tf.constant(conv_layer.mask)
    return tf.cast(kernel[0, 0], dtype), tf.cast(conv_layer.bias, dtype)


class LayerWeights(NamedTuple):
    """One gated block's horizontal stack at the current pixel, by colour group k.

    `columns`: the 2p pre-activation columns reordered group by group ([f_0, g_0, f_1,
    g_1, ...]); `left`: `[half·in, 2p]` the taps of the pixels to the left, those
    columns; `left_sizes`: 2·n_k per group; `current[k]`: `[rows_k, 2·n_k]` the masked
    current-pixel tap from input groups ≤ k (every input channel for the first layer)
    to group k; `output[k]`: `[end_k, n_k]` the output 1×1 from gated groups ≤ k to
    group k; `output_bias`: `[p]`.
    """

    columns: np.ndarray
    left: tf.Tensor
    left_sizes: List[int]
    current: List[tf.Tensor]
    output: List[tf.Tensor]
    output_bias: tf.Tensor
    current_full: tf.Tensor


def layer_weights(block, in_channels: int, num_groups: int, first: bool, dtype) -> LayerWeights:
    """The matrices of `block` (a `GatedBlock`) for the pixel step, cut by colour group."""
    kernel = tf.cast(block.horizontal_conv.masked_kernel()[0], dtype)  # (half+1, in, 2p)
    filters = kernel.shape[-1] // 2
    features = group_bounds(filters, num_groups)
    per_group = [np.r_[start:end, filters + start : filters + end] for start, end in features]
    columns = np.concatenate(per_group)
    in_ends = [in_channels if first else end for _, end in group_bounds(in_channels, num_groups)]
    left = tf.gather(tf.reshape(kernel[:-1], [-1, 2 * filters]), columns, axis=1)
    current = [
        tf.gather(kernel[-1, :rows], group_columns, axis=1)
        for rows, group_columns in zip(in_ends, per_group)
    ]  # (rows_k, 2 n_k)
    output_kernel, output_bias = dense_weights(block.horizontal_output, dtype)
    output = [output_kernel[:end, start:end] for start, end in features]  # (end_k, n_k)
    return LayerWeights(
        columns, left, [2 * (end - start) for start, end in features], current, output,
        output_bias, kernel[-1],
    )  # fmt: skip


class HeadWeights(NamedTuple):
    """The output head by colour group k: `hidden[k]` `[end_k(p), m_k]` and its bias,
    `logits[k]` `[end_k(m), L]` (softmax: colour k's levels; mixture: every parameter)
    and its bias, where p is the top layer's width and m the head's hidden width."""

    hidden: List[tf.Tensor]
    hidden_bias: List[tf.Tensor]
    logits: List[tf.Tensor]
    logits_bias: List[tf.Tensor]
    top_ends: List[int]


def head_weights(output_head, filters: int, num_groups: int, outputs_per_group: int):
    """The float32 matrices of `output_head` (a `PixelOutputHead`), cut by colour group."""
    hidden_kernel, hidden_bias = dense_weights(output_head.hidden, tf.float32)
    logits_kernel, logits_bias = dense_weights(output_head.logits, tf.float32)
    top = group_bounds(filters, num_groups)
    hidden = group_bounds(hidden_kernel.shape[-1], num_groups)
    outputs = [(k * outputs_per_group, (k + 1) * outputs_per_group) for k in range(num_groups)]
    return HeadWeights(
        [hidden_kernel[:top_end, start:end] for (_, top_end), (start, end) in zip(top, hidden)],
        [hidden_bias[start:end] for start, end in hidden],
        [logits_kernel[:hidden_end, s:e] for (_, hidden_end), (s, e) in zip(hidden, outputs)],
        [logits_bias[s:e] for s, e in outputs],
        [end for _, end in top],
    )
