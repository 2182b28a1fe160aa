"""Shared interface of PixelCNNs with an auxiliary variable (Kolesnikov & Lampert 2017).

x̂ = f(x) is a deterministic function of the image, so p(x) = p(x̂) · p(x | x̂) exactly when
p(x | x̂) puts its mass only on images with f(x) = x̂ — which both models here guarantee —
and −log p(x) = −log p(x̂) − log p(x | x̂). Every factor is its own `GatedPixelCNN` with its
own parameters: they train together or one at a time (`factor_models`).
"""

from typing import Dict, Optional, Sequence

import keras
import tensorflow as tf

from tf_pixelcnn.models import factorisation
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.models.head_width import STACK_WIDTH
from tf_pixelcnn.models.head_width import OutputFilters
from tf_pixelcnn.models.head_width import SavedHeadWidth
from tf_pixelcnn.models.image_checks import check_image_shape, check_integer_images
from tf_pixelcnn.sampling.sample import sample as sample_images
from tf_pixelcnn.sampling.sample import sample_given as sample_images_given


class AuxiliaryVariableModel(SavedHeadWidth, keras.Model):
    """Base class: image checks, total log-likelihood, seeded and compiled sampling, and
    the arguments of the conditional factors p(x | x̂) (`conditional_factor`).

    Subclasses define `factor_models`, `factor_log_probs`, `auxiliary`,
    `auxiliary_levels`, `log_prob_map`, `report_bits_per_dim`, `stream_size`, `draw`,
    `draw_given` and `checked_auxiliary`.

    Args:
        image_shape: `(height, width, channels)`, channels 1 or 3.
        num_levels: Values per sub-pixel of x, 2 to 256.
        num_layers, filters, kernel_size: Of each conditional factor's `GatedPixelCNN`.
        num_mixture_components: Logistics of each conditional factor's output.
        condition_filters: S, the channels of each conditional factor's spatial map
            s = f_w(x̂) (its `GatedPixelCNN`'s `spatial_condition_filters`).
        condition_hidden_filters, condition_layers_per_resolution: Width and depth of
            f_w (`ImageConditionNetwork`'s `hidden_filters`, `layers_per_resolution`).
        dropout_rate: Dropout of every factor in training (see `GatedBlock`).
        first_kernel_size, output_filters: Of every factor's `GatedPixelCNN` (None: its
            `kernel_size` and its default head width; `"filters"`: each factor's head as
            wide as its stacks, the width of models saved before the option existed).
    """

    temperature_applies_to = None  # the name of the softmax factor `temperature` scales

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int = 256,
        *,
        num_layers: int,
        filters: int,
        kernel_size: int,
        num_mixture_components: int,
        condition_filters: int,
        condition_hidden_filters: int,
        condition_layers_per_resolution: int,
        dropout_rate: float,
        first_kernel_size: Optional[int] = None,
        output_filters: OutputFilters = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.image_shape = check_image_shape(image_shape, num_levels)
        self.num_levels = num_levels
        self.num_layers, self.filters = num_layers, filters
        self.kernel_size = kernel_size
        self.num_mixture_components = num_mixture_components
        self.condition_filters = condition_filters
        self.condition_hidden_filters = condition_hidden_filters
        self.condition_layers_per_resolution = condition_layers_per_resolution
        self.dropout_rate = dropout_rate
        self.first_kernel_size = first_kernel_size
        self.output_filters = output_filters

    @property
    def factor_head_arguments(self) -> Dict[str, OutputFilters]:
        """`first_kernel_size` and `output_filters` of every factor's `GatedPixelCNN`
        (None: each factor's `kernel_size` and default head width)."""
        return {"first_kernel_size": self.first_kernel_size, "output_filters": self.output_filters}

    def conditional_factor(
        self, image_shape, condition_image_shape, condition_image_levels: int, name: str
    ) -> GatedPixelCNN:
        """p(x | x̂): a `GatedPixelCNN` over x `[batch, *image_shape]` with a logistic-mixture
        output, conditioned on the integer image x̂ `[batch, *condition_image_shape]` in
        [0, condition_image_levels) through s = f_w(x̂) `[batch, H, W, condition_filters]`."""
        return GatedPixelCNN(
            image_shape,
            num_layers=self.num_layers,
            filters=self.filters,
            kernel_size=self.kernel_size,
            num_levels=self.num_levels,
            num_mixture_components=self.num_mixture_components,
            condition_image_shape=condition_image_shape,
            condition_image_levels=condition_image_levels,
            spatial_condition_filters=self.condition_filters,
            condition_image_hidden_filters=self.condition_hidden_filters,
            condition_image_layers_per_resolution=self.condition_layers_per_resolution,
            dropout_rate=self.dropout_rate,
            **self.factor_head_arguments,
            name=name,
            dtype=self.dtype_policy,
        )

    # --- Factorisation (`models.factorisation`) ------------------------------------------

    condition_spec = factorisation.NO_CONDITION  # unconditional
    side_information_spec = None

    # --- Subclasses ---------------------------------------------------------------------

    model_kind = "AuxiliaryVariableModel"  # subclasses: their compressed-data header name

    def factors(self):
        """The `factorisation.Factor`s, in sampling order (their networks:
        `factor_models`)."""
        raise NotImplementedError

    @property
    def factor_models(self) -> Dict[str, keras.Model]:
        """Factor name → the sub-model with its parameters, in sampling order."""
        raise NotImplementedError

    def factor_log_probs(self, images, training=False, factors=None) -> Dict[str, tf.Tensor]:
        """Factor name → log-likelihood in nats `float32 [batch]`; they sum to log p(x).
        With `factors` (names), only those are computed (training some factors alone)."""
        raise NotImplementedError

    def auxiliary(self, images) -> tf.Tensor:
        """x̂ = f(x) of integer images."""
        raise NotImplementedError

    @property
    def auxiliary_levels(self) -> int:
        """Values per sub-pixel of x̂."""
        raise NotImplementedError

    def log_prob_map(self, images, training=False) -> tf.Tensor:
        """log p of every pixel of x in nats (its share of every factor), `float32
        [B, H, W]`; summed over H and W it is `log_prob`."""
        raise NotImplementedError

    def report_bits_per_dim(self, factor_log_probs) -> Dict[str, tf.Tensor]:
        """The bits/dim worth reporting per factor or resolution, `[batch]` each."""
        raise NotImplementedError

    @property
    def stream_size(self) -> int:
        """Uniform numbers one image's sample consumes."""
        raise NotImplementedError

    @property
    def given_stream_size(self) -> int:
        """Uniform numbers `sample_given` consumes per image (the last factor's)."""
        raise NotImplementedError

    def given_stream_size_for(self, auxiliary_shape) -> int:
        """Uniform numbers `sample_given` consumes per image for x̂ of this shape."""
        del auxiliary_shape
        return self.given_stream_size

    def draw(self, uniform, method, temperature, log_scale_reduction, mixture_mode):
        """Images from the random stream `uniform` `[batch, stream_size]` (graph-friendly)."""
        raise NotImplementedError

    def draw_given(self, auxiliary, uniform, method, log_scale_reduction, mixture_mode):
        """Images given x̂, from `uniform` `[batch, given_stream_size]` (graph-friendly)."""
        raise NotImplementedError

    def checked_auxiliary(self, auxiliary) -> tf.Tensor:
        """x̂ as `sample_given` takes it, checked (shape, dtype, range), `int32`."""
        raise NotImplementedError

    # --- Shared -------------------------------------------------------------------------

    def copy_factor_weights(self, name: str, source: "AuxiliaryVariableModel") -> None:
        """Sets factor `name` to its weights in `source`, a model of the same configuration
        (e.g. the run that trained this factor alone: `train.factors`)."""
        if name not in self.factor_models:
            raise ValueError(
                f"{type(self).__name__} has factors {list(self.factor_models)}. Received: {name!r}."
            )
        mine, theirs = self.get_config(), getattr(source, "get_config", dict)()
        mine.pop("name", None), theirs.pop("name", None)
        if type(source) is not type(self) or mine != theirs:
            raise ValueError(
                f"Factor {name!r} can only come from a {type(self).__name__} of the same "
                f"configuration. Received: a {type(source).__name__} with config {theirs}; "
                f"expected {mine}."
            )
        self.factor_models[name].set_weights(source.factor_models[name].get_weights())

    def check_images(self, images) -> tf.Tensor:
        """Checks rank, shape, dtype and range of integer images `[batch, H, W, C]`;
        returns them as int32 (`image_checks.check_integer_images`)."""
        return check_integer_images(images, self.image_shape, self.num_levels)

    def log_prob(self, images, condition=None, training=False) -> tf.Tensor:
        """log p(x) = Σ_factors, nats `float32 [batch]` (unconditional: condition=None)."""
        if condition is not None:
            raise ValueError(
                f"{type(self).__name__} is unconditional. Received a condition of shape "
                f"{tuple(tf.convert_to_tensor(condition).shape)}."
            )
        return tf.add_n(list(self.factor_log_probs(images, training=training).values()))

    def call(self, images, training=False):
        """log p(x), as `log_prob`."""
        return self.log_prob(images, training=training)

    def auxiliary_picture(self, images) -> tf.Tensor:
        """x̂ of integer images drawn like them, `int32 [B, H, W, C]` in [0, num_levels)
        (pictures: x̂ beside x): nearest-neighbour enlarged to H×W, a single channel
        repeated C times, levels [0, auxiliary_levels) rescaled to [0, num_levels)."""
        auxiliary = tf.cast(self.auxiliary(self.check_images(images)), tf.float32)
        height, width, channels = self.image_shape
        auxiliary = tf.repeat(auxiliary, height // auxiliary.shape[1], axis=1)
        auxiliary = tf.repeat(auxiliary, width // auxiliary.shape[2], axis=2)
        auxiliary = tf.repeat(auxiliary, channels // auxiliary.shape[3], axis=3)
        scale = (self.num_levels - 1) / (self.auxiliary_levels - 1)
        return tf.cast(tf.round(auxiliary * scale), tf.int32)

    def sample(
        self,
        num_samples=None,
        seed=(0, 0),
        method="auto",
        temperature=1.0,
        log_scale_reduction=0.0,
        mixture_mode="sample",
        jit_compile=None,
    ) -> tf.Tensor:
        """Draws images, `int32 [num_samples, H, W, C]`: `tpc.sample(self, ...)` (its
        validation, seeds, float32 copy, method and `jit_compile` choice and compile
        cache)."""
        return sample_images(
            self, num_samples, None, seed, method, temperature, jit_compile,
            log_scale_reduction, mixture_mode,
        )  # fmt: skip

    def sample_given(
        self,
        auxiliary,
        seed=(0, 0),
        method="auto",
        log_scale_reduction=0.0,
        mixture_mode="sample",
        jit_compile=None,
    ) -> tf.Tensor:
        """Draws images with x̂ given (colour given grayscale; the full resolution given any
        lower level of a pyramid), through the sampling front end
        (`tf_pixelcnn.sampling.sample.sample_given`; options as `tpc.sample`).

        Every returned image x has `auxiliary(x) == auxiliary` (pyramid: x subsampled to
        the given resolution is `auxiliary`). A mixed-precision model samples with its
        float32 copy.
        """
        return sample_images_given(
            self, auxiliary, seed, method, log_scale_reduction, mixture_mode, jit_compile
        )

    def get_config(self):
        """The shared part; subclasses add their own arguments."""
        config = {
            **super().get_config(),  # name, trainable, dtype
            "image_shape": list(self.image_shape),
            "num_levels": self.num_levels,
            "num_layers": self.num_layers,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "num_mixture_components": self.num_mixture_components,
            "condition_filters": self.condition_filters,
            "condition_hidden_filters": self.condition_hidden_filters,
            "condition_layers_per_resolution": self.condition_layers_per_resolution,
            "dropout_rate": self.dropout_rate,
        }
        if self.first_kernel_size is not None:
            config["first_kernel_size"] = self.first_kernel_size
        # None (each factor's default width) is written too: a config without the entry
        # predates the option and loads as STACK_WIDTH (`SavedHeadWidth`).
        if self.output_filters != STACK_WIDTH:
            config["output_filters"] = self.output_filters
        return config

    def build_from_config(self, config):
        self.build()

    def build(self, input_shape=None):
        self.built = True

