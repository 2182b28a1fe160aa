"""Step handlers of the coded pass: where each value comes from, and what gets coded.

A `SymbolStream` is the entropy coder seen from a pass: `code(table, truth)` encodes the
true values of one step with their probability tables (compression), or decodes them
(decompression, `truth` is None). The handlers turn network outputs into tables
(`compression.pmf`) for each model kind.
"""

from typing import Callable, Optional

import constriction
import numpy as np

from tf_pixelcnn import grayscale_levels
from tf_pixelcnn.compression import pmf
from tf_pixelcnn.compression.coded_pass import StepHandler

# Categorical tables with constriction's fast, deterministic quantisation (24-bit
# fixed point; every symbol keeps a nonzero probability). Encoder and decoder must use
# the same setting: it is part of the format.
CATEGORICAL = constriction.stream.model.Categorical(perfect=False)


class SymbolStream:
    """A range coder over the steps of one or more passes, in the order they run.

    Args:
        compressed: `uint32` words to decode; None to encode.
    """

    def __init__(self, compressed: Optional[np.ndarray] = None):
        self.decoding = compressed is not None
        if self.decoding:
            self._coder = constriction.stream.queue.RangeDecoder(compressed)
        else:
            self._coder = constriction.stream.queue.RangeEncoder()
        self.ideal_bits = 0.0  # Σ −log2 of the tables' probabilities of the coded values

    def code(self, table: np.ndarray, truth: Optional[np.ndarray]) -> np.ndarray:
        """Encodes `truth` `int [B]` with `table` `[B, L]` (or decodes it); returns it."""
        table = np.ascontiguousarray(table, np.float64)
        if self.decoding:
            values = self._coder.decode(CATEGORICAL, table)
        else:
            values = np.ascontiguousarray(truth, np.int32)
            self._coder.encode(values, CATEGORICAL, table)
        rows = np.arange(len(values))
        self.ideal_bits -= float(
            np.log2(table[rows, values] / table.sum(axis=-1)).sum()
        )
        return values

    def compressed(self) -> np.ndarray:
        """The encoded words, `uint32 [n]`."""
        return self._coder.get_compressed()


class SoftmaxHandler(StepHandler):
    """Softmax outputs: every sub-pixel coded with its softmax table.

    Args:
        stream: the coder.
        truth: `int [B, H, W, C]` when encoding, None when decoding.
    """

    def __init__(self, stream: SymbolStream, truth: Optional[np.ndarray] = None):
        self.stream, self.truth = stream, truth

    def subpixel(self, logits, row, column, channel):
        truth = None if self.truth is None else self.truth[:, row, column, channel]
        return self.stream.code(pmf.softmax_table(logits), truth)


class MixtureHandler(StepHandler):
    """Logistic-mixture outputs: a pixel's channels coded one after the other with their
    exact conditionals (`pmf.code_mixture_pixel`).

    Args:
        stream, truth: as `SoftmaxHandler`.
        num_components, channels, num_levels: of the model.
        bounds: truncated mixtures: `bounds(row, column, earlier_values) -> (low, high)`.
        known: `known(row, column) -> int [B, C] or None`: pixels that are not coded
            (a pyramid level's quarter copied from the level below).
    """

    def __init__(
        self,
        stream: SymbolStream,
        truth: Optional[np.ndarray],
        num_components: int,
        channels: int,
        num_levels: int,
        bounds: Optional[Callable] = None,
        known: Optional[Callable] = None,
    ):
        self.stream, self.truth = stream, truth
        self.num_components, self.num_levels = num_components, num_levels
        self.channels = channels
        self.bounds, self.known = bounds, known

    def pixel(self, params, row, column):
        if self.known is not None:
            values = self.known(row, column)
            if values is not None:
                return values
        def value_of(channel, table):
            truth = None if self.truth is None else self.truth[:, row, column, channel]
            return self.stream.code(table, truth)

        bounds = None
        if self.bounds is not None:
            bounds = lambda earlier: self.bounds(row, column, earlier)  # noqa: E731
        return pmf.code_mixture_pixel(
            params, self.num_components, self.channels, self.num_levels, value_of, bounds
        )


def grayscale_channel_bounds(grayscale, earlier_values, num_levels: int, levels: int):
    """NumPy twin of `grayscale_levels.channel_bounds` (the same integer arithmetic).

    Args:
        grayscale: x̂, `int [B]`.
        earlier_values: the values of the channels before, each `int [B]`.

    Returns:
        `(low, high)`, `int64 [B]` each.
    """
    weights = grayscale_levels.LUMA_WEIGHTS_PER_MILLE
    channel = len(earlier_values)
    grayscale = np.asarray(grayscale, np.int64)[:, None]
    known = sum(w * np.asarray(v, np.int64) for w, v in zip(weights, earlier_values))
    lowest = np.arange(num_levels, dtype=np.int64) * weights[channel]  # (L,)
    lowest = lowest + (np.asarray(known)[:, None] if channel else 0)
    highest = lowest + sum(weights[channel + 1 :]) * (num_levels - 1)

    def level(weighted):
        return ((weighted + 500) // 1000) * levels // num_levels

    low = (level(highest) < grayscale).sum(axis=-1)
    high = num_levels - 1 - (level(lowest) > grayscale).sum(axis=-1)
    return low, high
