"""`tpc.sample`: draw images from a PixelCNN."""

import tensorflow as tf

from tf_pixelcnn.utils.float32_copy import float32_copy
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling import compiled
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.two_stack_model import supports_cached_sampling
from tf_pixelcnn.sampling.naive import naive_sample, naive_sample_mixture
from tf_pixelcnn.sampling.value_choice import RandomDraw, ValueChoice


def draw_images(
    model, uniform, condition=None, method="cached", choice: ValueChoice = RandomDraw(),
    distribution=None,
) -> tf.Tensor:  # fmt: skip
    """Images of a `GatedPixelCNN` (or a `PixelCNN`, naive) from its random stream, with
    the cached or the naive sampler (the same images) and the value `choice` per step;
    graph-friendly (factored models' `draw`).

    `distribution`: the step's distribution the choice draws from, when it is not
    `model.pixel_distribution` (a factor's `TruncatedLogisticMixture`)."""
    distribution = distribution or model.pixel_distribution
    hooks = choice.hooks(distribution)
    if method == "cached":
        return cached_sample(model, uniform, condition, **hooks)
    if distribution.whole_pixel:
        return naive_sample_mixture(model, uniform, condition, draw_pixel=hooks["draw_pixel"])
    return naive_sample(model, uniform, condition, draw_subpixel=hooks["draw_subpixel"])


def _cached(model, uniform, condition, temperature):
    return draw_images(model, uniform, condition, "cached", RandomDraw(temperature))


def _naive(model, uniform, condition, temperature):
    return draw_images(model, uniform, condition, "naive", RandomDraw(temperature))


SAMPLERS = {"naive": _naive, "cached": _cached}  # softmax outputs: (model, u, c, temperature)
METHODS = ("auto", *SAMPLERS)

# The one compile cache's entries (`compiled`: its key layout); dropped with the model.
_compiled = compiled._entries


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
    _check_method(method)
    if model.side_information_spec is not None:
        raise ValueError(
            f"A {type(model).__name__}'s images come with side information "
            f"({model.side_information_spec}); sample its factor given it instead "
            "(`PixelCNNAutoencoder.decode`)."
        )
    factors = model.factors()
    if len(factors) > 1:  # e.g. Grayscale / Pyramid PixelCNN: factor by factor, `model.draw`
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

    return compiled.with_jit_choice(model, key, method, jit_compile, run)


def sample_given(model, auxiliary, seed=(0, 0), method="auto", log_scale_reduction=0.0,
                 mixture_mode="sample", jit_compile=None) -> tf.Tensor:  # fmt: skip
    """Draws images of a model of several factors given x̂ (`model.draw_given`): the
    front end of `AuxiliaryVariableModel.sample_given`, with `tpc.sample`'s validation,
    seeds, float32 copy and method / `jit_compile` choice.

    x̂ is checked eagerly (`model.checked_auxiliary`), before the compiled sampler runs:
    XLA does not run a graph's assertions.
    """
    _check_method(method)
    factors = model.factors()
    _check_factored_options(model, factors, 1.0, log_scale_reduction, mixture_mode)
    method = _cached_or_naive(factors[-1].network, method)
    model = float32_copy(model)
    auxiliary = model.checked_auxiliary(auxiliary)  # int32 [batch, h, w, c]
    seeds = random_stream.per_image_seeds(seed, int(auxiliary.shape[0]))
    uniform = random_stream.traced_uniform_noise(
        seeds, (model.given_stream_size_for(auxiliary.shape[1:]),)
    )
    key = ("given", tuple(auxiliary.shape[1:]), method, float(log_scale_reduction), mixture_mode)

    def run(jit):
        sampler = compiled.sampler_function(
            model, key,
            lambda m, a, u: m.draw_given(a, u, method, float(log_scale_reduction), mixture_mode),
            jit, method, reduce_retracing=True,
        )  # fmt: skip
        return sampler(auxiliary, uniform)

    return compiled.with_jit_choice(model, key, method, jit_compile, run)


def _check_method(method) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}. Received: method={method!r}.")


def _sample_factored(model, num_samples, condition, seed, method, temperature,
                     log_scale_reduction, mixture_mode, jit_compile):  # fmt: skip
    """A model of several factors (`GrayscalePixelCNN`, `PyramidPixelCNN`; unconditional):
    `model.draw` from one stream of `model.stream_size` uniforms per image."""
    if condition is not None:
        raise ValueError(f"{type(model).__name__} is unconditional. Received a condition.")
    factors = model.factors()
    _check_factored_options(model, factors, temperature, log_scale_reduction, mixture_mode)
    method = _cached_or_naive(factors[0].network, method)
    model = float32_copy(model)
    seeds = random_stream.per_image_seeds(seed, num_samples)
    uniform = random_stream.traced_uniform_noise(seeds, (model.stream_size,))
    temperature = tf.constant(float(temperature), tf.float32)
    key = ("factored", method, float(log_scale_reduction), mixture_mode)

    def run(jit):
        sampler = compiled.sampler_function(
            model, key,
            lambda m, u, t: m.draw(u, method, t, float(log_scale_reduction), mixture_mode),
            jit, method, reduce_retracing=True,
        )  # fmt: skip
        return sampler(uniform, temperature)

    return compiled.with_jit_choice(model, key, method, jit_compile, run)


def _check_factored_options(model, factors, temperature, log_scale_reduction, mixture_mode):
    """Each factor's distribution checks the options that sharpen it: `temperature` the
    softmax factors, `log_scale_reduction` and `mixture_mode` the mixtures."""
    if not float(temperature) > 0:
        raise ValueError(f"temperature must be > 0. Received: temperature={temperature}.")
    mixtures = [f.pixel_distribution.whole_pixel for f in factors]
    if float(temperature) != 1.0 and all(mixtures):
        raise ValueError(
            f"{type(model).__name__} has logistic-mixture outputs only: use "
            "log_scale_reduction or mixture_mode='map' instead of temperature. "
            f"Received: temperature={temperature}."
        )
    for factor, mixture in zip(factors, mixtures):
        if mixture:
            factor.pixel_distribution.check_draw_options(1.0, log_scale_reduction, mixture_mode)
        else:
            factor.pixel_distribution.check_draw_options(temperature)


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
    """`SAMPLERS[method]` of a softmax `model`: (uniform, condition, temperature)."""
    sampler = SAMPLERS[method]
    return compiled.sampler_function(
        model, (method,), sampler, jit_compile, method, reduce_retracing=True,
    )  # fmt: skip


def draw_mixture_images(model, uniform, condition=None, method="cached", log_scale_reduction=0.0,
                        mode="sample"):  # fmt: skip
    """Images of a logistic-mixture `GatedPixelCNN` from its random stream `[B, H, W, 1 + C]`
    (`draw_images` with a `RandomDraw`); graph-friendly."""
    choice = RandomDraw(log_scale_reduction=log_scale_reduction, mixture_mode=mode)
    return draw_images(model, uniform, condition, method, choice)


def _compiled_mixture_sampler(model, method, log_scale_reduction, mode, jit_compile):
    """The sampler of a logistic-mixture `model`: (uniform, condition)."""
    return compiled.sampler_function(
        model, ("mixture", method, float(log_scale_reduction), mode),
        lambda m, u, c: draw_mixture_images(m, u, c, method, float(log_scale_reduction), mode),
        jit_compile, method, reduce_retracing=True,
    )  # fmt: skip
