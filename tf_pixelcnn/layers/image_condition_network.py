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
    block), then: a 3×3 convolution at full resolution, a stride-2 convolution and a
    3×3 convolution at half resolution, a stride-2 transposed convolution back up, added
    to the full-resolution features (a one-level U-net: down- and up-sampling), and a
    final 3×3 convolution to `filters` channels. Any pixel of the output may depend on
    any pixel of x̂ nearby: only the model's own image must be causal, not x̂.

    Args:
        height, width: Output size H, W (the modelled image's).
        filters: Output channels S.
        hidden_filters: Channels inside the network.

    Example:
        >>> net = ImageConditionNetwork(height=16, width=16, filters=8)
        >>> net(tf.zeros([2, 8, 8, 1])).shape
        TensorShape([2, 16, 16, 8])

    References:
        Kolesnikov & Lampert 2017, "PixelCNN Models with Auxiliary Variables for Natural
        Image Modeling", §3 (the embedding f_w of the auxiliary variable).
    """

    def __init__(self, height: int, width: int, filters: int, hidden_filters: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.height = height
        self.width = width
        self.filters = filters
        self.hidden_filters = hidden_filters
        conv = lambda n, name, **kw: keras.layers.Conv2D(  # noqa: E731
            n, 3, padding="same", name=name, **kw
        )
        self.full = conv(hidden_filters, "full")
        self.down = conv(hidden_filters, "down", strides=2)
        self.half = conv(hidden_filters, "half")
        self.up = keras.layers.Conv2DTranspose(
            hidden_filters, 4, strides=2, padding="same", name="up"
        )
        self.output_conv = conv(filters, "output")

    def build(self, input_shape):
        channels = input_shape[-1]
        build_once(self.full, (None, self.height, self.width, channels))
        hidden = (None, None, None, self.hidden_filters)
        for layer in (self.down, self.half, self.up, self.output_conv):
            build_once(layer, hidden)
        self.built = True

    def call(self, condition_image):
        x = tf.cast(condition_image, self.compute_dtype)
        x = tf.image.resize(x, (self.height, self.width), method="nearest")  # (B, H, W, c)
        full = tf.nn.relu(self.full(x))
        half = tf.nn.relu(self.half(tf.nn.relu(self.down(full))))  # (B, ⌈H/2⌉, ⌈W/2⌉, F)
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
        )
        return config
