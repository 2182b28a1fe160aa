"""What the cached sampler needs of a model: the protocol of a two-stack PixelCNN.

The cached sampler (and completion and compression, which run its pass) read a model
through these attributes only, not through its class, so `sampling` sits below
`models` in the package: models import samplers, never the other way round.
"""

from typing import Protocol, Sequence, Tuple, runtime_checkable

from tf_pixelcnn.distributions.pixel_distribution import PixelDistribution

# The public steps every gated block of the model must have (see
# `layers.gated_block.GatedBlock`): the sampler calls these, never a block's sub-layers.
BLOCK_ATTRIBUTES = (
    "vertical_cache", "vertical_row", "pixel_step_weights", "receptive_half", "residual",
)  # fmt: skip


@runtime_checkable
class TwoStackModel(Protocol):
    """A Gated PixelCNN as the cached sampler sees it (`models.GatedPixelCNN` is one).

    Attributes:
        image_shape: `(H, W, C)`.
        num_levels: values per sub-pixel.
        kernel_size: n of the n×n receptive field of each layer.
        filters: channels p of each stack.
        pixel_distribution: the distribution of a pixel given the head's outputs
            (`tf_pixelcnn.distributions.pixel_distribution.PixelDistribution`).
        blocks: the gated blocks, first to last (`BLOCK_ATTRIBUTES` each).
        output_head: a `PixelOutputHead`: its `pixel_step_weights` and `compute_dtype`.
        compute_dtype: the dtype the blocks compute in.
        input_channels: channels of the first layer's input (`input_features`).
    """

    image_shape: Tuple[int, int, int]
    num_levels: int
    kernel_size: int
    filters: int
    pixel_distribution: PixelDistribution
    blocks: Sequence
    output_head: object
    compute_dtype: str

    input_channels: int

    def input_features(self, values):
        """What the first layer reads of pixel values `int [..., C]`: `[..., input_channels]`."""

    def conditioning(self, condition):
        """`(global condition [B, D] or None, spatial condition [B, H, W, S] or None)`."""

    def check_images(self, images):
        """Checked integer images `[B, H, W, C]`."""

    def checked_condition(self, condition):
        """The checked condition: h `[B, D]`, the scaled auxiliary image x̂ `[B, h, w, c]`,
        or None (raises for a missing or unexpected one)."""


def supports_cached_sampling(model) -> bool:
    """Whether `model` follows `TwoStackModel` with gated blocks (vertical and horizontal
    stacks); e.g. `GatedPixelCNN` and an auto-encoder's decoder, not `PixelCNN`."""
    if not isinstance(model, TwoStackModel):
        return False
    blocks = model.blocks
    return len(blocks) > 0 and all(
        all(hasattr(block, name) for name in BLOCK_ATTRIBUTES) for block in blocks
    )
