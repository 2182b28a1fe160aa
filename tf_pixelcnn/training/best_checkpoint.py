"""Model selection: the checkpoint with the lowest validation bits/dim so far."""

import json
import math
import os
from typing import Optional

import tensorflow as tf

from tf_pixelcnn.utils.text_file import write_text

BEST_DIRECTORY = "best"
BEST_FILE = "best.json"


class BestCheckpoint:
    """Keeps `checkpoints/best/` at the evaluated step with the lowest validation bits/dim.

    `checkpoints/best/best.json` holds `{"step", "validation_bits_per_dim", "checkpoint"}`
    and survives restarts, so a resumed run compares against the best of the whole run.
    Every worker calls `update` with the same (all-reduced) figure; only the chief's
    files are kept.

    Args:
        manager: A `tf.train.CheckpointManager` keeping one checkpoint: of
            `checkpoints/best` on the chief, of a temporary directory on other workers.
        record_directory: The chief's `checkpoints/best`, where `best.json` lives; every
            worker reads it (shared storage), so all of them save at the same steps.
        chief: Whether this process writes `best.json`.
    """

    def __init__(self, manager: tf.train.CheckpointManager, record_directory: str, chief: bool):
        self.manager, self.record_directory, self.chief = manager, record_directory, chief
        self.path = os.path.join(record_directory, BEST_FILE)
        record = read_best(record_directory)
        self.bits = record["validation_bits_per_dim"] if record else math.inf

    def update(self, step: int, validation_bits_per_dim: float) -> bool:
        """Saves the current state as the best if it beats every earlier evaluation."""
        if not validation_bits_per_dim < self.bits:
            return False
        self.bits = validation_bits_per_dim
        path = self.manager.save(checkpoint_number=step)
        if self.chief:
            record = {
                "step": step,
                "validation_bits_per_dim": validation_bits_per_dim,
                "checkpoint": path,
            }
            write_text(self.path, json.dumps(record, indent=2))
        return True


def read_best(directory: str) -> Optional[dict]:
    """`best.json` of `directory` (a `checkpoints/best`), or None before any validation."""
    path = os.path.join(directory, BEST_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)
