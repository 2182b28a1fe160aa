"""The serving signatures of a model: functions of named tensors with in-graph checks.

| signature | inputs | outputs |
|---|---|---|
| `log_prob` (= `serving_default`) | `images` uint8 [B,H,W,C] (+ `labels` int32 [B], `condition` float32 [B,D] or `condition_image` uint8 [B,h,w,c]) | `log_prob` [B] nats, `bits_per_dim` [B], `pixel_log_prob` [B,H,W,C] (logistic mixture: [B,H,W], a pixel's channels are joint) |
| `sample` | `seed` int32 [B,2] (+ `labels` / `condition` / `condition_image`) | `images` uint8 [B,H,W,C] |
| `complete` (GatedPixelCNN) | `images` uint8 [B,H,W,C], `known_rows` int32 [B] in [0, H], `seed` int32 [B,2] (+ condition) | `images` uint8 [B,H,W,C]: rows < known_rows as given, the rest sampled |
| `log_prob`, CodePixelCNN | `codes` int32 [B,h,w] in [0, K) (+ `labels` or `condition_codes` int32 [B,h',w'] in [0, K')) | `log_prob` [B] nats, `bits_per_code` [B], `code_log_prob` [B,h,w] |
| `sample`, CodePixelCNN | `seed` (+ `labels` / `condition_codes`) | `codes` int32 [B,h,w] |
| `complete`, CodePixelCNN | `codes`, `known_rows` in [0, h], `seed` (+ condition) | `codes` |
| `encode` (auto-encoder) | `images` | `code` float32 [B,m] |
| `decode` (auto-encoder) | `code`, `seed` | `images` |
| `reconstruct` (auto-encoder) | `images`, `seed` | `images`, `code` |

The density signatures are generated from the model's description, not its class: the
condition input from `model.condition_spec`, and the values' name, dtype and channel axis
(and the names of the condition map and the per-value outputs) from `model.values_spec`
(`models.autoregressive_image_model.ValuesSpec`: uint8 `images` with their channel axis by
default; a `CodePixelCNN` serves int32 `codes` [B,h,w], as a VQ-VAE encoder gives them).
`bits_per_code` is `bits_per_dim` under the codes' name (one code per position).

Grayscale and Pyramid PixelCNNs (`auxiliary_endpoints`): `log_prob` returns `log_prob`,
`bits_per_dim`, `log_prob_<factor>` per factor and `bits_per_dim_<name>` per factor
(grayscale) or resolution (pyramid), no `pixel_log_prob`; `sample` takes `seed`;
`sample_given` takes `auxiliary` uint8 (the 4-bit grayscale [B,H,W,1]; the image at half
resolution [B,H/2,W/2,C]) and `seed`, and returns `images` whose grayscale / subsampled
image is `auxiliary`.

Request checks. A model server feeds a request's tensors to the graph as they come: the
signature's shapes are not enforced, and an op given a tensor of the wrong rank can abort
the whole process (a rank-3 `images` reached MklConv: `Check failed ... num_total_dims`,
SIGABRT). So every signature (`served_endpoint`) checks its inputs in the graph, one check
after the other, before any op of the model sees them:

1. rank and every size of each input, in signature order: `images` [batch, H, W, C]
   (`codes` [batch, h, w]), `labels` [batch], `condition` [batch, D], `condition_image`
   [batch, h, w, c] (`condition_codes` [batch, h', w']), `code` [batch, m], `auxiliary`
   [batch, ...], `known_rows` [batch], `seed` [batch, 2];
2. one batch size across the inputs, at most `max_batch`;
3. float inputs (`condition`, `code`) hold no NaN or infinity;
4. then the values: image / code values in `[0, num_levels)` and condition-image /
   condition-code values in `[0, levels)` (checks naming the input, then the model's),
   labels in `[0, num_classes)` (the model's check), `known_rows` in `[0, H]`,
   `auxiliary` values below the model's `auxiliary_levels`.

A failed check is an `InvalidArgument` error whose message names the input, what it
should be and what was received (e.g. `images must be uint8 [batch, 8, 8, 1]; received
shape [2 8 8]`; `codes must have values in [0, num_levels=512); received min 0 max
700`). Only the model runs after the checks: the tensors the model reads are the checked
ones (identities under the checks' control dependencies).

Batch 0 is a valid request: every signature returns outputs with batch 0 and the other
dimensions as usual (e.g. `images` [0, H, W, C]) without running the model.
"""

from collections.abc import Callable, Sequence

import tensorflow as tf

from tf_pixelcnn.distributions import categorical, random_stream
from tf_pixelcnn.models.autoregressive_image_model import AutoregressiveImageModel, ValuesSpec
from tf_pixelcnn.models.auxiliary_variable_model import AuxiliaryVariableModel
from tf_pixelcnn.models.pixel_cnn_autoencoder import PixelCNNAutoencoder
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.complete import complete_images
from tf_pixelcnn.sampling.naive import naive_sample
from tf_pixelcnn.sampling.two_stack_model import supports_cached_sampling

Endpoint = tuple[Callable, list[tf.TensorSpec]]
Tensors = dict[str, tf.Tensor]
# The signature accepts a seed of any width so that a wrong one is refused with a message.
SEED_SHAPE = (None, 2)


def seed_spec() -> tf.TensorSpec:
    """The `seed` input: int32 `[batch, 2]`, one pair per image (declared `[None, None]`)."""
    return tf.TensorSpec([None, None], tf.int32, name="seed")


def image_spec(image_shape: Sequence[int], name: str = "images") -> tf.TensorSpec:
    """uint8 images `[batch, *image_shape]`."""
    return tf.TensorSpec([None, *image_shape], tf.uint8, name=name)


def expected_shape(spec: tf.TensorSpec) -> tuple[int | None, ...]:
    """The shape a request must have (None: any size): the spec's, `[batch, 2]` for seeds."""
    return SEED_SHAPE if spec.name == "seed" else tuple(spec.shape)


def describe(spec: tf.TensorSpec) -> str:
    """E.g. `images must be uint8 [batch, 8, 8, 1]`."""
    dims = ["batch", *("?" if d is None else str(d) for d in expected_shape(spec)[1:])]
    return f"{spec.name} must be {spec.dtype.name} [{', '.join(dims)}]"


def has_shape(tensor: tf.Tensor, shape: Sequence[int | None]) -> tf.Tensor:
    """bool scalar: `tensor` has rank `len(shape)` and every size given in `shape`.

    Reads only `tf.shape(tensor)`, which cannot fail whatever the rank."""
    rank = len(shape)
    actual = tf.shape(tensor)  # (actual rank,)
    # -1 past the actual rank: a missing dimension fails its bound, an extra one the last.
    padded = tf.concat([actual, tf.fill([rank + 1], -1)], axis=0)[: rank + 1]
    lower = [0 if d is None else d for d in shape] + [-1]
    upper = [tf.int32.max if d is None else d for d in shape] + [-1]
    return tf.logical_and(tf.reduce_all(padded >= lower), tf.reduce_all(padded <= upper))


def checked_inputs(
    tensors: Tensors, specs: Sequence[tf.TensorSpec], max_batch: int | None
) -> Tensors:
    """The request's inputs after every check of the module docstring (steps 1-3).

    Each check runs after the one before (so the first problem is the one reported and
    no check reads a dimension that a previous one has not vouched for); the returned
    tensors are identities that depend on the last check.

    Args:
        tensors: `{input name: tensor}` as fed.
        specs: the signature's specs, in signature order (their names are the keys).
        max_batch: the largest batch accepted, or None.

    Returns:
        `{input name: tensor}`, safe to give the model.
    """
    checks: list[tf.Operation] = []

    def then(condition: Callable[[], tf.Tensor], data: Callable[[], list]) -> None:
        with tf.control_dependencies(checks[-1:]):
            checks.append(tf.debugging.Assert(condition(), data(), summarize=8))

    for spec in specs:
        tensor, shape = tensors[spec.name], expected_shape(spec)
        then(
            lambda t=tensor, s=shape: has_shape(t, s),
            lambda t=tensor, spec=spec: [f"{describe(spec)}; received shape", tf.shape(t)],
        )
    first = specs[0].name
    with tf.control_dependencies(checks[-1:]):
        batch = tf.shape(tensors[first])[0]
    for spec in specs[1:]:
        other = tensors[spec.name]
        then(
            lambda t=other: tf.equal(tf.shape(t)[0], batch),
            lambda t=other, name=spec.name: [
                f"inputs must have one batch size; received {first} batch", batch,
                f"and {name} batch", tf.shape(t)[0],
            ],
        )  # fmt: skip
    if max_batch is not None:
        then(
            lambda: batch <= max_batch,
            lambda: [f"batch must be at most max_batch={max_batch}; received batch", batch],
        )
    for spec in specs:
        if spec.dtype.is_floating:
            tensor = tensors[spec.name]
            then(
                lambda t=tensor: tf.reduce_all(tf.math.is_finite(t)),
                lambda t=tensor, name=spec.name: [
                    f"{name} must be finite (no NaN or infinity); received",
                    tf.math.count_nonzero(tf.logical_not(tf.math.is_finite(t))),
                    "non-finite values",
                ],
            )
    with tf.control_dependencies(checks[-1:]):
        return {spec.name: tf.identity(tensors[spec.name]) for spec in specs}


def unless_empty(batch: tf.Tensor, compute: Callable[[], Tensors]) -> Tensors:
    """`compute()`, or, for batch 0, outputs of the same dtypes and shapes with batch 0
    (the model does not run)."""
    if tf.executing_eagerly():  # an eager cond runs one branch: trace both in a graph
        return tf.function(lambda: unless_empty(batch, compute))()
    traced: dict[str, tf.TensorSpec] = {}

    def run() -> Tensors:
        outputs = compute()
        traced.update({name: tf.TensorSpec(t.shape, t.dtype) for name, t in outputs.items()})
        return outputs

    def empty() -> Tensors:
        if not traced:
            raise RuntimeError("unless_empty relies on tf.cond tracing true_fn first.")
        return {name: tf.zeros([0, *s.shape[1:]], s.dtype) for name, s in traced.items()}

    return tf.cond(batch > 0, run, empty)


def served_endpoint(
    compute: Callable[[Tensors], Tensors],
    specs: Sequence[tf.TensorSpec],
    max_batch: int | None,
) -> Endpoint:
    """A signature: `compute({input name: checked tensor})` behind the request checks.

    Args:
        compute: the model's part; gets inputs that passed `checked_inputs`, batch ≥ 1.
        specs: the inputs, named; the first one's batch is the request's batch.
        max_batch: the largest batch accepted, or None.

    Returns:
        `(fn, specs)` for `keras.export.ExportArchive.add_endpoint`.
    """
    specs = list(specs)

    def endpoint(*tensors: tf.Tensor) -> Tensors:
        inputs = checked_inputs(dict(zip([s.name for s in specs], tensors)), specs, max_batch)
        return unless_empty(tf.shape(inputs[specs[0].name])[0], lambda: compute(inputs))

    endpoint.__name__ = compute.__name__  # the graph function's name: log_prob, sample, ...
    return endpoint, specs


def values_spec(model: AutoregressiveImageModel) -> tf.TensorSpec:
    """The model's values as served (`model.values_spec`): uint8 `images` `[batch, H, W, C]`
    or, e.g., int32 `codes` `[batch, h, w]` (no channel axis)."""
    served = model.values_spec
    shape = model.image_shape if served.channel_axis else model.image_shape[:-1]
    return tf.TensorSpec([None, *shape], served.dtype, name=served.name)


def to_model(served: ValuesSpec, values: tf.Tensor) -> tf.Tensor:
    """Served values (`served.dtype`, with or without the channel axis) → int32 `[..., C]`."""
    values = tf.cast(values, tf.int32)
    return values if served.channel_axis else values[..., None]


def to_served(served: ValuesSpec, values: tf.Tensor) -> tf.Tensor:
    """The model's int32 values `[B, H, W, C]` → as served (`served.dtype`, channel axis)."""
    values = values if served.channel_axis else values[..., 0]
    return tf.cast(values, served.dtype)


def checked_values(values: tf.Tensor, message: str, levels: int) -> tf.Tensor:
    """int32 `values` after a check that they are in `[0, levels)`; the failure message
    is `message`, then the smallest and largest value received."""
    lowest, highest = tf.reduce_min(values), tf.reduce_max(values)
    check = tf.debugging.Assert(
        tf.logical_and(lowest >= 0, highest < levels),
        [f"{message}; received min", lowest, "max", highest],
    )
    with tf.control_dependencies([check]):
        return tf.identity(values)


def served_values(model: AutoregressiveImageModel, tensor: tf.Tensor) -> tf.Tensor:
    """The model's int32 values `[B, H, W, C]` from its served input, range-checked with
    a message naming the input (`codes must have values in [0, num_levels=K)`)."""
    served = model.values_spec
    message = f"{served.name} must have values in [0, num_levels={model.num_levels})"
    return checked_values(to_model(served, tensor), message, model.num_levels)


def draw(model: AutoregressiveImageModel, seed, condition) -> tf.Tensor:
    """Values as served (uint8 images `[batch, H, W, C]`; int32 codes `[batch, h, w]`)
    from per-image seeds `[batch, 2]`: the cached sampler where the model has one."""
    height, width, _ = model.image_shape
    stream_shape = model.pixel_distribution.stream_shape(height, width)  # (H, W, n)
    uniform = random_stream.uniform_noise(seed, stream_shape)
    sampler = cached_sample if supports_cached_sampling(model) else naive_sample
    return to_served(model.values_spec, sampler(model, uniform, condition))


def draw_completion(model: AutoregressiveImageModel, values, known_rows, seed, condition):
    """Completions as served: the first `known_rows[b]` rows of `values[b]` (served form)
    kept, the rest drawn with the cached sampler and image b's seed (the same values as
    `tpc.complete`)."""
    height, width, _ = model.image_shape
    in_range = tf.logical_and(
        tf.reduce_all(known_rows >= 0), tf.reduce_all(known_rows <= height)
    )
    check = tf.debugging.Assert(
        in_range, [f"known_rows must be in [0, height={height}]; received", known_rows]
    )
    with tf.control_dependencies([check]):
        known_pixels = tf.identity(known_rows) * width
    images = model.check_images(served_values(model, values))
    stream_shape = model.pixel_distribution.stream_shape(height, width)  # (H, W, n)
    uniform = random_stream.uniform_noise(seed, stream_shape)
    completed = complete_images(model, images, known_pixels, uniform, condition)
    return to_served(model.values_spec, completed)


def condition_spec(model: AutoregressiveImageModel) -> tf.TensorSpec | None:
    """The conditioning input of `model`'s signatures, from `model.condition_spec`: an
    image condition as the values are served (`condition_image` uint8 [B, h, w, c];
    `condition_codes` int32 [B, h', w']), `labels` int32 [B] or `condition` float32
    [B, D]; None for an unconditional model."""
    spec = model.condition_spec
    if spec.kind == "image":
        served = model.values_spec
        shape = spec.image_shape if served.channel_axis else spec.image_shape[:-1]
        return tf.TensorSpec([None, *shape], served.dtype, name=served.condition_name)
    if spec.kind == "labels":
        return tf.TensorSpec([None], tf.int32, name="labels")
    if spec.kind == "vectors":
        return tf.TensorSpec([None, spec.dim], tf.float32, name="condition")
    return None


def condition_input(spec: tf.TensorSpec | None, inputs: Tensors, levels=None):
    """What the model's `condition` argument gets from the checked `inputs`: an image
    condition (an integer input of rank ≥ 3) as int32 `[B, h, w, c]` (the channel axis
    added where it is not served), checked to be in `[0, levels)` if `levels` is given."""
    if spec is None:
        return None
    value = inputs[spec.name]
    if not spec.dtype.is_integer or spec.shape.rank < 3:  # labels, vectors
        return value
    value = tf.cast(value, tf.int32)
    value = value if spec.shape.rank == 4 else value[..., None]
    if levels is None:
        return value
    message = f"{spec.name}: condition image values must be in [0, {levels})"
    return checked_values(value, message, levels)


def log_prob_outputs(model, values, condition) -> Tensors:
    """`log_prob`, bits and per-position log-probabilities of served `values`, named as
    `model.values_spec` says (`bits_per_dim`, `pixel_log_prob`; codes: `bits_per_code`,
    `code_log_prob` `[B, h, w]`)."""
    served = model.values_spec
    images = served_values(model, values)
    outputs = model(images, condition=condition) if condition is not None else model(images)
    # (B, H, W, C) per sub-pixel (softmax), (B, H, W) per pixel (logistic mixture)
    pixel_log_prob = model.pixel_distribution.log_prob(outputs, images)
    log_prob = tf.reduce_sum(pixel_log_prob, axis=tf.range(1, tf.rank(pixel_log_prob)))
    if not served.channel_axis and pixel_log_prob.shape.rank == 4:
        pixel_log_prob = pixel_log_prob[..., 0]  # one value per position: [B, h, w]
    return {
        "log_prob": log_prob,
        served.bits_name: categorical.bits_per_dim(log_prob, model.image_shape),
        served.log_prob_name: pixel_log_prob,
    }


def density_endpoints(
    model: AutoregressiveImageModel, max_batch: int | None
) -> dict[str, Endpoint]:
    """`log_prob` and `sample` of a `GatedPixelCNN` / `PixelCNN` / `CodePixelCNN`;
    `complete` where the model has a cached sampler.

    Built from the model's description: the condition input from `model.condition_spec`
    (`labels`, `condition`, an image condition or nothing), the values' name, dtype and
    shape from `model.values_spec` (`images` uint8 [B, H, W, C], `codes` int32 [B, h, w]).
    """
    extra = condition_spec(model)
    extra_specs = [] if extra is None else [extra]
    levels = model.condition_spec.levels  # of an image condition, else None
    served = model.values_spec

    def condition(inputs):
        return condition_input(extra, inputs, levels)

    def log_prob(inputs):
        return log_prob_outputs(model, inputs[served.name], condition(inputs))

    def sample(inputs):
        return {served.name: draw(model, inputs["seed"], condition(inputs))}

    values = values_spec(model)
    endpoints = {
        "log_prob": served_endpoint(log_prob, [values, *extra_specs], max_batch),
        "sample": served_endpoint(sample, [seed_spec(), *extra_specs], max_batch),
    }
    if supports_cached_sampling(model):
        known_rows = tf.TensorSpec([None], tf.int32, name="known_rows")

        def complete(inputs):
            completed = draw_completion(
                model, inputs[served.name], inputs["known_rows"], inputs["seed"],
                condition(inputs),
            )  # fmt: skip
            return {served.name: completed}

        endpoints["complete"] = served_endpoint(
            complete, [values, known_rows, seed_spec(), *extra_specs], max_batch
        )
    return endpoints


def autoencoder_endpoints(ae: PixelCNNAutoencoder, max_batch: int | None) -> dict[str, Endpoint]:
    """`log_prob`, `encode`, `decode` and `reconstruct` of a `PixelCNNAutoencoder`."""
    images = image_spec(ae.image_shape)
    code_spec = tf.TensorSpec([None, ae.bottleneck_dim], tf.float32, name="code")

    def encode(inputs):
        return {"code": ae.encode(tf.cast(inputs["images"], tf.int32))}

    def log_prob(inputs):
        return log_prob_outputs(ae.decoder, inputs["images"], encode(inputs)["code"])

    def decode(inputs):
        return {"images": draw(ae.decoder, inputs["seed"], inputs["code"])}

    def reconstruct(inputs):
        code = encode(inputs)["code"]
        return {"images": draw(ae.decoder, inputs["seed"], code), "code": code}

    return {
        "log_prob": served_endpoint(log_prob, [images], max_batch),
        "encode": served_endpoint(encode, [images], max_batch),
        "decode": served_endpoint(decode, [code_spec, seed_spec()], max_batch),
        "reconstruct": served_endpoint(reconstruct, [images, seed_spec()], max_batch),
    }


def auxiliary_endpoints(model: AuxiliaryVariableModel, max_batch: int | None):
    """`log_prob` (total, per factor, per reported factor or resolution), `sample` and
    `sample_given` of a `GrayscalePixelCNN` / `PyramidPixelCNN` (default sampling: cached,
    no log-scale reduction; the same images as `model.sample` for the same seeds)."""
    auxiliary = model.auxiliary(tf.zeros([1, *model.image_shape], tf.int32))
    auxiliary_spec = image_spec(auxiliary.shape[1:], name="auxiliary")

    def log_prob(inputs):
        factors = model.factor_log_probs(tf.cast(inputs["images"], tf.int32))
        total = tf.add_n(list(factors.values()))
        outputs = {
            "log_prob": total,
            "bits_per_dim": categorical.bits_per_dim(total, model.image_shape),
        }
        outputs.update({f"log_prob_{name}": value for name, value in factors.items()})
        reported = model.report_bits_per_dim(factors)
        outputs.update({f"bits_per_dim_{name}": value for name, value in reported.items()})
        return outputs

    def sample(inputs):
        uniform = random_stream.uniform_noise(inputs["seed"], (model.stream_size,))
        return {"images": tf.cast(model.draw(uniform, "cached", 1.0, 0.0, "sample"), tf.uint8)}

    def sample_given(inputs):
        uniform = random_stream.uniform_noise(inputs["seed"], (model.given_stream_size,))
        levels = model.auxiliary_levels
        highest = tf.reduce_max(tf.cast(inputs["auxiliary"], tf.int32))
        check = tf.debugging.Assert(
            highest < levels,
            [f"auxiliary must have values in [0, auxiliary_levels={levels}); received max",
             highest],
        )  # fmt: skip
        with tf.control_dependencies([check]):
            auxiliary = tf.cast(inputs["auxiliary"], tf.int32)
        images = model.draw_given(auxiliary, uniform, "cached", 0.0, "sample")
        return {"images": tf.cast(images, tf.uint8)}

    return {
        "log_prob": served_endpoint(log_prob, [image_spec(model.image_shape)], max_batch),
        "sample": served_endpoint(sample, [seed_spec()], max_batch),
        "sample_given": served_endpoint(sample_given, [auxiliary_spec, seed_spec()], max_batch),
    }


def endpoints(model, max_batch: int | None = None) -> dict[str, Endpoint]:
    """The signatures of `model`, `log_prob` first (it becomes `serving_default`)."""
    if not callable(getattr(model, "factors", None)):  # not a model of this package
        raise ValueError(
            "export_saved_model takes a model that describes its factorisation "
            "(tf_pixelcnn.models.factorisation): a GatedPixelCNN, PixelCNN, "
            f"PixelCNNAutoencoder, GrayscalePixelCNN or PyramidPixelCNN. "
            f"Received: {type(model).__name__}."
        )
    if model.side_information_spec is not None:  # images come with a code: encode/decode
        return autoencoder_endpoints(model, max_batch)
    if len(model.factors()) > 1:  # an auxiliary variable: sample_given, per-factor reports
        return auxiliary_endpoints(model, max_batch)
    return density_endpoints(model, max_batch)
