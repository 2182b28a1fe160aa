"""The original PixelCNN: masked convolutions with ReLUs (blind spot included)."""

from typing import List, Optional, Sequence

import keras
import tensorflow as tf

from tf_pixelcnn.distributions.categorical import Categorical
from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.numbered_layers import numbered_layers
from tf_pixelcnn.layers.numbered_layers import set_numbered_layers
from tf_pixelcnn.layers.condition_projection import ConditionProjection
from tf_pixelcnn.layers.masked_conv2d import MaskedConv2D
from tf_pixelcnn.layers.pixel_output_head import PixelOutputHead
from tf_pixelcnn.models.autoregressive_image_model import AutoregressiveImageModel
from tf_pixelcnn.models.gated_pixel_cnn import check_head_arguments
from tf_pixelcnn.models.gated_pixel_cnn import check_layer_arguments
from tf_pixelcnn.models.head_width import OutputFilters
from tf_pixelcnn.models.head_width import SavedHeadWidth
from tf_pixelcnn.models.head_width import head_config
from tf_pixelcnn.models.head_width import head_width
from tf_pixelcnn.models.head_width import resolve_output_filters


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class PixelCNN(SavedHeadWidth, AutoregressiveImageModel):
    """The original PixelCNN, the baseline of van den Oord et al. 2016, Table 1.

    A mask "A" convolution of size `first_kernel_size`, then `num_layers - 1` residual
    layers `x + conv_B(dropout(ReLU(x + cond)))` with n×n mask "B" convolutions (dropout
    in training only, on the residual branch, as in `GatedBlock`; elementwise, so still
    causal), then the same
    output head as `GatedPixelCNN`. Stacked n×n masks cannot see the region above and to
    the right of a pixel beyond the kernel's diagonal: the blind spot that the gated
    model's two stacks remove. Same interface and conditioning as `GatedPixelCNN`.

    Args:
        image_shape: `(height, width, channels)`, channels 1 or 3.
        num_layers: Masked convolutions, the first included.
        filters: Channels of every layer (at least `channels`).
        kernel_size: Odd n of the mask "B" layers.
        first_kernel_size: Odd size of the first, mask "A", layer (7 in the paper).
        dropout_rate: Fraction of each residual branch's units dropped in training.
        output_filters: Width of the output head's hidden 1×1 layer; None: the default
            width, `"filters"`: as wide as the layers (see `GatedPixelCNN`).
        num_levels, num_classes, condition_dim, spatial_condition,
        spatial_condition_filters, condition_image_*: As for `GatedPixelCNN`
            (`spatial_condition_filters`: S, the channels of s = m(h) or s = f_w(x̂)).

    Example:
        >>> model = PixelCNN(image_shape=(8, 8, 3), num_layers=3, filters=6, num_levels=4)
        >>> model(tf.zeros([1, 8, 8, 3], tf.int32)).shape
        TensorShape([1, 8, 8, 3, 4])

    References:
        van den Oord, Kalchbrenner, Kavukcuoglu 2016, "Pixel Recurrent Neural Networks",
        §3.5; van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
        Decoders", §2.2 (blind spot) and Table 1.
    """

    model_kind = "PixelCNN"  # no cached pass: not compressible

    def __init__(
        self,
        image_shape: Sequence[int],
        num_layers: int = 15,
        filters: int = 128,
        kernel_size: int = 3,
        first_kernel_size: int = 7,
        num_levels: int = 256,
        num_classes: Optional[int] = None,
        condition_dim: Optional[int] = None,
        spatial_condition: bool = False,
        spatial_condition_filters: int = 32,
        dropout_rate: float = 0.0,
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
        self.dropout_rate = dropout_rate
        self.num_layers = num_layers
        self.filters = filters
        self.kernel_size = kernel_size
        self.first_kernel_size = first_kernel_size
        channels = self.image_shape[2]
        self.output_filters = resolve_output_filters(
            output_filters, filters, channels * num_levels
        )
        set_numbered_layers(self, "masked_conv", self._make_convolutions())
        if self.is_conditional:
            set_numbered_layers(self, "condition", self._make_condition_projections())
        # Stateless apart from its seed: one layer serves every residual branch.
        self.dropout = (
            keras.layers.Dropout(dropout_rate, name="dropout", dtype=self.dtype_policy)
            if dropout_rate > 0
            else None
        )
        # float32 under any policy, as GatedPixelCNN's.
        self.output_head = PixelOutputHead(
            num_levels,
            self.image_shape[2],
            self.head_width,
            name="output_head",
            dtype="float32",
        )
        self.build()  # every shape is known: weights exist from construction on

    @property
    def head_width(self) -> int:
        """The output head's hidden width (`output_filters` resolved)."""
        return head_width(self.output_filters, self.filters)

    def _make_convolutions(self) -> List[MaskedConv2D]:
        """`num_layers` convolutions, `masked_conv_{i}`: mask "A" first, then "B"."""
        return [
            MaskedConv2D(
                self.filters,
                self.first_kernel_size if i == 0 else self.kernel_size,
                mask_type="A" if i == 0 else "B",
                num_color_groups=self.image_shape[2],
                name=f"masked_conv_{i}",
                dtype=self.dtype_policy,
            )
            for i in range(self.num_layers)
        ]

    def _make_condition_projections(self) -> List[ConditionProjection]:
        """One projection of h or s to `filters` channels per layer, `condition_{i}`."""
        return [
            ConditionProjection(
                self.filters,
                self.block_condition_dim,
                self.block_spatial_channels,
                name=f"condition_{i}",
                dtype=self.dtype_policy,
            )
            for i in range(self.num_layers)
        ]

    @property
    def convolutions(self):
        """The masked convolutions, first (mask "A") to last."""
        return numbered_layers(self, "masked_conv", self.num_layers)

    @property
    def pixel_distribution(self) -> Categorical:
        """A softmax over `num_levels` values per sub-pixel (see `GatedPixelCNN`'s)."""
        return Categorical(self.num_levels, self.image_shape[2])

    @property
    def condition_projections(self):
        """One `ConditionProjection` per layer (none if unconditional)."""
        return numbered_layers(self, "condition", self.num_layers) if self.is_conditional else []

    def build(self, input_shape=None):
        height, width, channels = self.image_shape
        self.build_condition_network()
        for i, convolution in enumerate(self.convolutions):
            build_once(convolution, (None, height, width, channels if i == 0 else self.filters))
        for projection in self.condition_projections:
            build_once(projection)
        build_once(self.output_head, (None, height, width, self.filters))
        self.built = True

    def network(self, x, condition=None, spatial_condition=None, training=False):
        convolutions, projections = self.convolutions, self.condition_projections

        def conditioned(features, i):
            if not projections:
                return features
            return features + projections[i](condition, spatial_condition)

        x = conditioned(convolutions[0](x), 0)  # (B, H, W, filters)
        for i in range(1, self.num_layers):
            branch = tf.nn.relu(conditioned(x, i))
            if self.dropout is not None:
                branch = self.dropout(branch, training=training)
            x = x + convolutions[i](branch)  # residual
        return self.output_head(x)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_layers=self.num_layers,
            filters=self.filters,
            kernel_size=self.kernel_size,
            first_kernel_size=self.first_kernel_size,
            dropout_rate=self.dropout_rate,
            **head_config(None, self.output_filters),
        )
        return config
