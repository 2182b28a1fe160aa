"""A pixel's logistic mixture restricted to the values consistent with an auxiliary variable.

Given x̂, channel c of a pixel may only take values in an interval [low_c, high_c] that
depends on x̂ and the channels before it (`grayscale_levels.channel_bounds`). The model
draws each channel from its conditional under the mixture, renormalised to the interval:

    q(x) = ∏_c p(x_c | x_<c) 1[low_c ≤ x_c ≤ high_c] / P(low_c ≤ v ≤ high_c | x_<c)

so log q(x) = Σ_c [log p(x_≤c) − log Σ_k π_k p_k(x_<c) P_k(low_c ≤ v ≤ high_c | x_<c)],
each term exact in log space (`logistic_mixture.log_interval_mass`). q sums to 1 over the
pixels consistent with x̂ and puts no mass elsewhere, so the Grayscale PixelCNN's
log p(x) = log p(x̂) + log q(x | x̂) is exact. With [0, L−1] everywhere, q = p.

`TruncatedLogisticMixture` is the distribution as an object: log q, the draw inside the
intervals and the range coder's restricted tables. The intervals come as arguments
(`low`, `high`, or a `bounds` function of the earlier channels), so this layer knows
nothing of grayscale levels.
"""

import dataclasses

import tensorflow as tf

from tf_pixelcnn.distributions import logistic_mixture
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.distributions.pixel_distribution import PixelDistribution


@dataclasses.dataclass(frozen=True)
class TruncatedLogisticMixture(PixelDistribution):
    """`mixture` restricted to one interval per channel, given the channels before it.

    Its network outputs and random stream are the mixture's (1 + C uniforms per pixel).

    Example:
        >>> mixture = logistic_mixture.LogisticMixture(256, 3, num_components=10)
        >>> TruncatedLogisticMixture(mixture).stream_shape(4, 4)
        (4, 4, 4)
    """

    mixture: logistic_mixture.LogisticMixture

    whole_pixel = True

    def __post_init__(self):
        if not isinstance(self.mixture, logistic_mixture.LogisticMixture):
            raise ValueError(
                "TruncatedLogisticMixture restricts a LogisticMixture. Received: "
                f"mixture={self.mixture!r}."
            )

    @property
    def num_levels(self) -> int:
        return self.mixture.num_levels

    @property
    def channels(self) -> int:
        return self.mixture.channels

    @property
    def num_components(self) -> int:
        return self.mixture.num_components

    @property
    def outputs_per_group(self) -> int:
        return self.mixture.outputs_per_group

    @property
    def uniforms_per_pixel(self) -> int:
        return self.mixture.uniforms_per_pixel

    def log_prob(self, params, images, low, high) -> tf.Tensor:
        """log q(pixel) of every pixel, `float32 [...]` (`pixel_log_prob`)."""
        return pixel_log_prob(params, images, low, high, self.num_components, self.num_levels)

    def draw(self, params, uniform, bounds, log_scale_reduction=0.0, mode="sample") -> tf.Tensor:
        """Every pixel's values inside its intervals, `int32 [..., C]` (`sample_pixels`)."""
        return sample_pixels(
            params, uniform, bounds, self.num_components, self.channels, self.num_levels,
            log_scale_reduction, mode,
        )  # fmt: skip

    def coded_pixel(self, params, value_of, bounds) -> tf.Tensor:
        """The range coder's pass over one pixel, `int32 [B, C]`: the mixture's exact
        conditional tables (`logistic_mixture.coded_pixel`) with the values outside the
        channel's interval `bounds(earlier_values) -> (low, high)` set to 0. If every
        value inside underflowed to 0 (far in every component's tail), the table is
        uniform over the interval — the same way when encoding and decoding."""
        levels = tf.range(self.num_levels, dtype=tf.int32)  # (L,)

        def restrict(table, earlier):
            low, high = bounds(earlier)
            outside = tf.logical_or(levels < low[..., None], levels > high[..., None])
            table = tf.where(outside, 0.0, table)
            empty = tf.reduce_sum(table, axis=-1, keepdims=True) <= 0.0
            return tf.where(empty, tf.cast(tf.logical_not(outside), tf.float32), table)

        return logistic_mixture.coded_pixel(
            params, self.num_components, self.channels, self.num_levels, value_of, restrict
        )

    def check_draw_options(
        self, temperature=1.0, log_scale_reduction=0.0, mixture_mode: str = "sample"
    ) -> None:
        """As the mixture's (`LogisticMixture.check_draw_options`)."""
        self.mixture.check_draw_options(temperature, log_scale_reduction, mixture_mode)


def pixel_log_prob(params, images, low, high, num_components: int, num_levels: int) -> tf.Tensor:
    """log q(pixel) of every pixel, `float32 [...]`.

    Args:
        params: `[..., P]` mixture parameters (`logistic_mixture.num_parameters`).
        images: integer `[..., C]`, inside the bounds.
        low, high: integer `[..., C]`: each channel's interval given the ones before it.
    """
    channels = images.shape[-1]
    logits, means, log_scales, coupling = logistic_mixture.split_parameters(
        params, num_components, channels
    )
    x = logistic_mixture.scale_values(images, num_levels)
    means = logistic_mixture.coupled_means(means, coupling, x)  # (..., K, C)
    log_p = logistic_mixture.log_interval_mass(means, log_scales, images, images, num_levels)
    log_mass = logistic_mixture.log_interval_mass(means, log_scales, low, high, num_levels)
    before = tf.cumsum(log_p, axis=-1, exclusive=True)  # log p_k(x_<c), (..., K, C)
    log_weights = tf.nn.log_softmax(logits, axis=-1)[..., None]  # (..., K, 1)
    joint = tf.reduce_logsumexp(log_weights + before + log_p, axis=-2)  # log p(x_≤c)
    normaliser = tf.reduce_logsumexp(log_weights + before + log_mass, axis=-2)
    return tf.reduce_sum(joint - normaliser, axis=-1)


def sample_pixels(
    params,
    uniform,
    bounds,
    num_components: int,
    channels: int,
    num_levels: int,
    log_scale_reduction: float = 0.0,
    mode: str = "sample",
) -> tf.Tensor:
    """Draws every pixel channel by channel inside its interval, `int32 [..., C]`.

    Args:
        params: `[..., P]`.
        uniform: `[..., 1 + C]` in (0, 1): the component (MAP mode), then each channel.
        bounds: `bounds(earlier_values) -> (low, high)`, int `[...]` each, for the
            channel after `earlier_values` (a list of `int32 [...]`).
        log_scale_reduction: subtracted from the log-scales (Kolesnikov & Lampert 2017).
        mode: "sample": each channel by inverse CDF from its exact truncated conditional
            (the distribution of `pixel_log_prob` when the reduction is 0); "map": draw
            the component from π_k P_k(channel 0 in bounds), then take each channel's
            mode under it — the rounded mean of its logistic, as in
            `logistic_mixture.sample_pixels` — moved into the channel's interval.
    """
    if mode not in ("sample", "map"):
        raise ValueError(f"mode must be 'sample' or 'map'. Received: mode={mode!r}.")
    logits, means, log_scales, coupling = logistic_mixture.split_parameters(
        params, num_components, channels
    )
    log_scales = log_scales - log_scale_reduction
    uniform = tf.cast(uniform, tf.float32)
    log_weights = tf.nn.log_softmax(logits, axis=-1)  # (..., K)
    values, scaled = [], []
    for c in range(channels):
        low, high = bounds(values)
        earlier = [x[..., None] for x in scaled]  # (..., 1) each: every component
        mean = logistic_mixture.coupled_mean(means, coupling, earlier)  # (..., K)
        if mode == "map":
            if c == 0:  # the component, given that channel 0 can be completed
                component = _component_in_bounds(
                    mean, log_scales[..., c], low, high, log_weights, uniform[..., 0], num_levels
                )
            value = _mode_in_bounds(mean, component, low, high, num_levels)
        else:
            value, log_weights = _draw_in_bounds(
                mean, log_scales[..., c], low, high, log_weights, uniform[..., 1 + c], num_levels
            )
        values.append(value)
        scaled.append(logistic_mixture.scale_values(value, num_levels))
    return tf.stack(values, axis=-1)


def _component_in_bounds(mean, log_scale, low, high, log_weights, uniform, num_levels):
    """The component `int32 [...]` drawn from π_k P_k(low ≤ v ≤ high); `mean`, `log_scale`
    and `log_weights` `[..., K]`, `low`, `high` and `uniform` `[...]`."""
    log_mass = logistic_mixture.log_interval_mass(
        mean[..., None], log_scale[..., None], low[..., None], high[..., None], num_levels
    )[..., 0]  # (..., K)
    return random_stream.inverse_cdf_sample(log_weights + log_mass, uniform)


def _mode_in_bounds(mean, component, low, high, num_levels):
    """The mode of `component`'s logistic (its mean), as `logistic_mixture`'s MAP, moved into
    `[low, high]`: `int32 [...]`; `mean` `[..., K]`."""
    chosen = tf.gather(mean, component, axis=-1, batch_dims=len(component.shape))
    value = tf.cast(tf.round((chosen + 1.0) * (num_levels - 1) / 2.0), tf.int32)
    return tf.clip_by_value(value, low, high)


def _draw_in_bounds(mean, log_scale, low, high, log_weights, uniform, num_levels):
    """A value `int32 [...]` by inverse CDF from the mixture restricted to `[low, high]`, and
    the log-weights `[..., K]` of the components' posterior given it (for the next channel)."""
    every_value = tf.range(num_levels, dtype=tf.int32)  # (L,)
    # log p_k(v | x_<c) for every value v: (..., K, L)
    log_p = logistic_mixture.log_interval_mass(
        mean[..., None], log_scale[..., None], every_value, every_value, num_levels
    )
    outside = tf.logical_or(every_value < low[..., None], every_value > high[..., None])
    log_value = tf.reduce_logsumexp(log_weights[..., None] + log_p, axis=-2)  # (..., L)
    value = random_stream.inverse_cdf_sample(tf.where(outside, -1e30, log_value), uniform)
    value = tf.clip_by_value(value, low, high)  # float round-off of the CDF's end
    posterior = log_weights + tf.gather(log_p, value, axis=-1, batch_dims=len(value.shape))
    return value, posterior
