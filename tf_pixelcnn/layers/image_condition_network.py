"""The embedding network f_w(x̂) of an image-shaped auxiliary variable (Kolesnikov &
Lampert 2017): no causal masks, since x̂ is known in full."""

import keras
import tensorflow as tf

from tf_pixelcnn.layers.build_once import build_once


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class ImageConditionNetwork(keras.layers.Layer):
    """Maps an auxiliary image x̂ `[B, h, w, c]` (scaled to [-1, 1]) to a map `[B, H, W, S]`
    that biases every gated layer (location-dependent conditioning, as s in eq. 5 of
    van den Oord et al. 2016).

    x̂ is resized to H×W (nearest neighbour: a pyramid level's pixel covers its 2×2
    block), then: `layers_per_resolution` 3×3 convolutions at full resolution, a
    stride-2 convolution and `layers_per_resolution` 3×3 convolutions at half
    resolution, a stride-2 transposed convolution back up, added to the full-resolution
    features (a one-level U-net: down- and up-sampling), and a final 3×3 convolution to
    `filters` channels: 2·layers_per_resolution + 3 convolutions (5 by default), each
    but the last followed by a ReLU. Any pixel of the output may depend on any pixel of
    x̂ nearby: only the model's own image must be causal, not x̂.

    Args:
        height, width: Output size H, W (the modelled image's).
        filters: Output channels S.
        hidden_filters: Channels inside the network (its width).
        layers_per_resolution: 3×3 convolutions at each of the two resolutions (its
            depth), at least 1.

    Example:
        >>> net = ImageConditionNetwork(height=16, width=16, filters=8)
        >>> net(tf.zeros([2, 8, 8, 1])).shape
        TensorShape([2, 16, 16, 8])

    References:
        Kolesnikov & Lampert 2017, "PixelCNN Models with Auxiliary Variables for Natural
        Image Modeling", §3 (the embedding f_w of the auxiliary variable).
    """

    def __init__(
        self,
        height: int,
        width: int,
        filters: int,
        hidden_filters: int = 32,
        layers_per_resolution: int = 1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("filters", filters),
            ("hidden_filters", hidden_filters),
            ("layers_per_resolution", layers_per_resolution),
        ):
            if value < 1:
                raise ValueError(f"{name} must be a positive integer. Received: {name}={value}.")
        self.height = height
        self.width = width
        self.filters = filters
        self.hidden_filters = hidden_filters
        self.layers_per_resolution = layers_per_resolution
        conv = lambda n, name, **kw: keras.layers.Conv2D(  # noqa: E731
            n, 3, padding="same", name=name, dtype=self.dtype_policy, **kw
        )
        # The first layer at each resolution keeps the name it had when there was one
        # ("full", "half"), so saved models load; further ones are "full_1", "half_1", ...
        self.full = conv(hidden_filters, "full")
        self.down = conv(hidden_filters, "down", strides=2)
        self.half = conv(hidden_filters, "half")
        for i in range(1, layers_per_resolution):
            setattr(self, f"full_{i}", conv(hidden_filters, f"full_{i}"))
            setattr(self, f"half_{i}", conv(hidden_filters, f"half_{i}"))
        self.up = keras.layers.Conv2DTranspose(
            hidden_filters, 4, strides=2, padding="same", name="up", dtype=self.dtype_policy
        )
        self.output_conv = conv(filters, "output")

    def _at_resolution(self, name: str):
        """The 3×3 convolutions of "full" or "half" resolution, first to last."""
        more = [getattr(self, f"{name}_{i}") for i in range(1, self.layers_per_resolution)]
        return [getattr(self, name), *more]

    def build(self, input_shape):
        channels = input_shape[-1]
        full = self._at_resolution("full")
        build_once(full[0], (None, self.height, self.width, channels))
        hidden = (None, None, None, self.hidden_filters)
        half = self._at_resolution("half")
        for layer in (*full[1:], self.down, *half, self.up, self.output_conv):
            build_once(layer, hidden)
        self.built = True

    def call(self, condition_image):
        x = tf.cast(condition_image, self.compute_dtype)
        x = tf.image.resize(x, (self.height, self.width), method="nearest")  # (B, H, W, c)
        full = x
        for layer in self._at_resolution("full"):
            full = tf.nn.relu(layer(full))  # (B, H, W, F)
        half = tf.nn.relu(self.down(full))  # (B, ⌈H/2⌉, ⌈W/2⌉, F)
        for layer in self._at_resolution("half"):
            half = tf.nn.relu(layer(half))
        up = self.up(half)[:, : self.height, : self.width, :]
        return self.output_conv(tf.nn.relu(full + up))  # (B, H, W, S)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            height=self.height,
            width=self.width,
            filters=self.filters,
            hidden_filters=self.hidden_filters,
            layers_per_resolution=self.layers_per_resolution,
        )
        return config
