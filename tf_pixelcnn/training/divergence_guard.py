"""Stops a run whose loss explodes while staying finite, before it is checkpointed.

A loss that becomes NaN stops a run at once; a loss that explodes to 1e10 bits/dim does
not, and the checkpoint rotation would then replace the good checkpoints with diverged
ones. With `factor` (train.divergence_factor, default 3) and the uniform distribution's
bits/dim u = log2(num_levels) (what a model that knows nothing scores):

- one step's loss above `factor * u` has diverged;
- so has the mean loss of a window (the steps since the previous progress line or
  checkpoint) above `factor` times the lowest window mean so far in this process.

The trainer checks each step, and each window before it logs or checkpoints, so a
checkpoint is never written after a diverged window.
"""

import math
from typing import Optional

__all__ = ["DEFAULT_FACTOR", "DivergenceGuard", "LossDivergedError"]

DEFAULT_FACTOR = 3.0  # train.divergence_factor when a config has none


class LossDivergedError(FloatingPointError):
    """The training loss exploded (finite but far above any sensible value); no
    checkpoint was written after it."""


class DivergenceGuard:
    """Tells when the training loss (bits/dim) has diverged.

    Args:
        num_levels: Values per sub-pixel: the uniform distribution scores
            log2(num_levels) bits/dim.
        factor: How many times the uniform bits/dim (one step) or the best window
            mean (a window) counts as diverged; 0 or None switches the guard off.

    Example:
        guard = DivergenceGuard(num_levels=256, factor=3.0)
        guard.add(5.1)        # None: below 3 * 8 bits/dim
        guard.end_window()    # None; the best window mean is now 5.1
        guard.add(16.0)       # None for one step, but...
        guard.end_window()    # "...16.0000 bits/dim ... 3 times the best window ..."
    """

    def __init__(self, num_levels: int, factor: Optional[float] = DEFAULT_FACTOR):
        if factor is not None and not factor >= 0:
            raise ValueError(
                f"divergence_factor must be 0 (off) or positive. Received: {factor}."
            )
        if factor and factor <= 1:
            raise ValueError(
                "divergence_factor must be above 1: it multiplies the best loss seen. "
                f"Received: {factor}."
            )
        self.factor = float(factor or 0.0)
        self.num_levels = int(num_levels)
        self.uniform_bits = math.log2(num_levels)
        self.best_window = math.inf
        self.total, self.steps = 0.0, 0

    @property
    def step_limit(self) -> float:
        return self.factor * self.uniform_bits

    def add(self, loss: float) -> Optional[str]:
        """Adds one step's bits/dim; returns why it has diverged, or None."""
        self.total, self.steps = self.total + loss, self.steps + 1
        if self.factor and loss > self.step_limit:
            return (
                f"The training loss exploded to {loss:.6g} bits/dim (this step's batch), "
                f"above {self.factor:g} times the {self.uniform_bits:.4f} bits/dim of the "
                f"uniform distribution over {self.num_levels} levels "
                f"({self.step_limit:.4f})"
            )
        return None

    def end_window(self) -> Optional[str]:
        """Closes the window of steps since the last call; returns why its mean has
        diverged, or None (then a window mean below the best so far becomes the best)."""
        if self.steps == 0:
            return None
        mean, steps = self.total / self.steps, self.steps
        self.total, self.steps = 0.0, 0
        if self.factor and mean > self.factor * self.best_window:
            return (
                f"The training loss diverged: {mean:.6g} bits/dim over the last {steps} "
                f"step(s), above {self.factor:g} times the best window so far "
                f"({self.best_window:.4f} bits/dim)"
            )
        self.best_window = min(self.best_window, mean)
        return None
