"""The two private TensorFlow / Keras APIs the package uses, isolated in one module.

Neither has a public equivalent in TensorFlow 2.21 / Keras 3.15:

- `all_layers`: every layer inside a model, recursively (`Layer._flatten_layers`). Keras 3
  exposes `Model.layers` (direct children of a model only); a plain `Layer` such as
  `GatedBlock` has no public list of its sub-layers. `float32_copy` reads every layer's
  dtype policy through it.
- `single_threaded_executor`: runs a `tf.function` call in TensorFlow's single-threaded
  executor (`tensorflow.python.eager.context.function_executor_type`), the sampler's fast
  path on CPU (see `sampling.sampler_function`). `tf.config` has no setting for it.

`tests/utils/test_private_api.py` checks both against this TensorFlow, so an upgrade that
moves them fails there, loudly, instead of somewhere downstream. (The model's random
generator states, which used to be read through `Layer._seed_generators`, come from the
public `variables` / `weights`: `training.training_run.random_state_variables`.)
"""

import contextlib
from typing import Iterator, List

import keras

SINGLE_THREADED_EXECUTOR = "SINGLE_THREADED_EXECUTOR"


def all_layers(layer: keras.layers.Layer) -> List[keras.layers.Layer]:
    """`layer` and every layer inside it, recursively, each once."""
    return list(layer._flatten_layers(include_self=True, recursive=True))


@contextlib.contextmanager
def single_threaded_executor() -> Iterator[None]:
    """`tf.function` calls inside run in TensorFlow's single-threaded executor."""
    from tensorflow.python.eager import context  # private: see the module docstring

    with context.function_executor_type(SINGLE_THREADED_EXECUTOR):
        yield
