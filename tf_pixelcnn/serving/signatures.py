"""The serving signatures of a model: functions of named tensors with in-graph checks.

| signature | inputs | outputs |
|---|---|---|
| `log_prob` (= `serving_default`) | `images` uint8 [B,H,W,C] (+ `labels` int32 [B], `condition` float32 [B,D] or `condition_image` uint8 [B,h,w,c]) | `log_prob` [B] nats, `bits_per_dim` [B], `pixel_log_prob` [B,H,W,C] (logistic mixture: [B,H,W], a pixel's channels are joint) |
| `sample` | `seed` int32 [B,2] (+ `labels` / `condition` / `condition_image`) | `images` uint8 [B,H,W,C] |
| `complete` (GatedPixelCNN) | `images` uint8 [B,H,W,C], `known_rows` int32 [B] in [0, H], `seed` int32 [B,2] (+ condition) | `images` uint8 [B,H,W,C]: rows < known_rows as given, the rest sampled |
| `encode` (auto-encoder) | `images` | `code` float32 [B,m] |
| `decode` (auto-encoder) | `code`, `seed` | `images` |
| `reconstruct` (auto-encoder) | `images`, `seed` | `images`, `code` |

Grayscale and Pyramid PixelCNNs (`auxiliary_endpoints`): `log_prob` returns `log_prob`,
`bits_per_dim`, `log_prob_<factor>` per factor and `bits_per_dim_<name>` per factor
(grayscale) or resolution (pyramid), no `pixel_log_prob`; `sample` takes `seed`;
`sample_given` takes `auxiliary` uint8 (the 4-bit grayscale [B,H,W,1]; the image at half
resolution [B,H/2,W/2,C]) and `seed`, and returns `images` whose grayscale / subsampled
image is `auxiliary`.

Bad requests fail with `InvalidArgument` and a message naming what was received: a batch
above `max_batch`, a seed that is not `[batch, 2]`, inputs whose batch sizes differ, and
(from the model's own checks) image values ≥ `num_levels` or labels outside
`[0, num_classes)`.
"""

from typing import Callable, Dict, List, Optional, Tuple

import tensorflow as tf

from tf_pixelcnn.distributions import categorical
from tf_pixelcnn.distributions import logistic_mixture
from tf_pixelcnn.models.autoregressive_image_model import AutoregressiveImageModel
from tf_pixelcnn.models.auxiliary_variable_model import AuxiliaryVariableModel
from tf_pixelcnn.models.pixel_cnn_autoencoder import PixelCNNAutoencoder
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.two_stack_model import supports_cached_sampling
from tf_pixelcnn.sampling.complete import complete_images
from tf_pixelcnn.sampling.naive import naive_sample

Endpoint = Tuple[Callable, List[tf.TensorSpec]]


def checked_batch(tensors: Dict[str, tf.Tensor], max_batch: Optional[int]):
    """Asserts that all inputs have one batch size, at most `max_batch`; returns the inputs."""
    names = list(tensors)
    batch = tf.shape(tensors[names[0]])[0]
    checks = []
    for name in names[1:]:
        other = tf.shape(tensors[name])[0]
        checks.append(
            tf.debugging.Assert(
                tf.equal(batch, other),
                [
                    f"inputs must have one batch size; received {names[0]} batch",
                    batch,
                    f"and {name} batch",
                    other,
                ],
            )
        )
    if max_batch is not None:
        checks.append(
            tf.debugging.Assert(
                batch <= max_batch,
                [f"batch must be at most max_batch={max_batch}; received batch", batch],
            )
        )
    with tf.control_dependencies(checks):
        return {name: tf.identity(tensor) for name, tensor in tensors.items()}


def checked_seed(seed: tf.Tensor) -> tf.Tensor:
    """Asserts `seed` is `[batch, 2]` (the signature accepts any width to say so clearly)."""
    check = tf.debugging.Assert(
        tf.equal(tf.shape(seed)[1], 2),
        ["seed must be int32 [batch, 2], one pair per image; received shape", tf.shape(seed)],
    )
    with tf.control_dependencies([check]):
        return tf.identity(seed)


def draw(model: AutoregressiveImageModel, seed, condition) -> tf.Tensor:
    """uint8 images from per-image seeds: cached sampler where the model has one."""
    height, width, channels = model.image_shape
    if getattr(model, "num_mixture_components", None):
        uniform = random_stream.uniform_noise(checked_seed(seed), (height, width, channels + 1))
        return tf.cast(cached_sample(model, uniform, condition), tf.uint8)
    uniform = random_stream.uniform_noise(checked_seed(seed), model.image_shape)
    sampler = cached_sample if supports_cached_sampling(model) else naive_sample
    return tf.cast(sampler(model, uniform, condition), tf.uint8)


def draw_completion(model: AutoregressiveImageModel, images, known_rows, seed, condition):
    """uint8 completions: the first `known_rows[b]` rows of image b kept, the rest drawn
    with the cached sampler and image b's seed (the same images as `tpc.complete`)."""
    height, width, channels = model.image_shape
    in_range = tf.logical_and(
        tf.reduce_all(known_rows >= 0), tf.reduce_all(known_rows <= height)
    )
    check = tf.debugging.Assert(
        in_range, [f"known_rows must be in [0, height={height}]; received", known_rows]
    )
    with tf.control_dependencies([check]):
        known_pixels = tf.identity(known_rows) * width
    images = model.check_images(tf.cast(images, tf.int32))
    mixture = bool(getattr(model, "num_mixture_components", None))
    stream_shape = (height, width, channels + 1) if mixture else model.image_shape
    uniform = random_stream.uniform_noise(checked_seed(seed), stream_shape)
    return tf.cast(complete_images(model, images, known_pixels, uniform, condition), tf.uint8)


def condition_spec(model: AutoregressiveImageModel) -> Optional[tf.TensorSpec]:
    if model.condition_image_shape is not None:
        return tf.TensorSpec([None, *model.condition_image_shape], tf.uint8, name="condition_image")
    if model.num_classes is not None:
        return tf.TensorSpec([None], tf.int32, name="labels")
    if model.condition_dim is not None:
        return tf.TensorSpec([None, model.condition_dim], tf.float32, name="condition")
    return None


def log_prob_outputs(model, images, condition) -> Dict[str, tf.Tensor]:
    images = tf.cast(images, tf.int32)
    outputs = model(images, condition=condition) if condition is not None else model(images)
    if getattr(model, "num_mixture_components", None):
        pixel_log_prob = logistic_mixture.pixel_log_prob(
            outputs, images, model.num_mixture_components, model.num_levels
        )  # (B, H, W)
    else:
        pixel_log_prob = categorical.pixel_log_prob_from_logits(outputs, images)
    log_prob = tf.reduce_sum(pixel_log_prob, axis=tf.range(1, tf.rank(pixel_log_prob)))
    return {
        "log_prob": log_prob,
        "bits_per_dim": categorical.bits_per_dim(log_prob, model.image_shape),
        "pixel_log_prob": pixel_log_prob,
    }


def density_endpoints(
    model: AutoregressiveImageModel, max_batch: Optional[int]
) -> Dict[str, Endpoint]:
    """`log_prob` and `sample` of a `GatedPixelCNN` / `PixelCNN`; `complete` (cached
    sampler) of a `GatedPixelCNN`.

    The signature's input names are the specs' names, so one function serves every
    conditioning mode: `condition` arrives as `labels`, `condition` or not at all.
    """
    images_spec = tf.TensorSpec([None, *model.image_shape], tf.uint8, name="images")
    seed_spec = tf.TensorSpec([None, None], tf.int32, name="seed")
    extra = condition_spec(model)
    extra_specs = [] if extra is None else [extra]

    def with_condition(named, condition):
        if extra is not None:
            named[extra.name] = condition
        inputs = checked_batch(named, max_batch)
        if extra is None:
            return inputs, None
        if extra.name == "condition_image":
            return inputs, tf.cast(inputs[extra.name], tf.int32)
        return inputs, inputs[extra.name]

    def log_prob(images, condition=None):
        inputs, condition = with_condition({"images": images}, condition)
        return log_prob_outputs(model, inputs["images"], condition)

    def sample(seed, condition=None):
        inputs, condition = with_condition({"seed": seed}, condition)
        return {"images": draw(model, inputs["seed"], condition)}

    endpoints = {
        "log_prob": (log_prob, [images_spec, *extra_specs]),
        "sample": (sample, [seed_spec, *extra_specs]),
    }
    if supports_cached_sampling(model):
        known_rows_spec = tf.TensorSpec([None], tf.int32, name="known_rows")

        def complete_signature(images, known_rows, seed, condition=None):
            inputs, condition = with_condition(
                {"images": images, "known_rows": known_rows, "seed": seed}, condition
            )
            completed = draw_completion(
                model, inputs["images"], inputs["known_rows"], inputs["seed"], condition
            )
            return {"images": completed}

        endpoints["complete"] = (
            complete_signature, [images_spec, known_rows_spec, seed_spec, *extra_specs]
        )
    return endpoints


def autoencoder_endpoints(ae: PixelCNNAutoencoder, max_batch: Optional[int]) -> Dict[str, Endpoint]:
    """`log_prob`, `encode`, `decode` and `reconstruct` of a `PixelCNNAutoencoder`."""
    images_spec = tf.TensorSpec([None, *ae.image_shape], tf.uint8, name="images")
    seed_spec = tf.TensorSpec([None, None], tf.int32, name="seed")
    code_spec = tf.TensorSpec([None, ae.bottleneck_dim], tf.float32, name="code")

    def log_prob(images):
        images = checked_batch({"images": images}, max_batch)["images"]
        code = ae.encode(tf.cast(images, tf.int32))
        return log_prob_outputs(ae.decoder, images, code)

    def encode(images):
        images = checked_batch({"images": images}, max_batch)["images"]
        return {"code": ae.encode(tf.cast(images, tf.int32))}

    def decode(code, seed):
        inputs = checked_batch({"code": code, "seed": seed}, max_batch)
        return {"images": draw(ae.decoder, inputs["seed"], inputs["code"])}

    def reconstruct(images, seed):
        inputs = checked_batch({"images": images, "seed": seed}, max_batch)
        code = ae.encode(tf.cast(inputs["images"], tf.int32))
        return {"images": draw(ae.decoder, inputs["seed"], code), "code": code}

    return {
        "log_prob": (log_prob, [images_spec]),
        "encode": (encode, [images_spec]),
        "decode": (decode, [code_spec, seed_spec]),
        "reconstruct": (reconstruct, [images_spec, seed_spec]),
    }


def auxiliary_endpoints(model: AuxiliaryVariableModel, max_batch: Optional[int]):
    """`log_prob` (total, per factor, per reported factor or resolution), `sample` and
    `sample_given` of a `GrayscalePixelCNN` / `PyramidPixelCNN` (default sampling: cached,
    no log-scale reduction; the same images as `model.sample` for the same seeds)."""
    images_spec = tf.TensorSpec([None, *model.image_shape], tf.uint8, name="images")
    seed_spec = tf.TensorSpec([None, None], tf.int32, name="seed")
    auxiliary = model.auxiliary(tf.zeros([1, *model.image_shape], tf.int32))
    auxiliary_spec = tf.TensorSpec([None, *auxiliary.shape[1:]], tf.uint8, name="auxiliary")

    def log_prob(images):
        images = tf.cast(checked_batch({"images": images}, max_batch)["images"], tf.int32)
        factors = model.factor_log_probs(images)
        total = tf.add_n(list(factors.values()))
        outputs = {
            "log_prob": total,
            "bits_per_dim": categorical.bits_per_dim(total, model.image_shape),
        }
        outputs.update({f"log_prob_{name}": value for name, value in factors.items()})
        reported = model.report_bits_per_dim(factors)
        outputs.update({f"bits_per_dim_{name}": value for name, value in reported.items()})
        return outputs

    def sample(seed):
        seed = checked_seed(checked_batch({"seed": seed}, max_batch)["seed"])
        uniform = random_stream.uniform_noise(seed, (model.stream_size,))
        return {"images": tf.cast(model.draw(uniform, "cached", 1.0, 0.0, "sample"), tf.uint8)}

    def sample_given(auxiliary, seed):
        inputs = checked_batch({"auxiliary": auxiliary, "seed": seed}, max_batch)
        uniform = random_stream.uniform_noise(
            checked_seed(inputs["seed"]), (model.given_stream_size,)
        )
        images = model.draw_given(
            tf.cast(inputs["auxiliary"], tf.int32), uniform, "cached", 0.0, "sample"
        )
        return {"images": tf.cast(images, tf.uint8)}

    return {
        "log_prob": (log_prob, [images_spec]),
        "sample": (sample, [seed_spec]),
        "sample_given": (sample_given, [auxiliary_spec, seed_spec]),
    }


def endpoints(model, max_batch: Optional[int] = None) -> Dict[str, Endpoint]:
    """The signatures of `model`, `log_prob` first (it becomes `serving_default`)."""
    if isinstance(model, AuxiliaryVariableModel):
        return auxiliary_endpoints(model, max_batch)
    if isinstance(model, PixelCNNAutoencoder):
        return autoencoder_endpoints(model, max_batch)
    if isinstance(model, AutoregressiveImageModel):
        return density_endpoints(model, max_batch)
    raise ValueError(
        "export_saved_model takes a GatedPixelCNN, PixelCNN, PixelCNNAutoencoder, "
        "GrayscalePixelCNN or PyramidPixelCNN. "
        f"Received: {type(model).__name__}."
    )
