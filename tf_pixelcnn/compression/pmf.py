"""The probability tables handed to the entropy coder, computed in NumPy (float64).

Encoder and decoder must hand the coder bit-identical tables, or decoding diverges. Both
get the network outputs of one step (`float32 [batch, ...]`, from the same graph,
`coded_pass`) and turn them into tables here, row by row with the same NumPy code and the
same shapes, so the tables agree to the bit on the same machine. The tables need not be
normalised: the coder rescales them (`constriction.stream.model.Categorical`).

- Softmax outputs: exp(logits − max) per sub-pixel.
- Logistic mixtures (`tf_pixelcnn.logistic_mixture`): channel c of a pixel, given the
  channels before it, has the exact conditional

      p(x_c = v | x_<c) = Σ_k w_k P_k(v | x_<c),   w_k ∝ π_k ∏_{j<c} P_k(x_j | x_<j)

  (component posterior w after the earlier channels; P_k the discretized logistic with
  the coupled mean of channel c). The product over channels is `pixel_log_prob`.
- Truncated mixtures (`tf_pixelcnn.truncated_logistic_mixture`): the same restricted to
  [low_c, high_c] and renormalised there (the values outside get probability 0).
"""

from typing import Callable, Optional

import numpy as np

from tf_pixelcnn.logistic_mixture import MIN_LOG_SCALE


def softmax_table(logits: np.ndarray) -> np.ndarray:
    """`float64 [B, L]` ∝ softmax(logits) (unnormalised: the coder rescales)."""
    logits = np.asarray(logits, np.float64)
    return np.exp(logits - logits.max(axis=-1, keepdims=True))


def bin_masses(means, log_scales, num_levels: int) -> np.ndarray:
    """P(v) for every value v of discretized logistics, `float64 [..., L]` (edge bins open).

    P(v) = σ(z_{v+1}) − σ(z_v) over the bin's edges z (scaled; z_0 = −∞, z_L = +∞). A bin
    below the mean takes the difference of the two small CDF values, a bin above it the
    difference of the two small survival values σ(−z), so no bin loses its relative
    precision to cancellation; one exp per edge.

    Args:
        means, log_scales: `[...]`.
    """
    edges = (np.arange(1, num_levels) * 2.0 - 1.0) / (num_levels - 1) - 1.0  # (L − 1,)
    z = (edges - means[..., None]) * np.exp(-log_scales)[..., None]  # (..., L − 1)
    infinity = np.full(z.shape[:-1] + (1,), np.inf)
    z = np.concatenate([-infinity, z, infinity], axis=-1)  # (..., L + 1)
    small = np.exp(-np.abs(z))
    large = 1.0 / (1.0 + small)  # max(σ(z), σ(−z))
    small = small * large  # min(σ(z), σ(−z)): σ(z) below the mean, σ(−z) above
    left, right = z[..., :-1], z[..., 1:]
    below = small[..., 1:] - small[..., :-1]  # both edges below the mean: Δ CDF
    above = small[..., :-1] - small[..., 1:]  # both above: Δ survival
    straddling = large[..., 1:] - small[..., :-1]  # σ(z_{v+1}) − σ(z_v), z_v < 0 ≤ z_{v+1}
    masses = np.where(right < 0, below, np.where(left >= 0, above, straddling))
    return np.maximum(masses, 0.0)


def split_mixture(params: np.ndarray, num_components: int, channels: int):
    """NumPy twin of `logistic_mixture.split_parameters` (float64)."""
    params = np.asarray(params, np.float64)
    coupling_size = channels * (channels - 1) // 2
    per_component = 2 * channels + coupling_size
    logits = params[..., :num_components]
    rest = params[..., num_components:].reshape(
        params.shape[:-1] + (num_components, per_component)
    )  # (..., K, 2C + C(C-1)/2)
    means = rest[..., :channels]
    log_scales = np.maximum(rest[..., channels : 2 * channels], MIN_LOG_SCALE)
    coupling = np.tanh(rest[..., 2 * channels :])
    return logits, means, log_scales, coupling


def code_mixture_pixel(
    params: np.ndarray,
    num_components: int,
    channels: int,
    num_levels: int,
    value_of: Callable[[int, np.ndarray], np.ndarray],
    bounds: Optional[Callable[[list], tuple]] = None,
) -> np.ndarray:
    """Walks a pixel's channels in order, handing each channel's table to `value_of`.

    Args:
        params: `float32 [B, P]` mixture parameters of one pixel for a batch.
        value_of: `value_of(channel, table float64 [B, L]) -> int [B]`: the channel's
            value (the true one when encoding, the decoded one when decoding).
        bounds: truncated mixtures: `bounds(earlier_values) -> (low, high)`, int `[B]`,
            the interval of the next channel.

    Returns:
        `int32 [B, C]`, the values `value_of` returned.
    """
    logits, means, log_scales, coupling = split_mixture(params, num_components, channels)
    log_weights = logits - logits.max(axis=-1, keepdims=True)  # (B, K), unnormalised
    batch = params.shape[0]
    values, scaled, pair = [], [], 0
    for c in range(channels):
        mean = means[..., c]  # (B, K)
        for j in range(c):
            mean = mean + coupling[..., pair] * scaled[j][:, None]
            pair += 1
        masses = bin_masses(mean, log_scales[..., c], num_levels)  # (B, K, L)
        weights = np.exp(log_weights - log_weights.max(axis=-1, keepdims=True))  # (B, K)
        table = np.einsum("bk,bkl->bl", weights, masses)  # (B, L) ∝ p(v | x_<c)
        if bounds is not None:
            low, high = bounds(values)
            levels = np.arange(num_levels)
            outside = (levels < np.asarray(low)[:, None]) | (levels > np.asarray(high)[:, None])
            table = np.where(outside, 0.0, table)
            # Every allowed value underflowed (far in every component's tail): uniform
            # over the interval, the same way both directions.
            table = np.where(table.sum(axis=-1, keepdims=True) > 0, table, 1.0 - outside)
        value = np.asarray(value_of(c, table), np.int64).reshape(batch)
        values.append(value)
        scaled.append(value * (2.0 / (num_levels - 1)) - 1.0)
        # The posterior over components given x_≤c (floored: a value far in every
        # component's tail leaves the weights as they were, the same way both directions).
        mass = masses[np.arange(batch), :, value]  # (B, K)
        log_weights = log_weights + np.log(np.maximum(mass, 1e-300))
    return np.stack(values, axis=-1).astype(np.int32)
