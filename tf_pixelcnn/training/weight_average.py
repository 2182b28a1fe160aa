"""Polyak (exponential moving) averaging of model weights, for evaluation and export."""

import contextlib
from typing import Sequence

import tensorflow as tf


class WeightAverage(tf.Module):
    """Keeps `average = decay * average + (1 - decay) * weight` for every weight.

    Create it under the strategy's scope; call `update()` after each optimizer step in
    cross-replica context (the trainer's step function does). Checkpoint it with the
    model. `swapped_in()` puts the averages into the model for evaluation, sampling or
    export and restores the trained weights afterwards.

    Args:
        variables: The model's weights.
        decay: Per-step decay, e.g. 0.9995 (Polyak & Juditsky 1992; used for evaluation by
            the PixelCNN papers' successors, e.g. PixelCNN++).
    """

    def __init__(self, variables: Sequence[tf.Variable], decay: float, name: str = "average"):
        super().__init__(name=name)
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1). Received: decay={decay}.")
        self.decay = decay
        self._weights = list(variables)
        self.averages = [
            tf.Variable(tf.identity(tf.convert_to_tensor(v)), trainable=False, name=f"average_{i}")
            for i, v in enumerate(self._weights)
        ]

    def update(self) -> None:
        for average, weight in zip(self.averages, self._weights):
            average.assign(self.decay * average + (1.0 - self.decay) * weight)

    @contextlib.contextmanager
    def swapped_in(self):
        """Within the block the model holds the averaged weights."""
        trained = [tf.identity(tf.convert_to_tensor(v)) for v in self._weights]
        for weight, average in zip(self._weights, self.averages):
            weight.assign(average)
        try:
            yield
        finally:
            for weight, value in zip(self._weights, trained):
                weight.assign(value)


def restore_averages(variables: Sequence[tf.Variable], checkpoint: str) -> None:
    """Assigns to `variables` (a model's trainable weights, in the trainer's order) the
    Polyak averages that `checkpoint` keeps of them (a `WeightAverage` saved as
    `average`): what the run evaluated and exports.

    Raises:
        AssertionError (TensorFlow's): the checkpoint keeps no average of one of them.
    """
    kept = tf.Module(name="average")  # what a checkpoint holds of a WeightAverage
    kept.averages = [
        tf.Variable(tf.zeros_like(tf.convert_to_tensor(v)), trainable=False) for v in variables
    ]
    status = tf.train.Checkpoint(average=kept).restore(checkpoint).expect_partial()
    status.assert_existing_objects_matched()
    for weight, average in zip(variables, kept.averages):
        weight.assign(average)
