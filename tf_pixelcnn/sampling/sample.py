"""`tpc.sample`: draw images from a PixelCNN."""

import weakref

import tensorflow as tf

from tf_pixelcnn.sampling import random_stream
from tf_pixelcnn.sampling.naive import naive_sample

SAMPLERS = {"naive": naive_sample}

# One compiled sampler per (model, method); dropped with the model.
_compiled = weakref.WeakKeyDictionary()


def sample(model, num_samples=None, condition=None, seed=(0, 0), method="naive", temperature=1.0):
    """Draws images from `model` in raster order.

    Args:
        model: a `GatedPixelCNN` or `PixelCNN` (use `PixelCNNAutoencoder.decode` for the
            auto-encoder).
        num_samples: Images to draw; may be omitted when `seed` is `[batch, 2]` or a
            condition gives the batch.
        condition: labels `int [batch]` or vectors `float [batch, D]` of a conditional
            model.
        seed: `[2]` (split into one seed per image) or `[batch, 2]` (one per image). The
            same seed gives the same image.
        method: "naive" (one full network pass per sub-pixel).
        temperature: float > 0; below 1 gives more likely, less diverse images.

    Returns:
        `int32 [num_samples, height, width, channels]` in `[0, num_levels)`.

    Example:
        >>> model = tpc.GatedPixelCNN(image_shape=(4, 4, 1), num_layers=2, filters=4,
        ...                           kernel_size=3, num_levels=2)
        >>> tpc.sample(model, num_samples=3, seed=(1, 2)).shape
        TensorShape([3, 4, 4, 1])
    """
    if method not in SAMPLERS:
        raise ValueError(f"method must be one of {sorted(SAMPLERS)}. Received: method={method!r}.")
    if not float(temperature) > 0:
        raise ValueError(f"temperature must be > 0. Received: temperature={temperature}.")
    if condition is not None:
        condition = tf.convert_to_tensor(condition)
        if num_samples is None and condition.shape[0] is not None:
            num_samples = int(condition.shape[0])
    seeds = random_stream.per_image_seeds(seed, num_samples)
    if condition is not None:
        model.condition_vector(condition)  # fails early with the model's message
    elif model.is_conditional:
        model.condition_vector(None)
    return _compiled_sampler(model, method)(seeds, condition, tf.constant(temperature, tf.float32))


def _compiled_sampler(model, method):
    per_model = _compiled.setdefault(model, {})
    if method not in per_model:
        sampler, model_ref = SAMPLERS[method], weakref.ref(model)  # no cycle: model stays collectable
        per_model[method] = tf.function(
            lambda seeds, condition, temperature: sampler(model_ref(), seeds, condition, temperature),
            reduce_retracing=True,
        )
    return per_model[method]
