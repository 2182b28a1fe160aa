"""A Gated PixelCNN prior over a grid of discrete codes (the prior of a VQ-VAE)."""

from typing import Optional, Sequence

import keras
import tensorflow as tf

from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.models.autoregressive_image_model import ValuesSpec
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.models.head_width import STACK_WIDTH
from tf_pixelcnn.models.head_width import OutputFilters

MAX_CODES = 65535  # what the compressed-data header's num_levels field holds


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class CodePixelCNN(GatedPixelCNN):
    """p(z) over a `[h, w]` grid of codes z ∈ {0, …, K − 1}: a K-way softmax per position.

    The prior of a VQ-VAE (van den Oord et al. 2017, §3.2: "we fit an autoregressive
    distribution over z, p(z), ... a PixelCNN") and of each level of VQ-VAE-2 (Razavi et
    al. 2019, §3.2: the bottom prior conditioned on the class and on the top-level codes).
    A `GatedPixelCNN` over an image of shape `(h, w, 1)` with `num_levels = K`, except
    that codes are unordered, so they enter through a learned embedding `[K, E]` instead
    of value scaling (`input_features`), and a conditioning code map through its own
    embedding into f_w (`condition_image_features`, `ImageConditionNetwork`).

    Everything built for images works on codes unchanged: `tpc.sample` (the cached
    sampler), `tpc.complete`, `log_prob`, training, the SavedModel export (`codes`
    int32) and lossless compression. Codes are `int [batch, h, w, 1]` in the Python API
    (images of one channel).

    Args:
        grid_shape: `(h, w)` of the code grid.
        num_codes: K, 2 to 65,535.
        embedding_dim: E, the width of a code's learned embedding.
        num_layers, filters, kernel_size, first_kernel_size, output_filters, dropout_rate:
            As `GatedPixelCNN`. With a large K, `output_filters` is the width the K logits
            are predicted from (default: `max(filters, min(256, K))`).
        num_classes: Conditions on integer labels `[batch]` (one-hot h, eq. 4 of van den
            Oord et al. 2016), or None.
        spatial_condition, spatial_condition_filters: As `GatedPixelCNN` (labels through
            m(h)); S is also the channels of f_w's map with `condition_grid_shape`.
        condition_grid_shape: Conditions on a code map `int [batch, h', w', 1]` of another
            grid (VQ-VAE-2's top codes): embedded, resized to `(h, w)` and through f_w
            to every layer (location-dependent, eq. 5). Not with `num_classes`.
        condition_num_codes: K' of the conditioning map.
        condition_embedding_dim: Width of the conditioning codes' embedding.
        condition_hidden_filters, condition_layers_per_resolution: Width and depth of f_w
            (`ImageConditionNetwork`).

    Example:
        >>> prior = CodePixelCNN(grid_shape=(4, 4), num_codes=512, embedding_dim=8,
        ...                      num_layers=2, filters=8, kernel_size=3)
        >>> codes = tf.zeros([2, 4, 4, 1], tf.int32)
        >>> prior.log_prob(codes).shape
        TensorShape([2])

    References:
        van den Oord, Vinyals, Kavukcuoglu 2017, "Neural Discrete Representation
        Learning", §3.2, §4.2; Razavi, van den Oord, Vinyals 2019, "Generating Diverse
        High-Fidelity Images with VQ-VAE-2", §3.2; van den Oord et al. 2016,
        "Conditional Image Generation with PixelCNN Decoders", §2.
    """

    model_kind = "CodePixelCNN"
    max_levels = MAX_CODES
    # Served as a VQ-VAE encoder gives them: int32 "codes" [B, h, w], no channel axis.
    values_spec = ValuesSpec(
        "codes", tf.int32, channel_axis=False, condition_name="condition_codes",
        log_prob_name="code_log_prob", bits_name="bits_per_code",
    )  # fmt: skip

    def __init__(
        self,
        grid_shape: Sequence[int],
        num_codes: int,
        embedding_dim: int = 64,
        num_layers: int = 15,
        filters: int = 128,
        kernel_size: int = 5,
        first_kernel_size: Optional[int] = None,
        output_filters: OutputFilters = None,
        num_classes: Optional[int] = None,
        spatial_condition: bool = False,
        spatial_condition_filters: int = 32,
        condition_grid_shape: Optional[Sequence[int]] = None,
        condition_num_codes: Optional[int] = None,
        condition_embedding_dim: int = 32,
        condition_hidden_filters: int = 32,
        condition_layers_per_resolution: int = 1,
        dropout_rate: float = 0.0,
        **kwargs,
    ):
        grid_shape = _grid(grid_shape, "grid_shape")
        condition_image_shape = None
        if condition_grid_shape is not None:
            if condition_num_codes is None:
                raise ValueError(
                    "condition_grid_shape needs condition_num_codes (K' of the conditioning "
                    f"codes). Received: condition_grid_shape={condition_grid_shape}, "
                    "condition_num_codes=None."
                )
            condition_image_shape = (*_grid(condition_grid_shape, "condition_grid_shape"), 1)
        for name, value in (
            ("embedding_dim", embedding_dim), ("condition_embedding_dim", condition_embedding_dim)
        ):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}.")
        self.embedding_dim = embedding_dim
        self.condition_embedding_dim = condition_embedding_dim
        super().__init__(
            image_shape=(*grid_shape, 1),
            num_layers=num_layers,
            filters=filters,
            kernel_size=kernel_size,
            num_levels=num_codes,
            num_classes=num_classes,
            spatial_condition=spatial_condition,
            spatial_condition_filters=spatial_condition_filters,
            dropout_rate=dropout_rate,
            first_kernel_size=first_kernel_size,
            output_filters=output_filters,
            condition_image_shape=condition_image_shape,
            condition_image_levels=condition_num_codes or 256,
            condition_image_hidden_filters=condition_hidden_filters,
            condition_image_layers_per_resolution=condition_layers_per_resolution,
            **kwargs,
        )

    @classmethod
    def saved_without_head_width(cls, config) -> bool:
        """Configs written before the default head width saved `output_filters: None`."""
        return config.get("output_filters") is None

    def _make_input_layers(self):
        """The code embedding `[K, E]` and, with a code map condition, its `[K', E']`."""
        self.code_embedding = keras.layers.Embedding(
            self.num_levels, self.embedding_dim, name="code_embedding", dtype=self.dtype_policy
        )
        self.condition_embedding = None
        if self.condition_image_shape is not None:
            self.condition_embedding = keras.layers.Embedding(
                self.condition_image_levels, self.condition_embedding_dim,
                name="condition_embedding", dtype=self.dtype_policy,
            )  # fmt: skip

    @property
    def num_codes(self) -> int:
        """K."""
        return self.num_levels

    @property
    def grid_shape(self):
        """`(h, w)`."""
        return self.image_shape[:2]

    @property
    def condition_grid_shape(self):
        """`(h', w')` of the conditioning code map, or None."""
        return None if self.condition_image_shape is None else self.condition_image_shape[:2]

    def input_features(self, values) -> tf.Tensor:
        """Codes `int [..., 1]` → their embeddings `[..., E]` (compute dtype)."""
        return tf.cast(self.code_embedding(values[..., 0]), self.compute_dtype)

    @property
    def input_channels(self) -> int:
        return self.embedding_dim

    def condition_image_features(self, values) -> tf.Tensor:
        """The conditioning codes `int32 [B, h', w', 1]` → embeddings `[B, h', w', E']`."""
        return tf.cast(self.condition_embedding(values[..., 0]), self.compute_dtype)

    @property
    def condition_image_channels(self) -> Optional[int]:
        return None if self.condition_embedding is None else self.condition_embedding_dim

    def build(self, input_shape=None):
        build_once(self.code_embedding, (None,))
        if self.condition_embedding is not None:
            build_once(self.condition_embedding, (None,))
        super().build(input_shape)

    def get_config(self):
        base = super().get_config()
        config = {key: base[key] for key in ("name", "trainable", "dtype") if key in base}
        config.update(
            grid_shape=list(self.grid_shape),
            num_codes=self.num_codes,
            embedding_dim=self.embedding_dim,
            num_layers=self.num_layers,
            filters=self.filters,
            kernel_size=self.kernel_size,
            first_kernel_size=self.first_kernel_size,
            # Saved as None before the default width existed (`saved_without_head_width`).
            output_filters=None if self.output_filters == STACK_WIDTH else self.output_filters,
            num_classes=self.num_classes,
            spatial_condition=self.spatial_condition,
            spatial_condition_filters=self.spatial_condition_filters,
            condition_grid_shape=(
                None if self.condition_grid_shape is None else list(self.condition_grid_shape)
            ),
            condition_num_codes=(
                None if self.condition_image_shape is None else self.condition_image_levels
            ),
            condition_embedding_dim=self.condition_embedding_dim,
            condition_hidden_filters=self.condition_image_hidden_filters,
            condition_layers_per_resolution=self.condition_image_layers_per_resolution,
            dropout_rate=self.dropout_rate,
        )
        return config


def _grid(shape: Sequence[int], name: str):
    """`(h, w)` as ints ≥ 1, else ValueError naming `name`."""
    grid = tuple(int(d) for d in shape)
    if len(grid) != 2 or min(grid) < 1:
        raise ValueError(f"{name} must be (height, width) >= 1. Received: {name}={tuple(shape)}.")
    return grid
