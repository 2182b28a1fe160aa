"""`tpc.sample`: draw images from a PixelCNN."""

import weakref

import tensorflow as tf

from tf_pixelcnn.utils.float32_copy import float32_copy
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.two_stack_model import supports_cached_sampling
from tf_pixelcnn.sampling.naive import naive_sample, naive_sample_mixture
from tf_pixelcnn.sampling.sampler_function import SamplerFunction
from tf_pixelcnn.sampling.sampler_function import XlaOrReference

SAMPLERS = {"naive": naive_sample, "cached": cached_sample}
METHODS = ("auto", *SAMPLERS)

# One compiled sampler per (model, method); dropped with the model.
_compiled = weakref.WeakKeyDictionary()


def sample(model, num_samples=None, condition=None, seed=(0, 0), method="auto", temperature=1.0,
           jit_compile=None, log_scale_reduction=0.0, mixture_mode="sample"):  # fmt: skip
    """Draws images from `model` in raster order.

    Args:
        model: a `GatedPixelCNN`, `PixelCNN`, `GrayscalePixelCNN` or `PyramidPixelCNN`
            (use `PixelCNNAutoencoder.decode` for the auto-encoder).
        num_samples: Images to draw; may be omitted when `seed` is `[batch, 2]` or a
            condition gives the batch.
        condition: labels `int [batch]` or vectors `float [batch, D]` of a conditional
            model.
        seed: `[2]` (split into one seed per image) or `[batch, 2]` (one per image). The
            same seed gives the same image.
        method: "cached" (exact, about C forward passes per image; `GatedPixelCNN`),
            "naive" (one full network pass per sub-pixel; any model) or "auto" (cached
            where the model supports it, else naive). Both give the same images for the
            same seeds.
        temperature: float > 0; below 1 gives more likely, less diverse images (softmax
            outputs: for a `GrayscalePixelCNN`, its grayscale factor).
        jit_compile: None (default): the cached sampler compiles with XLA (the fast path;
            the naive sampler stays on the graph), and falls back to the non-XLA graph
            with a warning where XLA cannot compile the model (`XlaOrReference`). False:
            the non-XLA graph, the bit-exact reference that compression, the SavedModel
            signatures and `method="naive"` reproduce; XLA may round a logit differently
            in the last bit, so an image may differ where its uniform number lies that
            close to a bin edge. True: XLA, no fallback. XLA compiles once per model,
            sampler options and batch size (seconds: `benchmarks/sampling.py`).
        log_scale_reduction: logistic-mixture models only: subtracted from the predicted
            log-scales (> 0: less noisy images; Kolesnikov & Lampert 2017).
        mixture_mode: logistic-mixture models only: "sample", or "map" (sample the
            component, take its mode).

    A model with a mixed-precision policy samples with its float32 copy
    (`tf_pixelcnn.utils.float32_copy`, its weights refreshed at every call): the cached
    and naive samplers order their operations differently, so only in float32 do they
    give the same images.

    Returns:
        `int32 [num_samples, height, width, channels]` in `[0, num_levels)`.

    Example:
        >>> model = tpc.GatedPixelCNN(image_shape=(4, 4, 1), num_layers=2, filters=4,
        ...                           kernel_size=3, num_levels=2)
        >>> tpc.sample(model, num_samples=3, seed=(1, 2)).shape
        TensorShape([3, 4, 4, 1])
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}. Received: method={method!r}.")
    if model.side_information_spec is not None:
        raise ValueError(
            f"A {type(model).__name__}'s images come with side information "
            f"({model.side_information_spec}); sample its factor given it instead "
            "(`PixelCNNAutoencoder.decode`)."
        )
    factors = model.factors()
    if len(factors) > 1:  # e.g. Grayscale / Pyramid PixelCNN: factor by factor, its sampler
        return _sample_factored(
            model, num_samples, condition, seed, method, temperature, log_scale_reduction,
            mixture_mode, jit_compile,
        )  # fmt: skip
    model, distribution = factors[0].network, factors[0].pixel_distribution
    distribution.check_draw_options(temperature, log_scale_reduction, mixture_mode)
    method = _cached_or_naive(model, method)
    model = float32_copy(model)  # the model itself if it is float32
    condition, seeds = _condition_and_seeds(model, condition, seed, num_samples)
    height, width, _ = model.image_shape
    uniform = random_stream.traced_uniform_noise(seeds, distribution.stream_shape(height, width))
    if distribution.whole_pixel:
        key = ("mixture", method, float(log_scale_reduction), mixture_mode)

        def run(jit):
            sampler = _compiled_mixture_sampler(
                model, method, log_scale_reduction, mixture_mode, jit
            )
            return sampler(uniform, condition)

    else:
        key = (method,)
        temperature = tf.constant(temperature, tf.float32)

        def run(jit):
            return _compiled_sampler(model, method, jit)(uniform, condition, temperature)

    return _with_jit_choice(model, key, method, jit_compile, run)


def _with_jit_choice(model, key, method, jit_compile, run):
    """`run(jit_compile)`; `jit_compile=None`: XLA for the cached sampler (falling back to
    the graph where XLA cannot compile `model`), the graph for the naive one."""
    if jit_compile is not None:
        return run(bool(jit_compile))
    if method == "naive":
        return run(False)
    per_model = _compiled.setdefault(model, {})
    fallback_key = ("xla_or_reference", *key)
    if fallback_key not in per_model:
        per_model[fallback_key] = XlaOrReference(
            f"the {method} sampler of this {type(model).__name__}"
        )
    return per_model[fallback_key](run)


def _sample_factored(model, num_samples, condition, seed, method, temperature,
                     log_scale_reduction, mixture_mode, jit_compile):  # fmt: skip
    """A model of several factors (`GrayscalePixelCNN`, `PyramidPixelCNN`; unconditional)
    samples itself."""
    if condition is not None:
        raise ValueError(f"{type(model).__name__} is unconditional. Received a condition.")
    return _with_jit_choice(
        model,
        ("factored", method, float(log_scale_reduction), mixture_mode),
        method,
        jit_compile,
        lambda jit: model.sample(
            num_samples, seed, method, temperature, log_scale_reduction, mixture_mode, jit
        ),
    )


def _cached_or_naive(model, method: str) -> str:
    """The sampler `method` ("auto", "cached" or "naive") runs on `model`."""
    if method == "auto":
        return "cached" if supports_cached_sampling(model) else "naive"
    if method == "cached" and not supports_cached_sampling(model):
        raise ValueError(
            f"method='cached' needs a GatedPixelCNN. Received: {type(model).__name__}; "
            "use method='naive' or 'auto'."
        )
    return method


def _condition_and_seeds(model, condition, seed, num_samples):
    """`(condition tensor or None, int32 seeds [batch, 2])`; the batch may come from the
    condition. A missing or unexpected condition fails here, clearly."""
    if condition is not None:
        condition = tf.convert_to_tensor(condition)
        if num_samples is None and condition.shape[0] is not None:
            num_samples = int(condition.shape[0])
    seeds = random_stream.per_image_seeds(seed, num_samples)
    model.checked_condition(condition)
    return condition, seeds


def _compiled_sampler(model, method, jit_compile):
    per_model = _compiled.setdefault(model, {})
    key = (method, jit_compile)
    if key not in per_model:
        sampler = SAMPLERS[method]
        model_ref = weakref.ref(model)  # no reference cycle: the model stays collectable
        per_model[key] = SamplerFunction(
            lambda uniform, condition, temperature: sampler(
                model_ref(), uniform, condition, temperature
            ),
            reduce_retracing=True,
            jit_compile=jit_compile,
            single_threaded=None if method == "cached" else False,
            filters=model.filters,  # every factor network has its stacks' width
        )
    return per_model[key]


def draw_mixture_images(
    model, uniform, condition=None, method="cached", log_scale_reduction=0.0, mode="sample",
    draw_pixel=None,
):  # fmt: skip
    """Images of a logistic-mixture `GatedPixelCNN` from its random stream `[B, H, W, 1 + C]`,
    with the cached or the naive sampler (the same images); graph-friendly (signatures)."""
    if method == "cached":
        return cached_sample(
            model,
            uniform,
            condition,
            log_scale_reduction=log_scale_reduction,
            mixture_mode=mode,
            draw_pixel=draw_pixel,
        )
    return naive_sample_mixture(
        model, uniform, condition, log_scale_reduction, mode, draw_pixel=draw_pixel
    )


def _compiled_mixture_sampler(model, method, log_scale_reduction, mode, jit_compile):
    per_model = _compiled.setdefault(model, {})
    key = ("mixture", method, float(log_scale_reduction), mode, jit_compile)
    if key not in per_model:
        model_ref = weakref.ref(model)
        per_model[key] = SamplerFunction(
            lambda uniform, condition: draw_mixture_images(
                model_ref(), uniform, condition, method, float(log_scale_reduction), mode
            ),
            reduce_retracing=True,
            jit_compile=jit_compile,
            single_threaded=None if method == "cached" else False,
            filters=model.filters,  # every factor network has its stacks' width
        )
    return per_model[key]
