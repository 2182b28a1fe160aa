"""`tf.function`s for the samplers' pixel loops: TensorFlow's single-threaded executor on CPU.

The cached sampler's pixel loop runs a few hundred small ops per pixel (matrix-vector
products of one layer at a time, activations, one inverse-CDF draw per sub-pixel). In
the default graph executor every op goes through its scheduler and thread pool, which
costs more than the op itself at small batches; the single-threaded executor runs them
inline, in order. On CPU it samples the same images (the same kernels; graph
optimisations may round a logit differently in the last bit: checked in
`tests/sampling/test_sampler_function.py`) and was measured faster
(`benchmarks/sampling.py`, the README's table).

The executor is chosen when the function is traced (its `tf.while_loop`s are then kept
as functional `While` ops, which the single-threaded executor runs, instead of being
lowered to `Switch`/`Merge`) and when it is called, so one `SamplerFunction` traces and
calls under the same choice. With `jit_compile=True` XLA compiles the whole function and
the executor does not matter; on a machine with a GPU the default executor is kept.
"""

from typing import Callable

import tensorflow as tf
from tensorflow.python.eager import context

SINGLE_THREADED_EXECUTOR = "SINGLE_THREADED_EXECUTOR"


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU (the single-threaded executor is for CPU kernels)."""
    return bool(tf.config.list_physical_devices("GPU"))


class SamplerFunction:
    """A `tf.function` of a sampler that traces and runs in the single-threaded executor
    when it runs on CPU without XLA.

    Args:
        python_function: the sampler (it may call `cached_sample`, `naive_sample`, ...).
        jit_compile: compile with XLA (then the default executor is used).
        single_threaded: force the choice; default: on CPU-only machines without XLA.
        **function_kwargs: passed to `tf.function` (e.g. `reduce_retracing`).

    Example:
        sampler = SamplerFunction(lambda u: cached_sample(model, u), reduce_retracing=True)
        images = sampler(uniform)
    """

    def __init__(
        self,
        python_function: Callable,
        jit_compile: bool = False,
        single_threaded: bool = None,
        **function_kwargs,
    ):
        if single_threaded is None:
            single_threaded = not jit_compile and not gpu_visible()
        self.single_threaded = single_threaded
        self.function = tf.function(python_function, jit_compile=jit_compile, **function_kwargs)

    def __call__(self, *args, **kwargs):
        if not self.single_threaded:
            return self.function(*args, **kwargs)
        with context.function_executor_type(SINGLE_THREADED_EXECUTOR):
            return self.function(*args, **kwargs)

    def experimental_get_tracing_count(self) -> int:
        return self.function.experimental_get_tracing_count()
