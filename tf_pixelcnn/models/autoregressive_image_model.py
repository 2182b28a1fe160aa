"""Shared interface of the PixelCNN models: input checks, conditioning, log-categorical."""

import dataclasses
import warnings
from typing import Optional, Sequence

import keras
import tensorflow as tf

from tf_pixelcnn.distributions import categorical
from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.image_condition_network import ImageConditionNetwork
from tf_pixelcnn.layers.spatial_condition_network import SpatialConditionNetwork
from tf_pixelcnn.models import factorisation
from tf_pixelcnn.models.image_checks import check_image_shape, check_integer_images


@dataclasses.dataclass(frozen=True)
class ValuesSpec:
    """How a model's integer values are served outside Python (`serving.signatures`).

    Attributes:
        name: Input and output name of the values: "images" (`[B, H, W, C]`) or "codes".
        dtype: Their dtype: uint8 (images, levels ≤ 256) or int32 (codes, K ≤ 65,535).
        channel_axis: Whether the channel axis is served; False: `[B, H, W]` (C = 1).
        condition_name: Input name of an image condition (`condition_spec.kind ==
            "image"`), served with the same dtype and channel axis as the values.
        log_prob_name: Output name of the log-probability of every sub-pixel / code.
        bits_name: Output name of −log2 p / (H·W·C) per image.
    """

    name: str = "images"
    dtype: tf.DType = tf.uint8
    channel_axis: bool = True
    condition_name: str = "condition_image"
    log_prob_name: str = "pixel_log_prob"
    bits_name: str = "bits_per_dim"


class AutoregressiveImageModel(keras.Model):
    """Base class of models that give logits of every sub-pixel given the ones before it.

    p(x) = ∏_i p(x_i | x_<i) over pixels in raster order and, inside a pixel, R then G
    then B. Subclasses implement `network(x, condition, spatial_condition)` on images
    scaled to [-1, 1]; this class validates inputs, turns labels into one-hot vectors h,
    computes the spatial map s `[batch, H, W, S]` of location-dependent conditioning —
    s = m(h) (deconvolutional, `spatial_condition`) or s = f_w(x̂) (`condition_image_shape`)
    — and computes log-likelihoods. Both networks are stored as `condition_network` (the
    name saved files know); `spatial_condition_network` and `image_condition_network` give
    the one of each mode, or None.

    Every sub-layer follows the model's dtype policy (`dtype=`, else the global policy
    when the model is constructed), except the output head, which computes in float32
    under any policy: logits, mixture parameters and everything computed from them
    (likelihoods, sampling) are float32. `tf_pixelcnn.utils.float32_copy` gives a float32
    twin of a mixed-precision model (evaluation, sampling, export).

    Args:
        image_shape: `(height, width, channels)`, channels 1 or 3.
        num_levels: Values per sub-pixel, 2 to 256.
        num_classes: Conditions on integer labels `[batch]` (one-hot h, eq. 4), or None.
        condition_dim: Conditions on float vectors `[batch, condition_dim]`, or None.
        spatial_condition: With a condition, maps h through m(h) to a spatial map and
            conditions every layer on it (eq. 5) instead of on h directly.
        spatial_condition_filters: S, the channels of the spatial map s every layer is
            conditioned on, in both modes: s = m(h) (`spatial_condition`) and s = f_w(x̂)
            (`condition_image_shape`); unused otherwise. `GrayscalePixelCNN` and
            `PyramidPixelCNN` call the same quantity `condition_filters`.
        condition_image_shape: Conditions on an integer auxiliary image x̂
            `[batch, h, w, c]` (e.g. the grayscale image, or the image at half
            resolution), fully visible to every pixel: an `ImageConditionNetwork` f_w(x̂)
            biases every layer (Kolesnikov & Lampert 2017). Not with the other conditions.
        condition_image_levels: Values per sub-pixel of x̂.
        condition_image_hidden_filters: Width of f_w (`ImageConditionNetwork`'s
            `hidden_filters`).
        condition_image_layers_per_resolution: Depth of f_w: its 3×3 convolutions at
            each resolution (`ImageConditionNetwork`'s `layers_per_resolution`).
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int = 256,
        num_classes: Optional[int] = None,
        condition_dim: Optional[int] = None,
        spatial_condition: bool = False,
        spatial_condition_filters: int = 32,
        condition_image_shape: Optional[Sequence[int]] = None,
        condition_image_levels: int = 256,
        condition_image_hidden_filters: int = 32,
        condition_image_layers_per_resolution: int = 1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        image_shape, condition_image_shape = check_shapes_and_conditioning(
            image_shape, num_levels, num_classes, condition_dim, spatial_condition,
            condition_image_shape, condition_image_levels, self.max_levels,
        )  # fmt: skip
        self.condition_image_shape = condition_image_shape
        self.condition_image_levels = condition_image_levels
        self.condition_image_hidden_filters = condition_image_hidden_filters
        self.condition_image_layers_per_resolution = condition_image_layers_per_resolution
        self.image_shape = image_shape
        self.num_levels = num_levels
        self.num_classes = num_classes
        self.condition_dim = condition_dim
        self.spatial_condition = spatial_condition
        self.spatial_condition_filters = spatial_condition_filters
        # m(h) or f_w(x̂) under one attribute name: the one `.keras` files and checkpoints
        # key its weights by. The properties below say which it is.
        self.condition_network = self._make_condition_network()
        self._make_input_layers()

    def _make_input_layers(self):
        """Layers of `input_features` / `condition_image_features` (a `CodePixelCNN`'s
        embeddings); none here: images are scaled."""

    def _make_condition_network(self):
        """m(h) (`spatial_condition`), f_w(x̂) (`condition_image_shape`), or None."""
        height, width, _ = self.image_shape
        if self.spatial_condition:
            return SpatialConditionNetwork(
                height,
                width,
                self.spatial_condition_filters,
                name="condition_network",
                dtype=self.dtype_policy,
            )
        if self.condition_image_shape is not None:
            return ImageConditionNetwork(
                height,
                width,
                self.spatial_condition_filters,
                hidden_filters=self.condition_image_hidden_filters,
                layers_per_resolution=self.condition_image_layers_per_resolution,
                name="condition_network",
                dtype=self.dtype_policy,
            )
        return None

    # --- Factorisation (`models.factorisation`) ------------------------------------------

    model_kind = "AutoregressiveImageModel"  # subclasses: their compressed-data header name
    max_levels = 256  # the most values per sub-pixel (and per x̂ value) a model takes
    side_information_spec = None  # no side information comes with the images
    values_spec = ValuesSpec()  # served as uint8 "images" [B, H, W, C]

    def factors(self):
        """One factor: this network over the images, given the model's condition."""
        conditions_on = "condition" if self.is_conditional else "nothing"
        return factorisation.single_factor("image", self, conditions_on)

    @property
    def condition_spec(self) -> factorisation.ConditionSpec:
        """What `condition=` takes: labels, vectors, an image, or nothing."""
        return factorisation.condition_spec_of(self)

    # --- Conditioning -------------------------------------------------------------------

    @property
    def is_conditional(self) -> bool:
        return (
            self.num_classes is not None
            or self.condition_dim is not None
            or self.condition_image_shape is not None
        )

    @property
    def condition_vector_dim(self) -> Optional[int]:
        """Size of h: the number of classes (one-hot) or condition_dim."""
        return self.num_classes if self.num_classes is not None else self.condition_dim

    @property
    def block_condition_dim(self) -> Optional[int]:
        """Size of the global condition each layer sees (None with spatial conditioning)."""
        return None if self.spatial_condition else self.condition_vector_dim

    @property
    def block_spatial_channels(self) -> Optional[int]:
        """S, the channels of the spatial map s each layer sees (None without one)."""
        spatial = self.spatial_condition or self.condition_image_shape is not None
        return self.spatial_condition_filters if spatial else None

    # Read-only views of `condition_network`. Their names sort after it, so Keras's
    # `.keras` saver, which walks attributes in sorted order, still saves the network
    # under `condition_network` (tests/models/test_saved_file_compatibility.py).

    @property
    def spatial_condition_network(self) -> Optional[SpatialConditionNetwork]:
        """m(h): h `[batch, D]` → s `[batch, H, W, S]` (`spatial_condition`), or None."""
        return self.condition_network if self.spatial_condition else None

    @property
    def image_condition_network(self) -> Optional[ImageConditionNetwork]:
        """f_w(x̂): scaled x̂ `[batch, h, w, c]` → s `[batch, H, W, S]`
        (`condition_image_shape`), or None."""
        return self.condition_network if self.condition_image_shape is not None else None

    def checked_condition(self, condition) -> Optional[tf.Tensor]:
        """Checks `condition` and returns what the model is conditioned on.

        Returns:
            h `[batch, D]` (one-hot labels or the vectors), or x̂ scaled to [-1, 1]
            `[batch, h, w, c]` (image-conditioned models, see `condition_image`), in the
            compute dtype; None for an unconditional model.
        """
        if not self.is_conditional:
            if condition is not None:
                raise ValueError(
                    "This model is unconditional (num_classes=None, condition_dim=None) but "
                    f"received a condition of shape {tuple(tf.convert_to_tensor(condition).shape)}."
                )
            return None
        if condition is None:
            if self.condition_image_shape is not None:
                expected = (
                    f"images int [batch, {', '.join(map(str, self.condition_image_shape))}] "
                    f"in [0, {self.condition_image_levels})"
                )
            elif self.num_classes is not None:
                expected = f"labels int [batch] in [0, {self.num_classes})"
            else:
                expected = f"vectors float [batch, {self.condition_dim}]"
            raise ValueError(f"This model is conditional and needs condition={expected}.")
        condition = tf.convert_to_tensor(condition)
        if self.condition_image_shape is not None:
            return self.condition_image(condition)
        if self.num_classes is not None:
            if condition.shape.rank != 1 or not condition.dtype.is_integer:
                raise ValueError(
                    f"Class-conditional models take integer labels [batch]. Received: "
                    f"condition dtype={condition.dtype.name}, shape={tuple(condition.shape)}."
                )
            labels = tf.cast(condition, tf.int64)
            check = _assert_in_range(
                labels,
                self.num_classes,
                [f"labels must be in [0, num_classes={self.num_classes}); received", condition],
            )
            with tf.control_dependencies([check]):
                return tf.one_hot(labels, self.num_classes, dtype=self.compute_dtype)
        if condition.shape.rank != 2 or condition.shape[-1] != self.condition_dim:
            raise ValueError(
                f"Vector-conditional models take condition [batch, {self.condition_dim}]. "
                f"Received: condition shape={tuple(condition.shape)}."
            )
        if not condition.dtype.is_floating:
            raise ValueError(
                f"Vector conditions must be floating point. Received: dtype={condition.dtype.name}."
            )
        return tf.cast(condition, self.compute_dtype)

    def condition_vector(self, condition) -> Optional[tf.Tensor]:
        """Deprecated: `checked_condition` (the same; not always a vector)."""
        warnings.warn(
            "condition_vector is deprecated: use checked_condition (same arguments and "
            "result; for image-conditioned models it is the scaled image x̂, not a vector).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.checked_condition(condition)

    def condition_image(self, condition) -> tf.Tensor:
        """Checks an auxiliary image `[batch, h, w, c]` and scales it to [-1, 1]."""
        expected = self.condition_image_shape
        if (
            condition.shape.rank != 4
            or tuple(condition.shape[1:]) != expected
            or not condition.dtype.is_integer
        ):
            raise ValueError(
                "This model is conditioned on integer images "
                f"[batch, {', '.join(map(str, expected))}] "
                f"in [0, {self.condition_image_levels}). Received: condition "
                f"dtype={condition.dtype.name}, shape={tuple(condition.shape)}."
            )
        values = tf.cast(condition, tf.int32)
        check = _assert_in_range(
            values,
            self.condition_image_levels,
            [f"condition image values must be in [0, {self.condition_image_levels}); max",
             tf.reduce_max(values), "min", tf.reduce_min(values)],
        )  # fmt: skip
        with tf.control_dependencies([check]):
            return self.condition_image_features(values)

    def condition_image_features(self, values) -> tf.Tensor:
        """Checked x̂ `int32 [batch, h, w, c]` → what f_w(x̂) reads: x̂ scaled to [-1, 1]
        (`CodePixelCNN`: the embedded code map)."""
        scale = 2.0 / (self.condition_image_levels - 1)
        return tf.cast(values, self.compute_dtype) * scale - 1.0

    @property
    def condition_image_channels(self) -> Optional[int]:
        """Channels of what f_w(x̂) reads (`condition_image_features`), or None."""
        if self.condition_image_shape is None:
            return None
        return self.condition_image_shape[2]

    def conditioning(self, condition):
        """`(h, s)`: what every layer is conditioned on, h `[B, D]` or s `[B, H, W, S]`
        (the other None; both None if unconditional)."""
        checked = self.checked_condition(condition)  # h (B, D), scaled x̂ or None
        if checked is None:
            return None, None
        if self.image_condition_network is not None:
            return None, self.image_condition_network(checked)  # s = f_w(x̂): (B, H, W, S)
        if self.spatial_condition_network is not None:
            return None, self.spatial_condition_network(checked)  # s = m(h): (B, H, W, S)
        return checked, None

    # --- Images -------------------------------------------------------------------------

    def check_images(self, images) -> tf.Tensor:
        """Checks rank, shape, dtype and range of integer images `[batch, H, W, C]`;
        returns them as int32 (`image_checks.check_integer_images`)."""
        return check_integer_images(images, self.image_shape, self.num_levels)

    def scale_images(self, images) -> tf.Tensor:
        """Integer images in [0, L) to floats in [-1, 1]."""
        scale = 2.0 / (self.num_levels - 1)
        return tf.cast(images, self.compute_dtype) * scale - 1.0

    def input_features(self, values) -> tf.Tensor:
        """What the first layer reads of pixel values `int [..., C]`: `[..., input_channels]`
        in the compute dtype — the values scaled to [-1, 1] (`scale_images`); a
        `CodePixelCNN` embeds its codes. Feature k depends on sub-pixel k only, so the
        samplers may give it a pixel whose later sub-pixels are not drawn yet (zeros)."""
        return self.scale_images(values)

    @property
    def input_channels(self) -> int:
        """Channels of `input_features`: the image's C (a `CodePixelCNN`: its embedding)."""
        return self.image_shape[2]

    # --- Model --------------------------------------------------------------------------

    def network(self, x, condition=None, spatial_condition=None, training=False):
        """Logits `[B, H, W, C, L]` from scaled images `x` `[B, H, W, C]` (subclasses);
        `training` switches dropout on."""
        raise NotImplementedError

    def logits_from_float(self, x, condition=None, training=False):
        """Logits from images already scaled to [-1, 1] (for gradient-based checks).

        Args:
            x: float `[batch, height, width, channels]`.
            condition: labels or vectors, as in `call`.
            training: Whether dropout is active.

        Returns:
            `[batch, height, width, channels, num_levels]` float32.
        """
        h, s = self.conditioning(condition)
        return self.network(x, condition=h, spatial_condition=s, training=training)

    def call(self, images, condition=None, training=False):
        """Logits of every sub-pixel given the sub-pixels before it.

        Args:
            images: integer `[batch, height, width, channels]` in `[0, num_levels)`.
            condition: labels `int [batch]` (num_classes), vectors `float [batch, D]`
                (condition_dim), or None.
            training: Whether dropout is active (models with `dropout_rate` > 0).

        Returns:
            `[batch, height, width, channels, num_levels]` logits, float32.
        """
        images = self.check_images(images)
        return self.logits_from_float(self.input_features(images), condition, training)

    def log_prob(self, images, condition=None, training=False) -> tf.Tensor:
        """log p(x | condition) in nats, `float32 [batch]`."""
        logits = self(images, condition=condition, training=training)
        return categorical.log_prob_from_logits(logits, images)

    def pixel_log_prob(self, images, condition=None, training=False) -> tf.Tensor:
        """log p of every sub-pixel in nats, `float32 [B, H, W, C]` (a logistic-mixture
        `GatedPixelCNN`: of every pixel, `[B, H, W]`)."""
        logits = self(images, condition=condition, training=training)
        return categorical.pixel_log_prob_from_logits(logits, images)

    def log_prob_map(self, images, condition=None, training=False) -> tf.Tensor:
        """log p of every pixel (its sub-pixels together) in nats, `float32 [B, H, W]`;
        summed over H and W it is `log_prob` (e.g. a heat map of where the bits go)."""
        pixel = self.pixel_log_prob(images, condition=condition, training=training)
        return tf.reduce_sum(pixel, axis=tf.range(3, tf.rank(pixel)))

    def auxiliary_picture(self, images) -> Optional[tf.Tensor]:
        """None: x̂ of auxiliary-variable models (`AuxiliaryVariableModel`); none here."""
        del images
        return None

    def build_condition_network(self):
        if self.image_condition_network is not None:
            height, width, _ = self.condition_image_shape
            build_once(
                self.image_condition_network, (None, height, width, self.condition_image_channels)
            )
        elif self.spatial_condition_network is not None:
            build_once(self.spatial_condition_network, (None, self.condition_vector_dim))

    def build_from_config(self, config):
        self.build()

    def get_config(self):
        return {
            **super().get_config(),  # name, trainable, dtype
            "image_shape": list(self.image_shape),
            "num_levels": self.num_levels,
            "num_classes": self.num_classes,
            "condition_dim": self.condition_dim,
            "spatial_condition": self.spatial_condition,
            "spatial_condition_filters": self.spatial_condition_filters,
            "condition_image_shape": (
                None if self.condition_image_shape is None else list(self.condition_image_shape)
            ),
            "condition_image_levels": self.condition_image_levels,
            "condition_image_hidden_filters": self.condition_image_hidden_filters,
            "condition_image_layers_per_resolution": self.condition_image_layers_per_resolution,
        }


def check_shapes_and_conditioning(
    image_shape, num_levels, num_classes, condition_dim, spatial_condition,
    condition_image_shape, condition_image_levels, max_levels=256,
):  # fmt: skip
    """Checks the arguments every autoregressive image model shares; returns
    `(image_shape, condition_image_shape)` as tuples of ints (or None). Levels of the
    image and of x̂ are at most `max_levels`."""
    if condition_image_shape is not None:
        condition_image_shape = tuple(int(d) for d in condition_image_shape)
        if len(condition_image_shape) != 3 or min(condition_image_shape) < 1:
            raise ValueError(
                "condition_image_shape must be (height, width, channels). Received: "
                f"condition_image_shape={condition_image_shape}."
            )
        if num_classes is not None or condition_dim is not None or spatial_condition:
            raise ValueError(
                "condition_image_shape conditions on an image alone: not with "
                "num_classes, condition_dim or spatial_condition. Received: "
                f"num_classes={num_classes}, condition_dim={condition_dim}, "
                f"spatial_condition={spatial_condition}."
            )
        if not 2 <= condition_image_levels <= max_levels:
            raise ValueError(
                f"condition_image_levels must be in [2, {max_levels}]. Received: "
                f"condition_image_levels={condition_image_levels}."
            )
    image_shape = check_image_shape(image_shape, num_levels, max_levels)
    if num_classes is not None and condition_dim is not None:
        raise ValueError(
            "Give num_classes (labels) or condition_dim (vectors), not both. Received: "
            f"num_classes={num_classes}, condition_dim={condition_dim}."
        )
    for name, value in (("num_classes", num_classes), ("condition_dim", condition_dim)):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be a positive integer. Received: {name}={value}.")
    if spatial_condition and num_classes is None and condition_dim is None:
        raise ValueError(
            "spatial_condition=True needs num_classes or condition_dim to condition on. "
            "Received: num_classes=None, condition_dim=None."
        )
    return image_shape, condition_image_shape


def _assert_in_range(values, upper: int, data) -> tf.Operation:
    """An Assert op that fails, printing `data`, unless every value is in [0, upper)."""
    in_range = tf.logical_and(tf.reduce_all(values >= 0), tf.reduce_all(values < upper))
    return tf.debugging.Assert(in_range, data)
