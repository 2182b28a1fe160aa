"""A one-line console progress report with rate and ETA."""

import sys
import time
from typing import Optional, TextIO


class ProgressLine:
    """Prints `step 120/500 (24%) | bits/dim 2.315 | 812 img/s | ETA 0:00:47`.

    The rate and ETA count from construction (at `start_step`), so the first line has
    them too.

    Args:
        total: Steps of the whole job.
        items_per_step: Images per step, for the images/s figure.
        stream: Where to print (stdout by default).
        start_step: The step the job starts at (a resumed run's).
        unit: What a step is called in the line ("step", "batch", "image").

    Example:
        >>> progress = ProgressLine(total=100, items_per_step=32)
        >>> progress.update(10, **{"bits/dim": 2.5})  # doctest: +SKIP
    """

    def __init__(
        self,
        total: int,
        items_per_step: int = 1,
        stream: Optional[TextIO] = None,
        start_step: int = 0,
        unit: str = "step",
    ):
        self.total = total
        self.items_per_step = items_per_step
        self.stream = stream or sys.stdout
        self.start_time = time.monotonic()
        self.start_step = start_step
        self.unit = unit

    def format(self, step: int, **metrics) -> str:
        done = step - self.start_step
        elapsed = time.monotonic() - self.start_time
        rate = done / elapsed if elapsed > 0 and done > 0 else 0.0
        parts = [f"{self.unit} {step}/{self.total} ({100 * step // max(self.total, 1)}%)"]
        parts += [f"{name} {format_value(value)}" for name, value in metrics.items()]
        if rate > 0:
            parts.append(f"{rate * self.items_per_step:.0f} img/s")
            parts.append(f"ETA {format_seconds((self.total - step) / rate)}")
        return " | ".join(parts)

    def update(self, step: int, **metrics) -> None:
        print(self.format(step, **metrics), file=self.stream, flush=True)


def format_value(value) -> str:
    """Integers as integers, other numbers with 3 decimals."""
    if isinstance(value, int):
        return f"{value}"
    return f"{value:.3f}"


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
