"""Discretized mixture of logistics over the values of a pixel (Salimans et al. 2017,
PixelCNN++, as used by Kolesnikov & Lampert 2017).

A pixel's C sub-pixels share one of K mixture components. Sub-pixel values v in
[0, L) are scaled to x = 2v/(L-1) - 1 in [-1, 1]; under component k, sub-pixel c is a
logistic with scale s_kc and mean

    mu'_kc = mu_kc + sum_{j<c} tanh(a_kcj) * x_j           (PixelCNN++ channel coupling)

discretised to bins of half-width d = 1/(L-1): P(v) = sigma((x+d-mu')/s) -
sigma((x-d-mu')/s), with the edge bins v = 0 and v = L-1 extended to -inf and +inf.
So every pixel's distribution sums to exactly 1 over all L^C values.

Parameters per pixel, `num_parameters(K, C)` = K (1 + 2C + C(C-1)/2), laid out as
`[logits (K), then per component k: means (C), log-scales (C), coupling (C(C-1)/2)]`.

`LogisticMixture` is the distribution as an object (what `GatedPixelCNN.pixel_distribution`
returns for a mixture output): its log-prob, its draw of a whole pixel from 1 + C uniform
numbers, and the range coder's exact per-channel tables (`coded_pixel`) — all in this file.
"""

import dataclasses
from typing import Callable, List, Optional

import numpy as np
import tensorflow as tf

from tf_pixelcnn.distributions.pixel_distribution import PixelDistribution, check_sizes

MIN_LOG_SCALE = -7.0  # as PixelCNN++: scales below e^-7 ~ 1e-3 are clipped


def num_coupling(channels: int) -> int:
    return channels * (channels - 1) // 2


def num_parameters(num_components: int, channels: int) -> int:
    """Parameters per pixel: 10 K for RGB, 3 K for one channel."""
    return num_components * (1 + 2 * channels + num_coupling(channels))


def split_parameters(params: tf.Tensor, num_components: int, channels: int):
    """`[..., P]` -> logits `[..., K]`, means, log-scales `[..., K, C]`, coupling
    `[..., K, C(C-1)/2]`."""
    params = tf.cast(params, tf.float32)
    expected = num_parameters(num_components, channels)
    if params.shape[-1] is not None and params.shape[-1] != expected:
        raise ValueError(
            f"A mixture of {num_components} logistics over {channels} channels has {expected} "
            f"parameters per pixel. Received: params shape {tuple(params.shape)}."
        )
    logits = params[..., :num_components]
    per_component = 2 * channels + num_coupling(channels)
    rest = tf.reshape(
        params[..., num_components:],
        tf.concat([tf.shape(params)[:-1], [num_components, per_component]], axis=0),
    )  # (..., K, 2C + C(C-1)/2)
    means = rest[..., :channels]
    log_scales = tf.maximum(rest[..., channels : 2 * channels], MIN_LOG_SCALE)
    coupling = tf.tanh(rest[..., 2 * channels :])
    return logits, means, log_scales, coupling


def coupled_means(means, coupling, x) -> tf.Tensor:
    """mu'_kc = mu_kc + sum_{j<c} coupling_kcj x_j of every channel, `[..., K, C]`.

    Args:
        means, coupling: `[..., K, C]` and `[..., K, C(C-1)/2]` (`split_parameters`).
        x: `[..., C]`, the pixel's scaled values (`scale_values`).
    """
    channels = means.shape[-1]
    columns = [
        coupled_mean(means, coupling, [x[..., None, j] for j in range(c)]) for c in range(channels)
    ]
    return tf.stack(columns, axis=-1)  # (..., K, C)


def coupled_mean(means, coupling, earlier) -> tf.Tensor:
    """mu'_c = mu_c + sum_{j<c} coupling_cj x_j of channel c = `len(earlier)`.

    Args:
        means, coupling: `[..., C]` and `[..., C(C-1)/2]` (one component), or `[..., K, C]`
            and `[..., K, C(C-1)/2]` (every component).
        earlier: the scaled values x_j of the channels before c, each broadcastable to
            `means[..., c]` (`[...]`, or `[..., 1]` for every component).

    Returns:
        `means[..., c]`'s shape.
    """
    c = len(earlier)
    mean = means[..., c]
    first_pair = c * (c - 1) // 2  # coupling pairs (c, j) follow those of channels < c
    for j, x in enumerate(earlier):
        mean = mean + coupling[..., first_pair + j] * x
    return mean


def scale_values(values, num_levels: int) -> tf.Tensor:
    """Integer values [0, L) -> x in [-1, 1]."""
    return tf.cast(values, tf.float32) * (2.0 / (num_levels - 1)) - 1.0


def pixel_log_prob(
    params: tf.Tensor, images: tf.Tensor, num_components: int, num_levels: int
) -> tf.Tensor:
    """log P(pixel) of every pixel, `float32 [...]` (nats).

    Args:
        params: `[..., P]` mixture parameters per pixel (`num_parameters`).
        images: integer `[..., C]` in `[0, num_levels)`.
    """
    channels = images.shape[-1]
    logits, means, log_scales, coupling = split_parameters(params, num_components, channels)
    x = scale_values(images, num_levels)  # (..., C)
    means = coupled_means(means, coupling, x)  # (..., K, C)
    log_p = log_interval_mass(means, log_scales, images, images, num_levels)  # (..., K, C)
    log_weights = tf.nn.log_softmax(logits, axis=-1)
    return tf.reduce_logsumexp(log_weights + tf.reduce_sum(log_p, axis=-1), axis=-1)


def log_interval_mass(means, log_scales, low, high, num_levels: int) -> tf.Tensor:
    """log P(low ≤ v ≤ high) under discretized logistics, exact for any interval.

    Args:
        means, log_scales: `[..., K, C]` (coupled means).
        low, high: integer `[..., C]`, low ≤ high (a bin: low = high = v).

    Returns:
        `float32 [..., K, C]`. The interval is (x_low − d, x_high + d) with d = 1/(L−1),
        extended to −∞ at low = 0 and +∞ at high = L−1.
    """
    half_bin = 1.0 / (num_levels - 1)
    inverse_scale = tf.exp(-log_scales)
    plus = inverse_scale * (scale_values(high, num_levels)[..., None, :] + half_bin - means)
    minus = inverse_scale * (scale_values(low, num_levels)[..., None, :] - half_bin - means)
    log_cdf_plus = -tf.nn.softplus(-plus)  # log sigma(plus): open to the left
    log_survival_minus = -tf.nn.softplus(minus)  # log(1 - sigma(minus)): open to the right
    # log(sigma(b) - sigma(a)) = log sigma(b) + log sigma(-a) + log(1 - e^(a-b)), exact
    # and stable for any b > a (no approximation of tiny bins).
    log_inner = log_cdf_plus + log_survival_minus + tf.math.log(-tf.math.expm1(minus - plus))
    open_low = tf.cast(low, tf.int32)[..., None, :] == 0
    open_high = tf.cast(high, tf.int32)[..., None, :] == num_levels - 1
    return tf.where(
        open_low,
        tf.where(open_high, tf.zeros_like(plus), log_cdf_plus),
        tf.where(open_high, log_survival_minus, log_inner),
    )


def sample_pixels(
    params: tf.Tensor,
    uniform: tf.Tensor,
    num_components: int,
    channels: int,
    num_levels: int,
    log_scale_reduction: float = 0.0,
    mode: str = "sample",
) -> tf.Tensor:
    """Draws every pixel's values, `int32 [..., C]`, from given uniforms.

    Args:
        params: `[..., P]`.
        uniform: `[..., 1 + C]` in (0, 1): the component, then each channel's logistic.
        log_scale_reduction: Subtracted from every log-scale before sampling (> 0 makes
            samples less noisy; Kolesnikov & Lampert 2017, §4).
        mode: "sample", or "map": sample the component, then take the mode of each
            channel's logistic (its mean) — MAP sampling of the paper.

    The coupling uses the values already drawn, quantised, so the draws follow
    exactly the distribution of `pixel_log_prob` (with no reduction, mode "sample").
    """
    if mode not in ("sample", "map"):
        raise ValueError(f"mode must be 'sample' or 'map'. Received: mode={mode!r}.")
    logits, means, log_scales, coupling = split_parameters(params, num_components, channels)
    uniform = tf.cast(uniform, tf.float32)
    cdf = tf.cumsum(tf.nn.softmax(logits, axis=-1), axis=-1)
    below = tf.reduce_sum(tf.cast(cdf <= uniform[..., :1], tf.int32), axis=-1)
    component = tf.minimum(below, num_components - 1)  # (...)
    pick = lambda t: tf.gather(t, component, axis=-2, batch_dims=len(component.shape))  # noqa: E731
    means, log_scales, coupling = pick(means), pick(log_scales), pick(coupling)  # (..., C)
    eps = 1e-6
    values, scaled = [], []
    for c in range(channels):
        mean = coupled_mean(means, coupling, scaled)
        x = mean
        if mode == "sample":
            u = tf.clip_by_value(uniform[..., 1 + c], eps, 1.0 - eps)
            scale = tf.exp(log_scales[..., c] - log_scale_reduction)
            x = mean + scale * (tf.math.log(u) - tf.math.log1p(-u))
        value = tf.clip_by_value(tf.round((x + 1.0) * (num_levels - 1) / 2.0), 0, num_levels - 1)
        values.append(tf.cast(value, tf.int32))
        scaled.append(scale_values(value, num_levels))
    return tf.stack(values, axis=-1)


def bin_masses(means, log_scales, num_levels: int) -> tf.Tensor:
    """P(v) for every value v of discretized logistics, `float32 [B, K, L]` (edge bins open).

    P(v) = σ(z_{v+1}) − σ(z_v) over the bin's scaled edges z (z_0 = −∞, z_L = +∞). A bin
    below the mean takes the difference of two small CDF values, a bin above it the
    difference of two small survival values σ(−z), so no bin loses its relative precision
    to cancellation; one exp per edge (the sampler's cost, not a log-space table's). The
    range coder's tables are built from these (`coded_pixel`): change nothing here without
    a new compressed-data format, or files written before stop decoding.

    Args:
        means, log_scales: `[B, K]` (coupled means).
    """
    edges = tf.range(1, num_levels, dtype=tf.float32) * (2.0 / (num_levels - 1))
    edges = edges - 1.0 - 1.0 / (num_levels - 1)  # (L − 1,): between bins v − 1 and v
    z = (edges - means[..., None]) * tf.exp(-log_scales)[..., None]  # (B, K, L − 1)
    z = tf.pad(z, [[0, 0], [0, 0], [1, 1]])  # (B, K, L + 1); the ends: below
    first = tf.one_hot(0, num_levels + 1, on_value=-np.inf, off_value=0.0)
    last = tf.one_hot(num_levels, num_levels + 1, on_value=np.inf, off_value=0.0)
    z = z + first + last  # z_0 = −∞, z_L = +∞
    small = tf.exp(-tf.abs(z))
    large = 1.0 / (1.0 + small)  # max(σ(z), σ(−z))
    small = small * large  # min(σ(z), σ(−z)): σ(z) below the mean, σ(−z) above
    left, right = z[..., :-1], z[..., 1:]
    below = small[..., 1:] - small[..., :-1]  # both edges below the mean: Δ CDF
    above = small[..., :-1] - small[..., 1:]  # both above: Δ survival
    straddling = large[..., 1:] - small[..., :-1]  # σ(z_{v+1}) − σ(z_v), z_v < 0 ≤ z_{v+1}
    masses = tf.where(right < 0, below, tf.where(left >= 0, above, straddling))
    return tf.maximum(masses, 0.0)


def coded_pixel(
    params: tf.Tensor,
    num_components: int,
    channels: int,
    num_levels: int,
    value_of: Callable[[int, tf.Tensor], tf.Tensor],
    restrict: Optional[Callable[[tf.Tensor, List[tf.Tensor]], tf.Tensor]] = None,
) -> tf.Tensor:
    """A pixel's channels one after the other from their exact conditional tables.

    The table of channel c is Σ_k w_k P_k(v | x_<c) for every value v (unnormalised,
    `float32 [B, L]`): the component weights w after the earlier channels' values times
    the discretized logistic of the coupled mean (`bin_masses`). The product of the
    normalised tables over the channels is `pixel_log_prob`'s distribution.

    Args:
        params: `[B, P]` mixture parameters.
        value_of: `value_of(channel, table [B, L]) -> int32 [B]`: the channel's value (the
            true one when encoding, the decoded one when decoding).
        restrict: `restrict(table, earlier_values) -> table`, or None: applied to every
            table before `value_of` (the truncated mixture's intervals).

    Returns:
        `int32 [B, C]`, the values `value_of` returned.
    """
    logits, means, log_scales, coupling = split_parameters(params, num_components, channels)
    log_weights = tf.nn.log_softmax(logits, axis=-1)  # (B, K)
    values, scaled = [], []
    for c in range(channels):
        mean = coupled_mean(means, coupling, [x[..., None] for x in scaled])  # (B, K)
        masses = bin_masses(mean, log_scales[..., c], num_levels)  # P_k(v | x_<c): (B, K, L)
        weights = tf.exp(log_weights - tf.reduce_max(log_weights, axis=-1, keepdims=True))
        table = tf.matmul(weights[:, None, :], masses)[:, 0]  # (B, L) ∝ p(v | x_<c)
        if restrict is not None:
            table = restrict(table, values)
        value = value_of(c, table)  # (B,)
        # The posterior over components given x_≤c (floored: a value in the far tail of
        # every component leaves the weights as they were, the same way both directions).
        mass = tf.gather(masses, value, axis=-1, batch_dims=1)  # (B, K)
        log_weights = log_weights + tf.math.log(tf.maximum(mass, 1e-37))
        values.append(value)
        scaled.append(scale_values(value, num_levels))
    return tf.stack(values, axis=-1)


@dataclasses.dataclass(frozen=True)
class LogisticMixture(PixelDistribution):
    """A discretized mixture of `num_components` logistics over a whole pixel, with channel
    coupling (the module's docstring has the maths).

    Outputs per pixel: `num_parameters(K, C)`; random stream: 1 + C uniforms per pixel
    (the component, then each channel's logistic).

    Example:
        >>> mixture = LogisticMixture(num_levels=256, channels=3, num_components=10)
        >>> mixture.outputs_per_group, mixture.uniforms_per_pixel
        (100, 4)
    """

    num_levels: int
    channels: int
    num_components: int

    whole_pixel = True

    def __post_init__(self):
        check_sizes(
            num_levels=self.num_levels, channels=self.channels, num_components=self.num_components
        )

    @property
    def outputs_per_group(self) -> int:
        return num_parameters(self.num_components, self.channels)

    @property
    def uniforms_per_pixel(self) -> int:
        return 1 + self.channels

    def log_prob(self, params: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
        """log P(pixel) of every pixel in nats, `float32 [...]` (channels jointly).

        Args:
            params: `[..., P]`.
            images: integer `[..., C]` in `[0, num_levels)`.
        """
        images = tf.cast(images, tf.int32)
        return pixel_log_prob(params, images, self.num_components, self.num_levels)

    def draw(
        self, params: tf.Tensor, uniform: tf.Tensor, log_scale_reduction=0.0, mode="sample"
    ) -> tf.Tensor:
        """Every pixel's values from `uniform` `[..., 1 + C]`, `int32 [..., C]`
        (`sample_pixels`: `log_scale_reduction`, `mode` "sample" or "map")."""
        return sample_pixels(
            params, uniform, self.num_components, self.channels, self.num_levels,
            log_scale_reduction=log_scale_reduction, mode=mode,
        )  # fmt: skip

    def coded_pixel(self, params: tf.Tensor, value_of) -> tf.Tensor:
        """The range coder's pass over one pixel, `int32 [B, C]` (`coded_pixel`)."""
        return coded_pixel(
            params, self.num_components, self.channels, self.num_levels, value_of
        )

    def check_draw_options(
        self, temperature=1.0, log_scale_reduction=0.0, mixture_mode: str = "sample"
    ) -> None:
        """A mixture is sharpened by `log_scale_reduction` or `mixture_mode="map"`, not by
        `temperature`; see `PixelDistribution`."""
        if float(temperature) != 1.0:
            raise ValueError(
                "temperature applies to softmax outputs; a logistic mixture is sharpened "
                "with log_scale_reduction or mixture_mode='map'. Received: "
                f"temperature={temperature}."
            )
        super().check_draw_options(temperature, log_scale_reduction, mixture_mode)
