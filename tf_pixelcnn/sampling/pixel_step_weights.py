"""Compatibility names for the cached sampler's per-pixel weights, which the layers own now.

`GatedBlock.pixel_step_weights` and `PixelOutputHead.pixel_step_weights` build them, and
`tf_pixelcnn.layers.pixel_step` defines their types and explains the cut by colour group;
this module keeps the names it had before (`layer_weights`, `head_weights`,
`dense_weights`, `group_bounds`, `LayerWeights`, `HeadWeights`) for code that imported
them from here.
"""

from tf_pixelcnn.layers.pixel_step import HeadWeights, LayerWeights, group_bounds

__all__ = [
    "HeadWeights", "LayerWeights", "dense_weights", "group_bounds", "head_weights",
    "layer_weights",
]  # fmt: skip


def dense_weights(conv_layer, dtype):
    """`(kernel [in, out], bias [out])` of a 1×1 `MaskedConv2D`, mask applied."""
    return conv_layer.dense_weights(dtype)


def layer_weights(block, in_channels: int, num_groups: int, first: bool, dtype) -> LayerWeights:
    """`block.pixel_step_weights(in_channels, num_groups, first, dtype)` (a `GatedBlock`)."""
    return block.pixel_step_weights(in_channels, num_groups, first, dtype)


def head_weights(output_head, filters: int, num_groups: int, outputs_per_group: int):
    """`output_head.pixel_step_weights(filters, num_groups, outputs_per_group)` (a
    `PixelOutputHead`; float32 matrices)."""
    return output_head.pixel_step_weights(filters, num_groups, outputs_per_group)
