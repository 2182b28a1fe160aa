"""A layer's weights for one pixel step, cut by colour group (what the cached sampler runs).

With C colour groups (softmax outputs of an RGB image) the cached sampler draws a pixel
in C passes, R then G then B. In pass k only group k of every layer's features is new:
groups < k were final after their own pass, and groups > k are not needed yet (the colour
masks: group k of a layer sees groups ≤ k of the layer below, and the logits of colour k
see groups ≤ k of the head). So pass k multiplies by the blocks of the masked kernels
that map groups ≤ k to group k only, and the C passes together cost about one pass over
all features instead of C (the arithmetic of one horizontal stack per pixel).

Feature groups are contiguous channels (`layers.masks.channel_groups`), laid out within
each half of the 2p gate pre-activations [f, g]; the columns of group k are
`f[start:end]` and `g[start:end]`, gathered into one matrix per pass.

A logistic-mixture output draws whole pixels: one group, one pass, the full matrices.

The layers build these: `GatedBlock.pixel_step_weights` → `LayerWeights`,
`PixelOutputHead.pixel_step_weights` → `HeadWeights`.

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


def gate_columns(filters: int, num_groups: int) -> List[np.ndarray]:
    """Per colour group, its columns of the 2p gate pre-activations `[f, g]`:
    `f[start:end]` then `g[start:end]` (`int` arrays of 2·n_k indices)."""
    return [
        np.r_[start:end, filters + start : filters + end]
        for start, end in group_bounds(filters, num_groups)
    ]


class LayerWeights(NamedTuple):
    """One gated block's horizontal stack at the current pixel, by colour group k.

    `columns`: the 2p pre-activation columns reordered group by group ([f_0, g_0, f_1,
    g_1, ...]); `left`: `[half·in, 2p]` the taps of the pixels to the left, those
    columns; `left_sizes`: 2·n_k per group; `current[k]`: `[rows_k, 2·n_k]` the masked
    current-pixel tap from input groups ≤ k (every input channel for the first layer)
    to group k; `output[k]`: `[end_k, n_k]` the output 1×1 from gated groups ≤ k to
    group k; `output_bias`: `[p]`; `current_full`: `[in, 2p]` the masked current-pixel
    tap in the layer's own column order.
    """

    columns: np.ndarray
    left: tf.Tensor
    left_sizes: List[int]
    current: List[tf.Tensor]
    output: List[tf.Tensor]
    output_bias: tf.Tensor
    current_full: tf.Tensor


class HeadWeights(NamedTuple):
    """The output head by colour group k: `hidden[k]` `[end_k(p), m_k]` and its bias,
    `logits[k]` `[end_k(m), L]` (softmax: colour k's levels; mixture: every parameter)
    and its bias, where p is the top layer's width and m the head's hidden width;
    `top_ends[k]`: end_k(p)."""

    hidden: List[tf.Tensor]
    hidden_bias: List[tf.Tensor]
    logits: List[tf.Tensor]
    logits_bias: List[tf.Tensor]
    top_ends: List[int]
