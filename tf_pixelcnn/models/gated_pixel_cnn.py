"""Gated PixelCNN (van den Oord et al. 2016)."""

from typing import List, Optional, Sequence

import keras
import tensorflow as tf

from tf_pixelcnn.distributions import logistic_mixture
from tf_pixelcnn.distributions.categorical import Categorical
from tf_pixelcnn.distributions.logistic_mixture import LogisticMixture
from tf_pixelcnn.distributions.pixel_distribution import PixelDistribution

from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.numbered_layers import numbered_layers
from tf_pixelcnn.layers.numbered_layers import set_numbered_layers
from tf_pixelcnn.layers.gated_block import GatedBlock
from tf_pixelcnn.layers.gated_block import check_dropout_rate
from tf_pixelcnn.layers.gated_block import shift_down
from tf_pixelcnn.layers.pixel_output_head import PixelOutputHead
from tf_pixelcnn.models.autoregressive_image_model import AutoregressiveImageModel
from tf_pixelcnn.models.head_width import OutputFilters
from tf_pixelcnn.models.head_width import SavedHeadWidth
from tf_pixelcnn.models.head_width import check_output_filters
from tf_pixelcnn.models.head_width import head_config
from tf_pixelcnn.models.head_width import head_width
from tf_pixelcnn.models.head_width import resolve_output_filters


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class GatedPixelCNN(SavedHeadWidth, AutoregressiveImageModel):
    """Gated PixelCNN: stacked `GatedBlock`s with vertical and horizontal stacks.

    The first block uses mask "A" on the image, the others mask "B" with a residual in
    the horizontal stack; the horizontal stack's output goes through ReLU → masked 1×1 →
    ReLU → masked 1×1 to a softmax over `num_levels` values per sub-pixel. The receptive
    field of pixel (r, c) is every pixel above it within ⌊n/2⌋·layers columns and every
    pixel to its left within ⌊n/2⌋·layers columns: no blind spot.

    Under a mixed-precision policy the blocks compute in 16 bits and the output head in
    float32 (see `AutoregressiveImageModel`).

    Args:
        image_shape: `(height, width, channels)`, channels 1 or 3.
        num_layers: Gated blocks (the paper's setup, §3.1, for CIFAR-10 and ImageNet: 20;
            the default 15 is a smaller model).
        filters: Channels p of each stack (the paper: 384 hidden units; default 128). At
            least `channels`.
        kernel_size: Odd n ≥ 3 of every layer's n×n receptive field (the paper: 5×5
            filters).
        first_kernel_size: Odd n of the first, mask "A", block; None: `kernel_size`. The
            original PixelCNN's first layer is 7×7 (`PixelCNN`'s `first_kernel_size`),
            as in many reimplementations of the gated model.
        output_filters: Width of the output head's hidden 1×1 layer. None (default):
            `max(filters, min(256, outputs per pixel))` — 256 for a 256-level RGB
            softmax, `filters` for few outputs (`models.head_width`); `"filters"`: as
            wide as the stacks, the width of models saved before this option existed
            (their configs load with it). The PixelRNN paper's CIFAR-10 and ImageNet
            models use 1,024-wide output layers (its §5 and Table 4); the README's
            ablations measure the effect on photos.
        num_levels: Values per sub-pixel, 2 to 256.
        num_classes: Integer labels `[batch]` → one-hot h (eq. 4), or None.
        condition_dim: Float vectors `[batch, condition_dim]` as h (eq. 4), or None.
        spatial_condition: Condition through s = m(h) and 1×1 convolutions (eq. 5).
        spatial_condition_filters: S, the channels of the spatial map s, whether s = m(h)
            or s = f_w(x̂) (`condition_image_shape`; see `AutoregressiveImageModel`).
        num_mixture_components: Output a discretized mixture of this many logistics per
            pixel (PixelCNN++ with channel coupling; Kolesnikov & Lampert 2017) instead of
            a softmax per sub-pixel. The network then predicts all C values of a pixel
            from the pixels before it (one colour group), and `call` returns the mixture
            parameters `[B, H, W, tf_pixelcnn.distributions.logistic_mixture.num_parameters(K, C)]`.
            Sampled with the cached sampler (one pass per pixel) or the naive one: the
            same images.
        dropout_rate: Dropout in every block's horizontal stack in training (see
            `GatedBlock`); 0 by default.
        condition_image_shape, condition_image_levels, condition_image_hidden_filters,
        condition_image_layers_per_resolution: Conditioning on an auxiliary image x̂
            (see `AutoregressiveImageModel`).

    Example:
        >>> model = GatedPixelCNN(image_shape=(8, 8, 1), num_layers=2, filters=8,
        ...                       kernel_size=3, num_levels=4)
        >>> images = tf.zeros([2, 8, 8, 1], tf.int32)
        >>> model(images).shape
        TensorShape([2, 8, 8, 1, 4])
        >>> model.log_prob(images).shape
        TensorShape([2])

    References:
        van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves, Kavukcuoglu 2016,
        "Conditional Image Generation with PixelCNN Decoders", §2 and Fig. 2.
    """

    model_kind = "GatedPixelCNN"

    def __init__(
        self,
        image_shape: Sequence[int],
        num_layers: int = 15,
        filters: int = 128,
        kernel_size: int = 5,
        num_levels: int = 256,
        num_classes: Optional[int] = None,
        condition_dim: Optional[int] = None,
        spatial_condition: bool = False,
        spatial_condition_filters: int = 32,
        num_mixture_components: Optional[int] = None,
        dropout_rate: float = 0.0,
        first_kernel_size: Optional[int] = None,
        output_filters: OutputFilters = None,
        **kwargs,
    ):
        super().__init__(
            image_shape=image_shape,
            num_levels=num_levels,
            num_classes=num_classes,
            condition_dim=condition_dim,
            spatial_condition=spatial_condition,
            spatial_condition_filters=spatial_condition_filters,
            **kwargs,
        )
        check_layer_arguments(num_layers, filters, kernel_size, dropout_rate, self.image_shape[2])
        check_head_arguments(first_kernel_size, output_filters, self.image_shape[2])
        if num_mixture_components is not None and num_mixture_components < 1:
            raise ValueError(
                "num_mixture_components must be >= 1 or None. Received: "
                f"num_mixture_components={num_mixture_components}."
            )
        self.dropout_rate = dropout_rate
        self.num_layers = num_layers
        self.filters = filters
        self.kernel_size = kernel_size
        self.num_mixture_components = num_mixture_components
        self.first_kernel_size = first_kernel_size
        self.output_filters = resolve_output_filters(
            output_filters, filters, self.head_outputs_per_pixel
        )
        set_numbered_layers(self, "gated_block", self._make_blocks())
        self.output_head = self._make_output_head()
        self.build()  # every shape is known: weights exist from construction on

    def _make_blocks(self) -> List[GatedBlock]:
        """`num_layers` gated blocks, `gated_block_{i}`: mask "A" first, then "B"."""
        # A mixture predicts the whole pixel at once: the current pixel is one group.
        groups = 1 if self.num_mixture_components else self.image_shape[2]
        return [
            GatedBlock(
                self.filters,
                (self.first_kernel_size or self.kernel_size) if i == 0 else self.kernel_size,
                mask_type="A" if i == 0 else "B",
                num_color_groups=groups,
                condition_dim=self.block_condition_dim,
                spatial_condition_channels=self.block_spatial_channels,
                dropout_rate=self.dropout_rate,
                name=f"gated_block_{i}",
                dtype=self.dtype_policy,
            )
            for i in range(self.num_layers)
        ]

    @property
    def head_outputs_per_pixel(self) -> int:
        """Numbers the head predicts per pixel: C·L logits, or the mixture's parameters."""
        channels = self.image_shape[2]
        if self.num_mixture_components:
            return logistic_mixture.num_parameters(self.num_mixture_components, channels)
        return channels * self.num_levels

    @property
    def head_width(self) -> int:
        """The output head's hidden width (`output_filters` resolved)."""
        return head_width(self.output_filters, self.filters)

    def _make_output_head(self) -> PixelOutputHead:
        """Softmax logits `(B, H, W, C, L)`, or mixture parameters `(B, H, W, 1, P)`."""
        # float32 under any policy: logits rounded to 16 bits bias log p.
        channels, width = self.image_shape[2], self.head_width
        if self.num_mixture_components:
            outputs = self.head_outputs_per_pixel
            return PixelOutputHead(outputs, 1, width, name="output_head", dtype="float32")
        return PixelOutputHead(
            self.num_levels, channels, width, name="output_head", dtype="float32"
        )

    @property
    def blocks(self):
        """The `GatedBlock`s, first to last."""
        return numbered_layers(self, "gated_block", self.num_layers)

    def build(self, input_shape=None):
        height, width, _ = self.image_shape
        self.build_condition_network()
        image = (None, height, width, self.input_channels)
        features = (None, height, width, self.filters)
        for i, block in enumerate(self.blocks):
            build_once(block, (image, image) if i == 0 else (features, features))
        build_once(self.output_head, features)
        self.built = True

    def network(self, x, condition=None, spatial_condition=None, training=False):
        v, h = shift_down(x), x  # the vertical stack runs one row behind (see GatedBlock)
        for block in self.blocks:
            v, h = block(
                (v, h), condition=condition, spatial_condition=spatial_condition, training=training
            )
        outputs = self.output_head(h)  # float32 (B, H, W, C, L), or (B, H, W, 1, P)
        if self.num_mixture_components:
            return outputs[..., 0, :]  # (B, H, W, P) mixture parameters
        return outputs

    @property
    def pixel_distribution(self) -> PixelDistribution:
        """The distribution of a pixel given the network's outputs: a `Categorical` softmax
        per sub-pixel, or a `LogisticMixture` over the whole pixel. Samplers, completion
        and the coder draw, score and code pixels through it."""
        channels = self.image_shape[2]
        if self.num_mixture_components:
            return LogisticMixture(self.num_levels, channels, self.num_mixture_components)
        return Categorical(self.num_levels, channels)

    def pixel_log_prob(self, images, condition=None, training=False) -> tf.Tensor:
        """log p of every sub-pixel `[B, H, W, C]` (softmax), or of every pixel `[B, H, W]`
        (logistic mixture: its channels are modelled jointly)."""
        outputs = self(images, condition=condition, training=training)
        return self.pixel_distribution.log_prob(outputs, images)

    def log_prob(self, images, condition=None, training=False) -> tf.Tensor:
        """log p(x | condition) in nats, `float32 [batch]`."""
        pixel = self.pixel_log_prob(images, condition=condition, training=training)
        return tf.reduce_sum(pixel, axis=tf.range(1, tf.rank(pixel)))

    def get_config(self):
        config = super().get_config()
        config.update(
            num_layers=self.num_layers,
            filters=self.filters,
            kernel_size=self.kernel_size,
            num_mixture_components=self.num_mixture_components,
            dropout_rate=self.dropout_rate,
            **head_config(self.first_kernel_size, self.output_filters),
        )
        return config


def check_layer_arguments(
    num_layers: int, filters: int, kernel_size: int, dropout_rate: float, channels: int
) -> None:
    """Checks the layer stack's arguments (`GatedPixelCNN`, `PixelCNN`): `kernel_size` odd
    and ≥ 3, `num_layers` ≥ 1, `filters` ≥ `channels`, `dropout_rate` in [0, 1)."""
    masks.check_odd_kernel_size(kernel_size, minimum=3)
    if num_layers < 1:
        raise ValueError(f"num_layers must be >= 1. Received: num_layers={num_layers}.")
    if filters < channels:
        raise ValueError(
            f"filters must be >= channels so every colour group has a feature map. "
            f"Received: filters={filters}, channels={channels}."
        )
    check_dropout_rate(dropout_rate)


def check_head_arguments(
    first_kernel_size: Optional[int], output_filters: OutputFilters, channels: int
) -> None:
    """`first_kernel_size` odd and ≥ 3 or None; `output_filters` as
    `head_width.check_output_filters` wants it."""
    if first_kernel_size is not None:
        masks.check_odd_kernel_size(first_kernel_size, minimum=3)
    check_output_filters(output_filters, channels)
