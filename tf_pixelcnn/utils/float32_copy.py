"""A float32 twin of a mixed-precision model: same class, config and weights."""

import weakref

import keras
import tensorflow as tf

from tf_pixelcnn.utils.private_api import all_layers

# Model -> its float32 copy, dropped with the model (the copy holds no reference to it).
_copies = weakref.WeakKeyDictionary()


def is_float32(model: keras.layers.Layer) -> bool:
    """Whether `model` and every layer inside it compute and store in float32."""
    return all(
        layer.dtype_policy.compute_dtype == "float32"
        and layer.dtype_policy.variable_dtype == "float32"
        for layer in all_layers(model)
    )


def float32_copy(model: keras.layers.Layer) -> keras.layers.Layer:
    """The model with a float32 dtype policy and the same weights, or `model` itself if
    it is float32 already.

    Under `mixed_bfloat16` / `mixed_float16` a model's blocks compute in 16 bits (its
    output head is float32 in any case). For evaluation, sampling and export, a float32
    copy gives the full-precision likelihood, and the cached and naive samplers (which
    order their operations differently) the same images. The copy is
    `type(model).from_config(config with dtype float32)`: every sub-layer of this
    package's models follows the model's policy.

    One copy is kept per model (weakly: it goes with the model), and the model's current
    weights are copied into it at every call — a few assignments — so weights updated
    after an earlier call are never stale. Inside a `tf.function`, the copy is built
    eagerly (once) and the assignments are part of the graph. Variables of the copy are
    created under the strategy scope active at the first call, if any.

    Args:
        model: A built, Keras-serializable model (`GatedPixelCNN`, `PixelCNN`,
            `PixelCNNAutoencoder`, `GrayscalePixelCNN`, `PyramidPixelCNN`, ...).

    Returns:
        A model of the same class and configuration whose layers are all float32.

    Example:
        >>> keras.mixed_precision.set_global_policy("mixed_bfloat16")
        >>> model = tpc.GatedPixelCNN((8, 8, 1), num_layers=2, filters=8, num_levels=4)
        >>> keras.mixed_precision.set_global_policy("float32")
        >>> float32_copy(model).compute_dtype
        'float32'
    """
    if is_float32(model):
        return model
    copy = _copies.get(model)
    if copy is None:
        with tf.init_scope():  # variables are created eagerly, even from a tf.function
            config = model.get_config()
            config["dtype"] = "float32"
            copy = type(model).from_config(config)
            if not copy.built:
                copy.build()
        if not is_float32(copy):
            raise ValueError(
                f"float32_copy needs a model whose sub-layers follow its dtype policy. "
                f"Received: a {type(model).__name__} whose copy with dtype='float32' still "
                "has layers of another policy."
            )
        _check_same_weights(model, copy)
        _copies[model] = copy
    for target, source in zip(copy.weights, model.weights):
        target.assign(tf.cast(source, target.dtype))
    return copy


def _check_same_weights(model, copy) -> None:
    mine = [tuple(w.shape) for w in model.weights]
    theirs = [tuple(w.shape) for w in copy.weights]
    if mine != theirs:
        raise ValueError(
            f"The float32 copy of {type(model).__name__} {model.name!r} has other weights "
            f"than the model ({len(theirs)} vs {len(mine)} weights, or other shapes): its "
            "get_config does not rebuild it."
        )
