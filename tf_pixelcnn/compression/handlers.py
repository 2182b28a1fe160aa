"""The step handler of the coded pass: where each value comes from, and what gets coded.

A `SymbolStream` is the entropy coder seen from a pass: `code(table, truth)` encodes the
true values of one sub-pixel with their probability tables (compression), or decodes them
(decompression, `truth` is None).
"""

from typing import Callable, Optional

import numpy as np

from tf_pixelcnn.compression.coded_pass import StepHandler


def _constriction():
    """The coder's package, imported on first use (`import tf_pixelcnn` never needs it)."""
    try:
        import constriction
    except ImportError as error:  # pragma: no cover - a dependency of the package
        raise ImportError(
            "tf_pixelcnn.compression needs the range coder `constriction` (a dependency "
            "of tf_pixelcnn): pip install 'constriction>=0.5,<0.6'."
        ) from error
    return constriction


class SymbolStream:
    """A range coder over the sub-pixels of one or more passes, in the order they run.

    Args:
        compressed: `uint32` words to decode; None to encode.
    """

    def __init__(self, compressed: Optional[np.ndarray] = None):
        constriction = _constriction()
        # Categorical tables with constriction's fast, deterministic quantisation (fixed
        # point; every symbol keeps a nonzero probability). Encoder and decoder must use
        # the same setting: it is part of the format.
        self._family = constriction.stream.model.Categorical(perfect=False)
        self.decoding = compressed is not None
        if self.decoding:
            self._coder = constriction.stream.queue.RangeDecoder(compressed)
        else:
            self._coder = constriction.stream.queue.RangeEncoder()

    def code(self, table: np.ndarray, truth: Optional[np.ndarray]) -> np.ndarray:
        """Encodes `truth` `int [B]` with `table` `[B, L]` (or decodes it); returns it."""
        table = np.ascontiguousarray(table, np.float64)
        if self.decoding:
            values = self._coder.decode(self._family, table)
        else:
            values = np.ascontiguousarray(truth, np.int32)
            self._coder.encode(values, self._family, table)
        return values

    def compressed(self) -> np.ndarray:
        """The encoded words, `uint32 [n]`."""
        return self._coder.get_compressed()


class CodingHandler(StepHandler):
    """Codes every sub-pixel with its table, except the ones `known` provides.

    Args:
        stream: the coder.
        truth: `int [B, H, W, C]` when encoding, None when decoding.
        known: `known(row, column) -> int [B, C] or None`: pixels that are not coded
            (a pyramid level's quarter copied from the level below).
    """

    def __init__(
        self,
        stream: SymbolStream,
        truth: Optional[np.ndarray] = None,
        known: Optional[Callable] = None,
    ):
        self.stream, self.truth, self.known = stream, truth, known

    def subpixel(self, table, row, column, channel):
        if self.known is not None:
            values = self.known(row, column)
            if values is not None:
                return values[:, channel]
        truth = None if self.truth is None else self.truth[:, row, column, channel]
        return self.stream.code(table, truth)
