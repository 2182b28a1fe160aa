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

Request checks. A model server feeds a request's tensors to the graph as they come: the
signature's shapes are not enforced, and an op given a tensor of the wrong rank can abort
the whole process (a rank-3 `images` reached MklConv: `Check failed ... num_total_dims`,
SIGABRT). So every signature (`served_endpoint`) checks its inputs in the graph, one check
after the other, before any op of the model sees them:

1. rank and every size of each input, in signature order: `images` [batch, H, W, C],
   `labels` [batch], `condition` [batch, D], `condition_image` [batch, h, w, c], `code`
   [batch, m], `auxiliary` [batch, ...], `known_rows` [batch], `seed` [batch, 2];
2. one batch size across the inputs, at most `max_batch`;
3. float inputs (`condition`, `code`) hold no NaN or infinity;
4. then the values: image values < `num_levels`, labels in `[0, num_classes)`
   (the model's checks), `known_rows` in `[0, H]`, `auxiliary` values below the
   model's `auxiliary_levels`, condition-image values in range (the model's check).

A failed check is an `InvalidArgument` error whose message names the input, what it
should be and what was received (e.g. `images must be uint8 [batch, 8, 8, 1]; received
shape [2 8 8]`). Only the model runs after the checks: the tensors the model reads are
the checked ones (identities under the checks' control dependencies).

Batch 0 is a valid request: every signature returns outputs with batch 0 and the other
dimensions as usual (e.g. `images` [0, H, W, C]) without running the model.
"""

from collections.abc import Callable, Sequence

import tensorflow as tf

from tf_pixelcnn.distributions import categorical, random_stream
from tf_pixelcnn.models.autoregressive_image_model import AutoregressiveImageModel
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


def draw(model: AutoregressiveImageModel, seed, condition) -> tf.Tensor:
    """uint8 images `[batch, H, W, C]` from per-image seeds `[batch, 2]`: the cached sampler
    where the model has one."""
    height, width, _ = model.image_shape
    stream_shape = model.pixel_distribution.stream_shape(height, width)  # (H, W, n)
    uniform = random_stream.uniform_noise(seed, stream_shape)
    sampler = cached_sample if supports_cached_sampling(model) else naive_sample
    return tf.cast(sampler(model, uniform, condition), tf.uint8)


def draw_completion(model: AutoregressiveImageModel, images, known_rows, seed, condition):
    """uint8 completions: the first `known_rows[b]` rows of image b kept, the rest drawn
    with the cached sampler and image b's seed (the same images as `tpc.complete`)."""
    height, width, _ = model.image_shape
    in_range = tf.logical_and(
        tf.reduce_all(known_rows >= 0), tf.reduce_all(known_rows <= height)
    )
    check = tf.debugging.Assert(
        in_range, [f"known_rows must be in [0, height={height}]; received", known_rows]
    )
    with tf.control_dependencies([check]):
        known_pixels = tf.identity(known_rows) * width
    images = model.check_images(tf.cast(images, tf.int32))
    stream_shape = model.pixel_distribution.stream_shape(height, width)  # (H, W, n)
    uniform = random_stream.uniform_noise(seed, stream_shape)
    return tf.cast(complete_images(model, images, known_pixels, uniform, condition), tf.uint8)


def condition_spec(model: AutoregressiveImageModel) -> tf.TensorSpec | None:
    """The conditioning input of `model`'s signatures (`condition_image`, `labels` or
    `condition`), or None for an unconditional model."""
    if model.condition_image_shape is not None:
        return image_spec(model.condition_image_shape, name="condition_image")
    if model.num_classes is not None:
        return tf.TensorSpec([None], tf.int32, name="labels")
    if model.condition_dim is not None:
        return tf.TensorSpec([None, model.condition_dim], tf.float32, name="condition")
    return None


def condition_input(spec: tf.TensorSpec | None, inputs: Tensors) -> tf.Tensor | None:
    """What the model's `condition` argument gets from the checked `inputs`."""
    if spec is None:
        return None
    if spec.name == "condition_image":
        return tf.cast(inputs[spec.name], tf.int32)
    return inputs[spec.name]


def log_prob_outputs(model, images, condition) -> Tensors:
    images = tf.cast(images, tf.int32)
    outputs = model(images, condition=condition) if condition is not None else model(images)
    # (B, H, W, C) per sub-pixel (softmax), (B, H, W) per pixel (logistic mixture)
    pixel_log_prob = model.pixel_distribution.log_prob(outputs, images)
    log_prob = tf.reduce_sum(pixel_log_prob, axis=tf.range(1, tf.rank(pixel_log_prob)))
    return {
        "log_prob": log_prob,
        "bits_per_dim": categorical.bits_per_dim(log_prob, model.image_shape),
        "pixel_log_prob": pixel_log_prob,
    }


def density_endpoints(
    model: AutoregressiveImageModel, max_batch: int | None
) -> dict[str, Endpoint]:
    """`log_prob` and `sample` of a `GatedPixelCNN` / `PixelCNN`; `complete` (cached
    sampler) of a `GatedPixelCNN`.

    The signature's input names are the specs' names, so one function serves every
    conditioning mode: the condition arrives as `labels`, `condition`, `condition_image`
    or not at all.
    """
    extra = condition_spec(model)
    extra_specs = [] if extra is None else [extra]

    def log_prob(inputs):
        return log_prob_outputs(model, inputs["images"], condition_input(extra, inputs))

    def sample(inputs):
        return {"images": draw(model, inputs["seed"], condition_input(extra, inputs))}

    images = image_spec(model.image_shape)
    endpoints = {
        "log_prob": served_endpoint(log_prob, [images, *extra_specs], max_batch),
        "sample": served_endpoint(sample, [seed_spec(), *extra_specs], max_batch),
    }
    if supports_cached_sampling(model):
        known_rows = tf.TensorSpec([None], tf.int32, name="known_rows")

        def complete(inputs):
            completed = draw_completion(
                model, inputs["images"], inputs["known_rows"], inputs["seed"],
                condition_input(extra, inputs),
            )  # fmt: skip
            return {"images": completed}

        endpoints["complete"] = served_endpoint(
            complete, [images, known_rows, seed_spec(), *extra_specs], max_batch
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
