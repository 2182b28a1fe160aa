"""Projection of a conditioning input into a layer's pre-activations."""

import keras

from tf_pixelcnn.layers.build_once import build_once


@keras.saving.register_keras_serializable(package="tf_pixelcnn")
class ConditionProjection(keras.layers.Layer):
    """Maps h (global) or s = m(h) (location-dependent) to a bias on a layer's pre-activations.

    Global conditioning (eq. 4) adds `V^T h`, the same vector at every position.
    Location-dependent conditioning (eq. 5) adds `V * s`, an unmasked 1×1 convolution of the
    spatial map s. The condition is fully known, so neither needs a causal mask.

    Args:
        units: Size of the bias (2p for a gated unit: V_f and V_g fused).
        condition_dim: Size D of a global condition vector, or None.
        spatial_channels: Channels S of a spatial condition map, or None.

    Call arguments:
        condition: `[batch, condition_dim]` float, required iff `condition_dim` is set.
        spatial_condition: `[batch, height, width, spatial_channels]`, required iff
            `spatial_channels` is set.

    Returns:
        The sum of the projections: `[batch, 1, 1, units]` for a global condition alone,
        `[batch, height, width, units]` when a spatial condition is given.

    Example:
        >>> proj = ConditionProjection(units=8, condition_dim=10)
        >>> proj(condition=tf.zeros([2, 10])).shape
        TensorShape([2, 1, 1, 8])

    References:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        §2.3, eqs. 4 and 5.
    """

    def __init__(self, units: int, condition_dim=None, spatial_channels=None, **kwargs):
        super().__init__(**kwargs)
        if condition_dim is None and spatial_channels is None:
            raise ValueError(
                "ConditionProjection needs condition_dim or spatial_channels. Received: "
                "condition_dim=None, spatial_channels=None."
            )
        self.units = units
        self.condition_dim = condition_dim
        self.spatial_channels = spatial_channels
        self.global_projection = (
            keras.layers.Dense(
                units, use_bias=False, name="global_projection", dtype=self.dtype_policy
            )
            if condition_dim is not None
            else None
        )
        self.spatial_projection = (
            keras.layers.Conv2D(
                units, 1, use_bias=False, name="spatial_projection", dtype=self.dtype_policy
            )
            if spatial_channels is not None
            else None
        )

    def build(self, *args, **kwargs):
        if self.global_projection is not None:
            build_once(self.global_projection, (None, self.condition_dim))
        if self.spatial_projection is not None:
            build_once(self.spatial_projection, (None, None, None, self.spatial_channels))
        self.built = True

    def call(self, condition=None, spatial_condition=None):
        bias = 0.0
        if self.global_projection is not None:
            if condition is None:
                raise ValueError("This projection needs `condition` [batch, condition_dim].")
            bias = self.global_projection(condition)[:, None, None, :]  # (B, 1, 1, units)
        if self.spatial_projection is not None:
            if spatial_condition is None:
                raise ValueError(
                    "This projection needs `spatial_condition` [batch, height, width, channels]."
                )
            bias = bias + self.spatial_projection(spatial_condition)  # (B, H, W, units)
        return bias

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            condition_dim=self.condition_dim,
            spatial_channels=self.spatial_channels,
        )
        return config
