"""The one compile cache of the sampling front end (`tpc.sample`, `tpc.complete`,
`AuxiliaryVariableModel.sample` / `sample_given`).

Per model (weakly: an entry goes with its model) a dict from a hashable key to a
`SamplerFunction` (a traced, possibly XLA-compiled sampler) or an `XlaOrReference` (the
default path's XLA-or-graph choice for one sampler). Key layout:

    (function, *options, jit_compile)        a `SamplerFunction`
    ("xla_or_reference", function, *options) its `XlaOrReference` (jit_compile=None)

`function` names what is compiled: "cached" / "naive" (`tpc.sample`'s softmax sampler of
that method; options: none, the temperature is an argument), "mixture" (its
logistic-mixture sampler; options: method, log_scale_reduction, mixture_mode),
"factored" (a model of several factors, `model.draw`; the same options), "given"
(`model.draw_given`; options: x̂'s shape, method, log_scale_reduction, mixture_mode),
"complete" (`complete_images`; no options). Options are Python values (floats, strings,
tuples), never tensors. `compression.coded_pass` keeps its passes here too, under
`("coded_pass", grayscale_levels)` (a `CodedPass`: a traced pass whose values come from
Python).

Not here: `utils.float32_copy`'s weight copies (not compiled code).
"""

import weakref
from typing import Callable, Hashable, Tuple

from tf_pixelcnn.sampling.sampler_function import SamplerFunction, XlaOrReference

_entries = weakref.WeakKeyDictionary()  # model -> {key: SamplerFunction | XlaOrReference}


def entries(model) -> dict:
    """The cache's entries of `model` (key → entry; tests and benchmarks read it)."""
    return _entries.setdefault(model, {})


def cached(model, key: Hashable, build: Callable):
    """The entry of `model` under `key`, built by `build()` the first time."""
    per_model = entries(model)
    if key not in per_model:
        per_model[key] = build()
    return per_model[key]


def sampler_function(model, key: Tuple, function: Callable, jit_compile: bool,
                     method: str = "cached", **function_kwargs) -> SamplerFunction:  # fmt: skip
    """The `SamplerFunction` of `function(model, *args)` under `(*key, jit_compile)`.

    The function holds `model` weakly (no reference cycle through the cache). The
    executor is chosen as for every sampler: the naive sampler on the default executor,
    the cached one by `single_threaded_is_faster` for `model.filters` (every factor
    network of a model has its stacks' width).
    """
    jit_compile = bool(jit_compile)

    def build():
        model_ref = weakref.ref(model)
        return SamplerFunction(
            lambda *args: function(model_ref(), *args),
            jit_compile=jit_compile,
            single_threaded=None if method == "cached" else False,
            filters=model.filters,
            **function_kwargs,
        )

    return cached(model, (*key, jit_compile), build)


def with_jit_choice(model, key: Tuple, method: str, jit_compile, run: Callable):
    """`run(jit_compile)` of the sampler under `key` (without its jit_compile).

    `jit_compile=None`: XLA for the cached sampler, falling back to the non-XLA graph
    where XLA cannot compile `model` (its `XlaOrReference`, kept under
    `("xla_or_reference", *key)`); the graph for the naive one. True / False: as given.
    """
    if jit_compile is not None:
        return run(bool(jit_compile))
    if method == "naive":
        return run(False)
    fallback = cached(
        model,
        ("xla_or_reference", *key),
        lambda: XlaOrReference(f"the {method} sampler of this {type(model).__name__}"),
    )
    return fallback(run)
