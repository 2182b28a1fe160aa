"""Sequences of sub-layers held as numbered attributes.

`tf.train.Checkpoint` follows a layer's attributes but not the Python lists Keras 3 wraps
in its own `TrackedList`: weights of layers kept only in a list are silently left out of
checkpoints (`.keras` files still have them). Layers set here are attributes
`<prefix>_0`, `<prefix>_1`, ..., which both saving paths follow.
"""

from typing import List, Sequence


def set_numbered_layers(owner, prefix: str, layers: Sequence) -> None:
    for i, layer in enumerate(layers):
        setattr(owner, f"{prefix}_{i}", layer)


def numbered_layers(owner, prefix: str, count: int) -> List:
    return [getattr(owner, f"{prefix}_{i}") for i in range(count)]
