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
lowered to `Switch`/`Merge`) and when it is called, so a `SamplerFunction` keeps one
`tf.function` per executor. With `jit_compile=True` XLA compiles the whole function and
the executor does not matter; on a machine with a GPU the default executor is kept.

XLA is the fast path (issue 18): `tpc.sample` compiles its cached sampler with XLA unless
told otherwise, through `XlaOrReference`, which falls back to the non-XLA graph (the
bit-exact reference that compression, the SavedModel signatures and `method="naive"`
match) where XLA cannot compile a model.

One exception, measured (README, "Sampling"): at batch 1 with 128 or more filters each
layer's matrix-vector products are large enough that the default executor, which runs
the layers' independent products (the left windows) at once on several cores, is
faster (CIFAR-size model on 2 cores: 0.78 s against 1.19 s per image) — unless ops are
limited to one intra-op thread, where the 1-row products are fast again.
"""

import warnings
from typing import Callable, Optional, TypeVar

import tensorflow as tf

from tf_pixelcnn.utils.private_api import single_threaded_executor


WIDE_MODEL_FILTERS = 128
T = TypeVar("T")


def single_threaded_is_faster(batch, filters) -> bool:
    """Whether the single-threaded executor is the faster one for a sampler of a model
    with `filters` channels (None: unknown) at `batch` (None: unknown); see above. With
    one intra-op thread (`tf.config.threading.set_intra_op_parallelism_threads(1)`) it
    is always (measured: 0.57 s against 0.80 s per CIFAR-size image at batch 1)."""
    if tf.config.threading.get_intra_op_parallelism_threads() == 1:
        return True
    return not (batch == 1 and filters is not None and filters >= WIDE_MODEL_FILTERS)


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU (the single-threaded executor is for CPU kernels)."""
    return bool(tf.config.list_physical_devices("GPU"))


class SamplerFunction:
    """A `tf.function` of a sampler that traces and runs in the single-threaded executor
    when it runs on CPU without XLA.

    Args:
        python_function: the sampler (it may call `cached_sample`, `naive_sample`, ...).
        jit_compile: compile with XLA (then the default executor is used).
        single_threaded: force the choice; default: on CPU-only machines without XLA,
            unless `single_threaded_is_faster(batch, filters)` says otherwise for the batch
            of the first argument.
        filters: the sampled model's width (`single_threaded_is_faster`).
        **function_kwargs: passed to `tf.function` (e.g. `reduce_retracing`).

    Example:
        sampler = SamplerFunction(lambda u: cached_sample(model, u), reduce_retracing=True)
        images = sampler(uniform)
    """

    def __init__(
        self,
        python_function: Callable,
        jit_compile: bool = False,
        single_threaded: Optional[bool] = None,
        filters: Optional[int] = None,
        **function_kwargs,
    ):
        self.automatic = single_threaded is None
        if single_threaded is None:
            single_threaded = not jit_compile and not gpu_visible()
        self.single_threaded, self.filters = single_threaded, filters
        self.function = tf.function(python_function, jit_compile=jit_compile, **function_kwargs)
        # The default executor's own function (its loops lowered), traced on first use.
        self.default_function = (
            tf.function(python_function, jit_compile=jit_compile, **function_kwargs)
            if self.automatic and single_threaded
            else self.function
        )

    def uses_single_threaded(self, *args) -> bool:
        """Whether a call with `args` runs in the single-threaded executor."""
        if not self.single_threaded:
            return False
        if not self.automatic or not args:
            return True
        shape = getattr(args[0], "shape", None)
        batch = shape[0] if shape is not None and len(shape) else None
        return single_threaded_is_faster(batch, self.filters)

    def __call__(self, *args, **kwargs):
        if not self.uses_single_threaded(*args):
            return self.default_function(*args, **kwargs)
        with single_threaded_executor():
            return self.function(*args, **kwargs)

    def experimental_get_tracing_count(self) -> int:
        traces = self.function.experimental_get_tracing_count()
        if self.default_function is not self.function:
            traces += self.default_function.experimental_get_tracing_count()
        return traces


class XlaOrReference:
    """Runs a sampler with XLA until XLA fails to compile it, then on the non-XLA graph.

    `run(jit_compile)` calls the sampler compiled with or without XLA. XLA compiles a
    function at its first call with a shape and reports what it cannot compile (an op
    without an XLA kernel, a shape it cannot infer, ...) as a `tf.errors.OpError`; the
    call is then repeated without XLA. If that succeeds, a warning names `what` and every
    later call goes straight to the non-XLA graph; if it fails too, the error was the
    input's (e.g. a bad condition): it reaches the caller and XLA is kept.

    XLA's images are the reference's except where XLA rounds a logit differently in the
    last bit and the image's uniform number lies that close to a bin edge of the inverse
    CDF (`tests/sampling/test_xla_default.py`).

    Example:
        fast = XlaOrReference("the cached sampler of GatedPixelCNN")
        images = fast(lambda jit: sampler_for(jit)(uniform))
    """

    def __init__(self, what: str):
        self.what = what
        self.uses_xla = True

    def __call__(self, run: Callable[[bool], T]) -> T:
        if not self.uses_xla:
            return run(False)
        try:
            return run(True)
        except tf.errors.OpError as error:
            result = run(False)  # raises the input's error if it was not XLA's
            self.uses_xla = False
            first_line = (str(error).strip().splitlines() or [""])[0][:300]
            warnings.warn(
                f"XLA could not compile {self.what}; sampling on the non-XLA graph instead "
                f"(the reference: slower; jit_compile=False skips the attempt). "
                f"{type(error).__name__}: {first_line}",
                RuntimeWarning,
                stacklevel=3,
            )
            return result
