"""Grayscale PixelCNN (Kolesnikov & Lampert 2017, §3.1)."""

import math
from typing import Dict, Sequence

import keras
import tensorflow as tf

from tf_pixelcnn import grayscale_levels as grayscale_lib
from tf_pixelcnn.distributions import truncated_logistic_mixture
from tf_pixelcnn.distributions.truncated_logistic_mixture import TruncatedLogisticMixture
from tf_pixelcnn.models import factorisation
from tf_pixelcnn.models.auxiliary_variable_model import AuxiliaryVariableModel
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.sampling.sample import draw_images
from tf_pixelcnn.sampling.value_choice import RandomDraw


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class GrayscalePixelCNN(AuxiliaryVariableModel):
    """p(x) = p(x̂) · p(x | x̂) with x̂ the image's luma quantised to `grayscale_levels` (4 bits).

    - `grayscale_model`: a `GatedPixelCNN` over x̂ `[H, W, 1]` with a softmax over the
      grayscale levels;
    - `colour_model`: a `GatedPixelCNN` over x `[H, W, 3]` with a logistic-mixture output,
      conditioned on x̂ through an `ImageConditionNetwork` (no causal masks: x̂ is known).
      Each channel is restricted to the values consistent with x̂ and the channels before
      it (`grayscale_levels.channel_bounds`), with the mixture renormalised there
      (`truncated_logistic_mixture`), so every sample's grayscale is x̂ and
      log p(x) = log p(x̂) + log p(x | x̂) is the exact log-likelihood of the model.

    Args:
        image_shape: `(H, W, 3)`.
        num_levels: Values per sub-pixel of x (256).
        grayscale_levels: Values of x̂ (16 in the paper).
        num_layers, filters: Depth and width of the colour model.
        grayscale_num_layers, grayscale_filters: Of the grayscale model.
        kernel_size: Of both.
        num_mixture_components: Logistics of the colour model's output.
        condition_filters: S, the channels of the colour model's spatial map s = f_w(x̂)
            (its `spatial_condition_filters`: the same quantity).
        condition_hidden_filters, condition_layers_per_resolution: Width and depth of
            f_w (`ImageConditionNetwork`'s `hidden_filters`, `layers_per_resolution`).
        dropout_rate: Dropout of both sub-models in training (see `GatedBlock`).

    Example:
        >>> model = GrayscalePixelCNN((8, 8, 3), num_layers=2, filters=16,
        ...                           grayscale_num_layers=2, grayscale_filters=16)
        >>> images = model.sample(num_samples=2, seed=(1, 2))      # int32 [2, 8, 8, 3]
        >>> sorted(model.factor_log_probs(images))
        ['colour', 'grayscale']

    References:
        Kolesnikov & Lampert 2017, "PixelCNN Models with Auxiliary Variables for Natural
        Image Modeling", ICML, §3.1 (2.98 bits/dim on CIFAR-10).
    """

    temperature_applies_to = "grayscale_model"

    def __init__(
        self,
        image_shape: Sequence[int] = (32, 32, 3),
        num_levels: int = 256,
        grayscale_levels: int = 16,
        num_layers: int = 15,
        filters: int = 128,
        grayscale_num_layers: int = 15,
        grayscale_filters: int = 128,
        kernel_size: int = 5,
        num_mixture_components: int = 10,
        condition_filters: int = 32,
        condition_hidden_filters: int = 32,
        condition_layers_per_resolution: int = 1,
        dropout_rate: float = 0.0,
        **kwargs,
    ):
        super().__init__(
            image_shape, num_levels, num_layers=num_layers, filters=filters,
            kernel_size=kernel_size, num_mixture_components=num_mixture_components,
            condition_filters=condition_filters,
            condition_hidden_filters=condition_hidden_filters,
            condition_layers_per_resolution=condition_layers_per_resolution,
            dropout_rate=dropout_rate, **kwargs,
        )  # fmt: skip
        _check_arguments(self.image_shape, num_levels, grayscale_levels)
        self.grayscale_levels = grayscale_levels
        self.grayscale_num_layers, self.grayscale_filters = grayscale_num_layers, grayscale_filters
        height, width, _ = self.image_shape
        self.grayscale_model = GatedPixelCNN(
            (height, width, 1),
            num_layers=grayscale_num_layers,
            filters=grayscale_filters,
            kernel_size=kernel_size,
            num_levels=grayscale_levels,
            dropout_rate=dropout_rate,
            **self.factor_head_arguments,
            name="grayscale_model",
            dtype=self.dtype_policy,
        )
        self.colour_model = self.conditional_factor(
            self.image_shape, (height, width, 1), grayscale_levels, name="colour_model"
        )
        self.built = True

    model_kind = "GrayscalePixelCNN"

    @property
    def factor_models(self) -> Dict[str, keras.Model]:
        return {"grayscale": self.grayscale_model, "colour": self.colour_model}

    def factors(self):
        """x̂ with the grayscale model, then x given x̂ with the colour model's mixture
        truncated to the colours consistent with x̂."""
        return (
            factorisation.Factor(
                "grayscale", self.grayscale_model, self.grayscale_model.pixel_distribution,
                "nothing", values_of=self.auxiliary,
            ),
            factorisation.Factor(
                "colour", self.colour_model,
                TruncatedLogisticMixture(self.colour_model.pixel_distribution), "grayscale",
                condition_from=_grayscale_of, truncation_levels=self.grayscale_levels,
            ),
        )  # fmt: skip

    def auxiliary(self, images) -> tf.Tensor:
        """x̂: `int32 [batch, H, W, 1]` in [0, grayscale_levels)."""
        return grayscale_lib.grayscale_levels(images, self.num_levels, self.grayscale_levels)

    @property
    def auxiliary_levels(self) -> int:
        return self.grayscale_levels

    def log_prob_map(self, images, training=False) -> tf.Tensor:
        """log p(x̂_ij | x̂_<ij) + log p(x_ij | x_<ij, x̂) of every pixel in nats
        `[batch, H, W]`."""
        images = self.check_images(images)
        grayscale = self.auxiliary(images)
        grayscale_map = self.grayscale_model.log_prob_map(grayscale, training=training)
        return grayscale_map + self.colour_log_prob_map(images, grayscale, training)

    def colour_bounds(self, images, grayscale):
        """Each channel's interval given x̂ and the channels before it, `int32 [B, H, W, 3]` ×2."""
        lows, highs = [], []
        for channel in range(3):
            earlier = [images[..., j] for j in range(channel)]
            low, high = grayscale_lib.channel_bounds(
                grayscale[..., 0], earlier, self.num_levels, self.grayscale_levels
            )
            lows.append(low)
            highs.append(high)
        return tf.stack(lows, axis=-1), tf.stack(highs, axis=-1)

    def colour_log_prob(self, images, grayscale, training=False) -> tf.Tensor:
        """log p(x | x̂) in nats `[batch]`; x must have grayscale x̂."""
        return tf.reduce_sum(self.colour_log_prob_map(images, grayscale, training), axis=[1, 2])

    def colour_log_prob_map(self, images, grayscale, training=False) -> tf.Tensor:
        """log p(x_ij | x_<ij, x̂) of every pixel in nats `[batch, H, W]`; x must have
        grayscale x̂."""
        consistent = tf.debugging.Assert(
            tf.reduce_all(tf.equal(self.auxiliary(images), tf.cast(grayscale, tf.int32))),
            ["colour_log_prob: the images' grayscale levels differ from the given grayscale"],
        )
        with tf.control_dependencies([consistent]):
            images = tf.identity(images)
        params = self.colour_model(images, condition=grayscale, training=training)
        low, high = self.colour_bounds(images, grayscale)
        return truncated_logistic_mixture.pixel_log_prob(
            params, images, low, high, self.num_mixture_components, self.num_levels
        )  # (B, H, W)

    def factor_log_probs(self, images, training=False, factors=None) -> Dict[str, tf.Tensor]:
        images = self.check_images(images)
        grayscale = self.auxiliary(images)
        factors = factors or ("grayscale", "colour")
        log_probs = {}
        if "grayscale" in factors:
            log_probs["grayscale"] = self.grayscale_model.log_prob(grayscale, training=training)
        if "colour" in factors:
            log_probs["colour"] = self.colour_log_prob(images, grayscale, training=training)
        return log_probs

    def report_bits_per_dim(self, factor_log_probs) -> Dict[str, tf.Tensor]:
        """Each factor per its own dimensions: x̂ per pixel, x | x̂ per sub-pixel."""
        height, width, _ = self.image_shape
        return {
            "grayscale": -factor_log_probs["grayscale"] / (height * width * math.log(2.0)),
            "colour": -factor_log_probs["colour"] / (height * width * 3 * math.log(2.0)),
        }

    # --- Sampling -----------------------------------------------------------------------

    @property
    def stream_size(self) -> int:
        height, width, _ = self.image_shape
        uniforms = self.grayscale_model.pixel_distribution.uniforms_per_pixel
        return height * width * uniforms + self.given_stream_size

    @property
    def given_stream_size(self) -> int:
        height, width, _ = self.image_shape
        return height * width * self.colour_model.pixel_distribution.uniforms_per_pixel

    def draw(self, uniform, method, temperature, log_scale_reduction, mixture_mode):
        height, width, _ = self.image_shape
        stream_shape = self.grayscale_model.pixel_distribution.stream_shape(height, width)
        size = math.prod(stream_shape)
        grayscale_uniform = tf.reshape(uniform[:, :size], [-1, *stream_shape])
        grayscale = draw_images(
            self.grayscale_model, grayscale_uniform, None, method, RandomDraw(temperature)
        )
        return self.draw_given(
            grayscale, uniform[:, size:], method, log_scale_reduction, mixture_mode
        )

    def checked_auxiliary(self, auxiliary) -> tf.Tensor:
        """x̂ `int32 [batch, H, W, 1]` in [0, grayscale_levels)."""
        return self.grayscale_model.check_images(auxiliary)

    def draw_given(self, auxiliary, uniform, method, log_scale_reduction, mixture_mode):
        height, width, _ = self.image_shape
        grayscale = self.checked_auxiliary(auxiliary)  # [B, H, W, 1] in range
        distribution = TruncatedLogisticMixture(self.colour_model.pixel_distribution)
        uniform = tf.reshape(uniform, [-1, *distribution.stream_shape(height, width)])

        def bounds(row, column):  # each channel's interval given x̂ and the ones before
            level = grayscale[:, row, column, 0]  # (B,)
            return lambda earlier: grayscale_lib.channel_bounds(
                level, earlier, self.num_levels, self.grayscale_levels
            )

        choice = RandomDraw(
            log_scale_reduction=log_scale_reduction, mixture_mode=mixture_mode, bounds=bounds
        )
        return draw_images(
            self.colour_model, uniform, grayscale, method, choice, distribution=distribution
        )

    def get_config(self):
        return {
            **super().get_config(),
            "grayscale_levels": self.grayscale_levels,
            "grayscale_num_layers": self.grayscale_num_layers,
            "grayscale_filters": self.grayscale_filters,
        }


def _grayscale_of(images_so_far):
    """The colour factor's condition: x̂, the grayscale factor's images."""
    return images_so_far


def _check_arguments(image_shape, num_levels: int, grayscale_levels: int) -> None:
    """Colour images (3 channels), and 2 ≤ `grayscale_levels` ≤ `num_levels`."""
    if image_shape[2] != 3:
        raise ValueError(
            "GrayscalePixelCNN models colour images: image_shape must have 3 channels. "
            f"Received: image_shape={image_shape}."
        )
    if not 2 <= grayscale_levels <= num_levels:
        raise ValueError(
            f"grayscale_levels must be in [2, num_levels={num_levels}]. Received: "
            f"grayscale_levels={grayscale_levels}."
        )
