"""PixelCNN auto-encoder: convolutional encoder, conditional Gated PixelCNN decoder."""

from typing import Optional, Sequence

import keras
import tensorflow as tf

from tf_pixelcnn.distributions import categorical
from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.conv_encoder import ConvEncoder
from tf_pixelcnn.layers.spatial_condition_network import default_num_resamplings
from tf_pixelcnn.models import factorisation
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.models.head_width import OutputFilters
from tf_pixelcnn.models.head_width import SavedHeadWidth
from tf_pixelcnn.models.head_width import head_config
from tf_pixelcnn.sampling import sample


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class PixelCNNAutoencoder(SavedHeadWidth, keras.Model):
    """An auto-encoder whose decoder is a conditional Gated PixelCNN, trained end to end.

    h = encoder(x) is an m-dimensional code; p(x | h) is a `GatedPixelCNN` conditioned on
    h (by default location-dependent, through s = m(h), eq. 5). Training maximises
    log p(x | encoder(x)): the code only needs to carry what the PixelCNN cannot model
    locally, so it captures high-level content (van den Oord et al. 2016, §2.4, Fig. 6).

    Args:
        image_shape: `(height, width, channels)`.
        bottleneck_dim: m, size of the code (the paper: 10 or 100).
        num_layers, filters, kernel_size, num_levels, first_kernel_size, output_filters:
            of the decoder `GatedPixelCNN`.
        encoder_filters: Channels of the encoder's first convolution.
        spatial_condition: Condition the decoder through m(h) (True) or h (False).
        dropout_rate: The decoder's dropout in training (see `GatedBlock`).

    Sub-layers follow the model's dtype policy; the decoder's output head is float32.

    Example:
        >>> ae = PixelCNNAutoencoder(image_shape=(8, 8, 1), bottleneck_dim=4, num_layers=2,
        ...                          filters=8, kernel_size=3, num_levels=4, encoder_filters=4)
        >>> images = tf.zeros([2, 8, 8, 1], tf.int32)
        >>> ae.encode(images).shape
        TensorShape([2, 4])
        >>> ae.reconstruct(images, seed=(1, 2)).shape
        TensorShape([2, 8, 8, 1])

    References:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        §2.4 and §3.4.
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        bottleneck_dim: int = 10,
        num_layers: int = 15,
        filters: int = 128,
        kernel_size: int = 5,
        num_levels: int = 256,
        encoder_filters: int = 64,
        spatial_condition: bool = True,
        dropout_rate: float = 0.0,
        first_kernel_size: Optional[int] = None,
        output_filters: OutputFilters = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.dropout_rate = dropout_rate
        self.first_kernel_size = first_kernel_size
        self.decoder = GatedPixelCNN(
            image_shape=image_shape,
            num_layers=num_layers,
            filters=filters,
            kernel_size=kernel_size,
            num_levels=num_levels,
            condition_dim=bottleneck_dim,
            spatial_condition=spatial_condition,
            dropout_rate=dropout_rate,
            first_kernel_size=first_kernel_size,
            output_filters=output_filters,
            name="decoder",
            dtype=self.dtype_policy,
        )
        self.image_shape = self.decoder.image_shape
        self.output_filters = self.decoder.output_filters  # None resolved by the decoder
        self.bottleneck_dim = bottleneck_dim
        self.num_layers = num_layers
        self.filters = filters
        self.kernel_size = kernel_size
        self.num_levels = num_levels
        self.encoder_filters = encoder_filters
        self.spatial_condition = spatial_condition
        height, width, _ = self.image_shape
        self.encoder = ConvEncoder(
            bottleneck_dim,
            encoder_filters,
            num_downsamplings=default_num_resamplings(height, width),
            name="encoder",
            dtype=self.dtype_policy,
        )
        self.build()  # every shape is known: weights exist from construction on

    def build(self, input_shape=None):
        build_once(self.encoder, (None, *self.image_shape))
        build_once(self.decoder)
        self.built = True

    def build_from_config(self, config):
        self.build()

    # --- Factorisation (`models.factorisation`) ------------------------------------------

    model_kind = "PixelCNNAutoencoder"
    condition_spec = factorisation.NO_CONDITION  # the images bring their own code

    @property
    def side_information_spec(self) -> factorisation.ConditionSpec:
        """The code h = encode(x) comes with the images: vectors `float32 [B, m]`."""
        return factorisation.ConditionSpec("vectors", dim=self.bottleneck_dim)

    def side_information(self, images) -> tf.Tensor:
        """h = encode(x), `float32 [batch, bottleneck_dim]`."""
        return self.encode(images)

    def factors(self):
        """One factor: the decoder over the images, given the code."""
        return factorisation.single_factor("image", self.decoder, "condition")

    def check_images(self, images) -> tf.Tensor:
        """Checked integer images `[batch, H, W, C]` as int32 (the decoder's check)."""
        return self.decoder.check_images(images)

    def encode(self, images, training=False) -> tf.Tensor:
        """`float [batch, bottleneck_dim]` code of integer images `[batch, H, W, C]`."""
        images = self.decoder.check_images(images)
        return self.encoder(self.decoder.scale_images(images), training=training)

    def call(self, images, training=False):
        """Decoder logits `[batch, H, W, C, num_levels]` given the images' own codes."""
        return self.decoder(images, condition=self.encode(images, training), training=training)

    def log_prob(self, images, training=False) -> tf.Tensor:
        """log p(x | encoder(x)) in nats, `float32 [batch]`."""
        return categorical.log_prob_from_logits(self(images, training=training), images)

    def log_prob_map(self, images, training=False) -> tf.Tensor:
        """log p(x_ij | x_<ij, encoder(x)) of every pixel in nats, `float32 [B, H, W]`;
        summed over H and W it is `log_prob`."""
        code = self.encode(images, training=training)
        return self.decoder.log_prob_map(images, condition=code, training=training)

    def auxiliary_picture(self, images) -> Optional[tf.Tensor]:
        """None: an auto-encoder has no auxiliary image (see `AuxiliaryVariableModel`)."""
        del images
        return None

    def decode(self, code, seed=(0, 0), temperature=1.0, method="auto") -> tf.Tensor:
        """Samples images `int32 [batch, H, W, C]` from p(x | code), one seed per image."""
        return sample(
            self.decoder, condition=code, seed=seed, temperature=temperature, method=method
        )

    def reconstruct(self, images, seed=(0, 0), temperature=1.0, method="auto") -> tf.Tensor:
        """decode(encode(images)): a sample that shares the images' high-level content."""
        return self.decode(self.encode(images), seed=seed, temperature=temperature, method=method)

    def get_config(self):
        return {
            **super().get_config(),  # name, trainable, dtype
            "image_shape": list(self.image_shape),
            "bottleneck_dim": self.bottleneck_dim,
            "num_layers": self.num_layers,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "num_levels": self.num_levels,
            "encoder_filters": self.encoder_filters,
            "spatial_condition": self.spatial_condition,
            "dropout_rate": self.dropout_rate,
            **head_config(self.first_kernel_size, self.output_filters),
        }
