"""Autoregressive masks: which input channel may feed which output channel.

Sub-pixels are ordered R, then G, then B (van den Oord et al. 2016, §2). Feature maps
are split into `num_groups` contiguous groups, one per colour channel. A tensor made of
several equal parts that are later split apart (the fused f/g halves of the gated unit)
is laid out group by group *within each part*, so the split keeps the groups intact.
"""

import numpy as np

MASK_TYPES = ("A", "B")


def channel_groups(num_channels: int, num_groups: int, num_splits: int = 1) -> np.ndarray:
    """Returns the colour group of every channel, `int64 [num_channels]`.

    Within each of `num_splits` equal parts, channel `k` of a part of size `n` belongs to
    group `floor(k * num_groups / n)`: contiguous blocks whose sizes differ by at most one.

    Example:
        >>> channel_groups(6, 3, num_splits=2).tolist()
        [0, 1, 2, 0, 1, 2]
    """
    if num_channels % num_splits:
        raise ValueError(
            f"num_channels must be divisible by num_splits. Received: "
            f"num_channels={num_channels}, num_splits={num_splits}."
        )
    part = num_channels // num_splits
    if part < num_groups:
        raise ValueError(
            f"Each part needs at least one channel per colour group. Received: "
            f"num_channels={num_channels}, num_splits={num_splits}, num_groups={num_groups}."
        )
    within = np.arange(num_channels) % part
    return (within * num_groups) // part


def channel_mask(
    in_channels: int, out_channels: int, num_groups: int, mask_type: str, out_splits: int = 1
) -> np.ndarray:
    """The current-pixel connectivity, `float32 [in_channels, out_channels]`.

    Output group `g` sees input groups `< g` (mask "A", first layer) or `<= g` (mask "B").

    References:
        van den Oord et al. 2016, "Pixel Recurrent Neural Networks", §3.4 and Fig. 4.
    """
    check_mask_type(mask_type)
    in_groups = channel_groups(in_channels, num_groups)
    out_groups = channel_groups(out_channels, num_groups, out_splits)
    if mask_type == "A":
        allowed = in_groups[:, None] < out_groups[None, :]
    else:
        allowed = in_groups[:, None] <= out_groups[None, :]
    return allowed.astype(np.float32)


def check_mask_type(mask_type: str) -> None:
    if mask_type not in MASK_TYPES:
        raise ValueError(f"mask_type must be 'A' or 'B'. Received: mask_type={mask_type!r}.")


def check_odd_kernel_size(kernel_size: int, minimum: int = 1) -> None:
    if (
        not isinstance(kernel_size, (int, np.integer))
        or kernel_size < minimum
        or kernel_size % 2 == 0
    ):
        raise ValueError(
            f"kernel_size must be an odd integer >= {minimum}. "
            f"Received: kernel_size={kernel_size!r}."
        )
