"""Output head: features to per-sub-pixel logits."""

import keras
import tensorflow as tf

from tf_pixelcnn.layers.build_once import build_once
from tf_pixelcnn.layers.masked_conv2d import MaskedConv2D
from tf_pixelcnn.layers.pixel_step import HeadWeights, group_bounds


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class PixelOutputHead(keras.layers.Layer):
    """ReLU → masked 1×1 → ReLU → masked 1×1 → logits of every sub-pixel.

    Both 1×1 convolutions use mask "B", so the logits of channel c at a pixel see the
    features of colour groups <= c, which have only seen sub-pixels before c.

    The head computes in float32 by default, whatever the global mixed-precision
    policy: its input is cast up and the logits (or mixture parameters) are float32.
    Rounding logits to 16 bits would move every log-softmax (bf16: logits N(0, 4²) move
    it about 0.01 nats per sub-pixel), i.e. bias the likelihood, for a negligible saving:
    the head is two 1×1 convolutions.

    Args:
        num_levels: Values per sub-pixel (softmax size).
        num_color_groups: Colour channels C of the image (1 or 3).
        hidden_filters: Channels of the hidden 1×1 layer.
        dtype: The head's dtype policy (float32 by default, see above).

    Input: `[batch, height, width, features]`.
    Output: `[batch, height, width, C, num_levels]`, unnormalised logits.

    Example:
        >>> head = PixelOutputHead(num_levels=256, num_color_groups=3, hidden_filters=6)
        >>> head(tf.zeros([1, 4, 4, 6])).shape
        TensorShape([1, 4, 4, 3, 256])

    References:
        van den Oord et al. 2016, "Pixel Recurrent Neural Networks", §5.1 and Table 4.
    """

    def __init__(
        self,
        num_levels: int,
        num_color_groups: int,
        hidden_filters: int,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(dtype=dtype, **kwargs)
        self.num_levels = num_levels
        self.num_color_groups = num_color_groups
        self.hidden_filters = hidden_filters
        self.hidden = MaskedConv2D(
            hidden_filters,
            1,
            mask_type="B",
            num_color_groups=num_color_groups,
            name="hidden",
            dtype=self.dtype_policy,
        )
        # Output channel c * num_levels + l is level l of colour c: group c.
        self.logits = MaskedConv2D(
            num_color_groups * num_levels,
            1,
            mask_type="B",
            num_color_groups=num_color_groups,
            name="logits",
            dtype=self.dtype_policy,
        )

    def build(self, input_shape):
        build_once(self.hidden, input_shape)
        build_once(self.logits, (None, None, None, self.hidden_filters))
        self.built = True

    def call(self, features):
        features = tf.cast(features, self.compute_dtype)  # e.g. bfloat16 features to float32
        x = self.hidden(tf.nn.relu(features))
        x = self.logits(tf.nn.relu(x))  # (B, H, W, C * L)
        shape = tf.shape(x)
        return tf.reshape(
            x, tf.concat([shape[:-1], [self.num_color_groups, self.num_levels]], axis=0)
        )

    def pixel_step_weights(
        self, filters: int, num_groups: int, outputs_per_group: int
    ) -> HeadWeights:
        """The head at one pixel as matrices cut by colour group, for a sampler that
        computes group k from the features of groups ≤ k (`layers.pixel_step`).

        Args:
            filters: p, the width of the head's input features.
            num_groups: colour groups the pixel is drawn in (1 draws the whole pixel
                from the full masked matrices, as a mixture head does).
            outputs_per_group: outputs of group k, `[k·L, (k + 1)·L)` (softmax: L
                levels; one group: every parameter).

        Returns:
            `HeadWeights` in the head's compute dtype (float32 by default). With
            `m_j = relu(x[:, :top_ends[j]]) hidden[j] + hidden_bias[j]`, group k's
            outputs `relu([m_0 … m_k]) logits[k] + logits_bias[k]` equal this layer's
            outputs of group k for features x `[B, p]`.
        """
        hidden_kernel, hidden_bias = self.hidden.dense_weights(self.compute_dtype)
        logits_kernel, logits_bias = self.logits.dense_weights(self.compute_dtype)
        top = group_bounds(filters, num_groups)
        hidden = group_bounds(hidden_kernel.shape[-1], num_groups)
        outputs = [(k * outputs_per_group, (k + 1) * outputs_per_group) for k in range(num_groups)]
        return HeadWeights(
            [hidden_kernel[:top_end, start:end] for (_, top_end), (start, end) in zip(top, hidden)],
            [hidden_bias[start:end] for start, end in hidden],
            [logits_kernel[:hidden_end, s:e] for (_, hidden_end), (s, e) in zip(hidden, outputs)],
            [logits_bias[s:e] for s, e in outputs],
            [end for _, end in top],
        )

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.num_color_groups, self.num_levels)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_levels=self.num_levels,
            num_color_groups=self.num_color_groups,
            hidden_filters=self.hidden_filters,
        )
        return config
