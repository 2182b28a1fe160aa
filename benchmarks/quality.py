"""Model quality on real photos: Gated PixelCNN vs the original PixelCNN vs `tfd.PixelCNN`.

    python benchmarks/quality.py [--budgets=250,1000] [--batch_size=32] [--learning_rate=2e-3]
        [--models=gated,pixelcnn,pixelcnn_wide_head,gated_mixture,tfd_mixture]
        [--output_dir=/tmp/tf_pixelcnn_benchmarks]

Every model is trained here with Adam (`--learning_rate`, constant; `--warmup_steps` of
linear warm-up) on batches of `--batch_size` 16×16×3 patches of scikit-learn's two
photographs (`tf_pixelcnn.data.photo_patches`, 256 levels), all models on the same batches
in the same order, and evaluated after each of `--budgets` steps (one run to the largest
budget: with a schedule that does not depend on the run's length, its weights after 250
steps are those of a 250-step run) on

- "photo test": the 350 test patches of the same photographs (pixels disjoint from the
  training patches);
- "other photos": non-overlapping 16×16 patches of five photographs that ship in the
  scikit-image wheel (astronaut, chelsea, coffee, rocket, motorcycle_left), prepared as
  the training photos (area-downsampled by 2): photos the models never saw.

Models (stored parameters are counted and must agree within 15% per comparison):

- `gated`: `tpc.GatedPixelCNN`, softmax head, `--num_layers` × `--kernel_size`,
  `--gated_filters`, hidden head width `--gated_output_filters`;
- `pixelcnn`: `tpc.PixelCNN` (the original, masked ReLU), `--pixelcnn_filters`, first layer
  `--pixelcnn_first_kernel_size`, head width = its filters (the paper's);
- `pixelcnn_wide_head`: `tpc.PixelCNN` with `--pixelcnn_wide_filters` and the gated model's
  head width (the original with the same head);
- `gated_mixture`: `tpc.GatedPixelCNN` with `--mixture_components` discretized logistics;
- `tfd_mixture`: `tfd.PixelCNN` (PixelCNN++; TensorFlow Probability with tf-keras, the
  `benchmarks` extra), `--tfd_resnets`, `--tfd_hierarchies`, `--tfd_filters`, the same
  mixture size, dropout `--tfd_dropout`.

Each test set is scored with the trained weights and with the fastest of the weight
averages `--polyak_decays` (the library's `WeightAverage`, updated after every step; the
JSON has all): with a constant learning rate the last weights are a noisy sample of the
weights the run visits; their average is not.
Seconds per training step are timed after training, all models interleaved in
`--timing_rounds` rounds of `--timed_steps` steps (the median round): the machine's load
moves every model alike. Each run is cached in `<output_dir>/quality_runs/` (a later
invocation, or `quality_ablations.py`, reuses it), so the benchmark can be run one model at
a time. Writes `quality.json` and `quality.md`.
"""

import dataclasses
import hashlib
import importlib.util
import json
import math
import os
import statistics
import time

import keras
import numpy as np
import tensorflow as tf
from absl import app, flags
from report import write_report  # benchmarks/report.py, next to this script

import tf_pixelcnn as tpc
from tf_pixelcnn.data.photo_patches import load_photo_patches
from tf_pixelcnn.distributions.logistic_mixture import num_parameters
from tf_pixelcnn.models.head_width import default_head_width
from tf_pixelcnn.training.weight_average import WeightAverage

_BUDGETS = flags.DEFINE_list("budgets", ["250", "1000"], "Training steps at which to evaluate.")
_BATCH = flags.DEFINE_integer("batch_size", 32, "Patches per training step.")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 2e-3, "Adam's (constant) learning rate.")
_WARMUP = flags.DEFINE_integer("warmup_steps", 0, "Linear warm-up steps to the learning rate.")
_SEED = flags.DEFINE_integer("seed", 0, "Initial weights and the order of the batches.")
_MODELS = flags.DEFINE_list(
    "models",
    ["gated", "pixelcnn", "pixelcnn_wide_head", "gated_mixture", "tfd_mixture"],
    "Models to train and compare, in this order.",
)
_LAYERS = flags.DEFINE_integer("num_layers", 8, "Layers of the tpc models.")
_KERNEL = flags.DEFINE_integer("kernel_size", 3, "Kernel size of the tpc models' layers.")
_GATED_FILTERS = flags.DEFINE_integer("gated_filters", 32, "GatedPixelCNN filters (softmax).")
_GATED_HEAD = flags.DEFINE_integer(
    "gated_output_filters", 192, "GatedPixelCNN's hidden head width (softmax); 0: the default."
)
_PIXELCNN_FILTERS = flags.DEFINE_integer("pixelcnn_filters", 64, "PixelCNN filters.")
_PIXELCNN_FIRST = flags.DEFINE_integer("pixelcnn_first_kernel_size", 7, "PixelCNN's mask A size.")
_PIXELCNN_WIDE_FILTERS = flags.DEFINE_integer(
    "pixelcnn_wide_filters", 48, "Filters of the PixelCNN with the gated model's head width."
)
_MIXTURE_FILTERS = flags.DEFINE_integer("mixture_filters", 32, "GatedPixelCNN filters (mixture).")
_MIXTURE_HEAD = flags.DEFINE_integer(
    "mixture_output_filters", 0, "GatedPixelCNN's hidden head width (mixture); 0: the default."
)
_COMPONENTS = flags.DEFINE_integer("mixture_components", 5, "Logistics per mixture.")
_TFD_RESNETS = flags.DEFINE_integer("tfd_resnets", 1, "tfd.PixelCNN num_resnet.")
_TFD_HIERARCHIES = flags.DEFINE_integer("tfd_hierarchies", 2, "tfd.PixelCNN num_hierarchies.")
_TFD_FILTERS = flags.DEFINE_integer("tfd_filters", 16, "tfd.PixelCNN num_filters.")
_TFD_DROPOUT = flags.DEFINE_float("tfd_dropout", 0.0, "tfd.PixelCNN dropout_p (ours: none).")
_POLYAK = flags.DEFINE_list(
    "polyak_decays", ["0.98", "0.99"], "Also evaluate these weight averages (WeightAverage)."
)
_TIMING_ROUNDS = flags.DEFINE_integer("timing_rounds", 5, "Interleaved timing rounds; 0: none.")
_TIMED_STEPS = flags.DEFINE_integer("timed_steps", 10, "Training steps per model and round.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")

IMAGE_SHAPE = (16, 16, 3)
DIMS = math.prod(IMAGE_SHAPE)
# Everyday colour photographs in the scikit-image wheel (skimage/data; no download).
OTHER_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png")
PARAMETER_TOLERANCE = 0.15
MODEL_LABELS = {
    "gated": "GatedPixelCNN, softmax",
    "pixelcnn": "PixelCNN (original), softmax",
    "pixelcnn_wide_head": "PixelCNN (original), softmax, gated model's head width",
    "gated_mixture": "GatedPixelCNN, logistic mixture",
    "tfd_mixture": "tfd.PixelCNN (PixelCNN++), logistic mixture",
}
# (model, peer) pairs whose test bits/dim and stored parameters are compared.
COMPARISONS = (
    ("gated", "pixelcnn"),
    ("gated", "pixelcnn_wide_head"),
    ("gated_mixture", "tfd_mixture"),
)


def other_photo_patches() -> np.ndarray:
    """uint8 `[N, 16, 16, 3]`: non-overlapping patches of `OTHER_PHOTOS`, each photo
    area-downsampled by 2 as `photo_patches` prepares its photographs."""
    spec = importlib.util.find_spec("skimage")  # locates the package without importing it
    if spec is None:
        raise ImportError("scikit-image is needed: pip install -e '.[benchmarks]'")
    folder = os.path.join(os.path.dirname(spec.origin), "data")
    size = IMAGE_SHAPE[0]
    patches = []
    for name in OTHER_PHOTOS:
        image = tf.io.decode_image(tf.io.read_file(os.path.join(folder, name)), channels=3)
        half = (image.shape[0] // 2, image.shape[1] // 2)
        small = tf.image.resize(tf.cast(image, tf.float32), half, method="area")
        photo = np.clip(np.round(small.numpy()), 0, 255).astype(np.uint8)
        for top in range(0, half[0] - size + 1, size):
            for left in range(0, half[1] - size + 1, size):
                patches.append(photo[top : top + size, left : left + size])
    return np.stack(patches)


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything a training run's result depends on (its cache key)."""

    model: str  # a MODEL_LABELS key
    model_kwargs: tuple[tuple[str, object], ...]
    learning_rate: float
    warmup_steps: int
    batch_size: int
    seed: int
    gate_bias: float = 0.0  # added to the σ gate's bias in every block at initialisation
    zero_residual_output: bool = False  # residual blocks' output 1×1 starts at zero
    zero_logits: bool = False  # the head's last 1×1 starts at zero (uniform predictions)

    def key(self) -> str:
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return f"{self.model}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def head(flag_value: int, filters: int, outputs_per_pixel: int) -> int:
    """A head-width flag's value, 0 resolved to the library's default width (so a cached
    run's key names the width it trained with, whatever the default becomes)."""
    return flag_value or default_head_width(filters, outputs_per_pixel)


def model_kwargs(name: str) -> dict[str, object]:
    """Constructor arguments of model `name` from the flags."""
    layers = {"num_layers": _LAYERS.value, "kernel_size": _KERNEL.value}
    softmax_outputs = IMAGE_SHAPE[2] * 256
    if name == "gated":
        return dict(layers, filters=_GATED_FILTERS.value,
                    output_filters=head(_GATED_HEAD.value, _GATED_FILTERS.value,
                                        softmax_outputs))  # fmt: skip
    if name == "pixelcnn":
        return dict(layers, filters=_PIXELCNN_FILTERS.value,
                    first_kernel_size=_PIXELCNN_FIRST.value,
                    output_filters=_PIXELCNN_FILTERS.value)  # fmt: skip
    if name == "pixelcnn_wide_head":
        return dict(layers, filters=_PIXELCNN_WIDE_FILTERS.value,
                    first_kernel_size=_PIXELCNN_FIRST.value,
                    output_filters=head(_GATED_HEAD.value, _PIXELCNN_WIDE_FILTERS.value,
                                        softmax_outputs))  # fmt: skip
    if name == "gated_mixture":
        mixture_outputs = num_parameters(_COMPONENTS.value, IMAGE_SHAPE[2])
        return dict(layers, filters=_MIXTURE_FILTERS.value,
                    output_filters=head(_MIXTURE_HEAD.value, _MIXTURE_FILTERS.value,
                                        mixture_outputs),
                    num_mixture_components=_COMPONENTS.value)  # fmt: skip
    if name == "tfd_mixture":
        return {
            "num_resnet": _TFD_RESNETS.value,
            "num_hierarchies": _TFD_HIERARCHIES.value,
            "num_filters": _TFD_FILTERS.value,
            "num_logistic_mix": _COMPONENTS.value,
            "dropout_p": _TFD_DROPOUT.value,
        }
    raise ValueError(f"Unknown model {name!r}; expected one of {sorted(MODEL_LABELS)}.")


def run_config(name: str, **changes) -> RunConfig:
    config = RunConfig(
        model=name,
        model_kwargs=tuple(sorted(model_kwargs(name).items())),
        learning_rate=_LEARNING_RATE.value,
        warmup_steps=_WARMUP.value,
        batch_size=_BATCH.value,
        seed=_SEED.value,
    )
    return dataclasses.replace(config, **changes)


class Trainable:
    """One model behind one interface: `log_prob(int images)` in nats `[B]`, its variables
    and its stored parameter count."""

    def __init__(self, config: RunConfig, first_batch: np.ndarray):
        kwargs = dict(config.model_kwargs)
        keras.utils.set_random_seed(config.seed)  # the same initial weights every run
        if config.model == "tfd_mixture":
            import tensorflow_probability as tfp  # the benchmarks extra

            self.model = tfp.distributions.PixelCNN(image_shape=IMAGE_SHAPE, **kwargs)
            # Weight normalisation's data-dependent initialisation runs eagerly, once.
            self.model.log_prob(tf.cast(first_batch, tf.float32), training=True)
            self.variables = list(self.model.network.trainable_variables)
        else:
            model_class = tpc.PixelCNN if config.model.startswith("pixelcnn") else tpc.GatedPixelCNN
            self.model = model_class(image_shape=IMAGE_SHAPE, num_levels=256, **kwargs)
            initialise(self.model, config)
            self.variables = list(self.model.trainable_variables)
        self.parameters = sum(int(np.prod(v.shape)) for v in self.variables)
        self.is_tfd = config.model == "tfd_mixture"

    def log_prob(self, images, training: bool):
        if self.is_tfd:
            return self.model.log_prob(tf.cast(images, tf.float32), training=training)
        return self.model.log_prob(images, training=training)


def initialise(model, config: RunConfig) -> None:
    """The initialisation ablations, applied to a built `GatedPixelCNN`'s weights."""
    if not (config.gate_bias or config.zero_residual_output or config.zero_logits):
        return
    if not isinstance(model, tpc.GatedPixelCNN):
        raise TypeError(f"Initialisation ablations need a GatedPixelCNN. Received: {config}.")
    for block in model.blocks:
        for convolution in (block.vertical_conv, block.horizontal_conv):
            gate = np.zeros(convolution.bias.shape, np.float32)
            gate[block.filters :] = config.gate_bias  # [f, g]: the second half is σ's
            convolution.bias.assign(convolution.bias + gate)
        if config.zero_residual_output and block.residual:
            for variable in (block.horizontal_output.kernel, block.horizontal_output.bias):
                variable.assign(tf.zeros_like(variable))
    if config.zero_logits:
        for variable in (model.output_head.logits.kernel, model.output_head.logits.bias):
            variable.assign(tf.zeros_like(variable))


def batch_order(train_size: int, steps: int, batch: int, seed: int) -> np.ndarray:
    """`[steps, batch]` indices: shuffled epochs, one after another (the same for every
    model with the same seed)."""
    rng = np.random.default_rng(seed)
    epochs = math.ceil(steps * batch / train_size)
    order = np.concatenate([rng.permutation(train_size) for _ in range(epochs)])
    return order[: steps * batch].reshape(steps, batch)


def make_step(trainable: Trainable, config: RunConfig):
    """A `tf.function` training step on `int32 [B, 16, 16, 3]`: Adam on the mean
    negative log-likelihood per dimension (nats); returns the loss."""
    if config.warmup_steps:
        rate = keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=1, alpha=1.0,  # constant after the warm-up (alpha 1: no decay)
            warmup_target=config.learning_rate, warmup_steps=config.warmup_steps,
        )  # fmt: skip
    else:
        rate = config.learning_rate
    optimizer = keras.optimizers.Adam(rate)
    optimizer.build(trainable.variables)

    @tf.function(autograph=False)  # no Python control flow to convert
    def step(images):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(trainable.log_prob(images, training=True)) / DIMS
        gradients = tape.gradient(loss, trainable.variables)
        optimizer.apply_gradients(zip(gradients, trainable.variables))
        return loss

    return step


def bits_per_dim(trainable: Trainable, evaluate, images: np.ndarray, batch: int = 64) -> float:
    log_p = np.concatenate(
        [
            evaluate(tf.constant(images[i : i + batch], tf.int32)).numpy()
            for i in range(0, len(images), batch)
        ]
    )
    return float(-log_p.mean() / (DIMS * math.log(2)))


def train_and_evaluate(config: RunConfig, budgets: list[int], data) -> dict:
    """Trains one model to `max(budgets)` steps; test bits/dim after each budget."""
    train, test_sets = data
    order = batch_order(len(train), max(budgets), config.batch_size, config.seed)
    trainable = Trainable(config, train[order[0]])
    step = make_step(trainable, config)
    decays = [float(d) for d in _POLYAK.value]
    averages = {d: WeightAverage(trainable.variables, d) for d in decays}
    evaluate = tf.function(lambda x: trainable.log_prob(x, training=False))
    result = {"config": dataclasses.asdict(config), "parameters": trainable.parameters,
              "evaluations": []}  # fmt: skip
    losses, train_seconds = [], 0.0
    print(f"{config.key()}: {trainable.parameters:,} stored parameters", flush=True)
    for index in range(max(budgets)):
        start = time.perf_counter()
        losses.append(float(step(tf.constant(train[order[index]], tf.int32))))
        if index:  # the first step traces
            train_seconds += time.perf_counter() - start
        for average in averages.values():
            average.update()
        done = index + 1
        if done % 100 == 0:
            recent = np.mean(losses[-100:]) / math.log(2)
            print(f"  step {done}: {recent:.3f} bits/dim (train, last 100)", flush=True)
        if done in budgets:
            evaluation = {"steps": done, "train_seconds_per_step": train_seconds / (done - 1),
                          "train_bpd_last_100": float(np.mean(losses[-100:]) / math.log(2))}  # fmt: skip
            for name, images in test_sets.items():
                evaluation[name] = bits_per_dim(trainable, evaluate, images)
                for decay, average in averages.items():
                    with average.swapped_in():
                        evaluation[f"{name} polyak {decay}"] = bits_per_dim(
                            trainable, evaluate, images
                        )
            print(f"  {json.dumps(evaluation)}", flush=True)
            result["evaluations"].append(evaluation)
    return result


def cached_run(config: RunConfig, budgets: list[int], data) -> dict:
    """The run's result from `<output_dir>/quality_runs/` if it evaluated every budget,
    else trains it and stores it there."""
    folder = os.path.join(_OUTPUT_DIR.value, "quality_runs")
    tf.io.gfile.makedirs(folder)
    path = os.path.join(folder, f"{config.key()}.json")
    if os.path.exists(path):
        with open(path) as f:
            result = json.load(f)
        if set(budgets) <= {e["steps"] for e in result["evaluations"]}:
            return result
    result = train_and_evaluate(config, budgets, data)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    return result


def load_data():
    """(train uint8 patches, {"photo test": ..., "other photos": ...})."""
    train, _ = load_photo_patches("train")
    test, _ = load_photo_patches("test")
    test_sets = {"photo test": test}
    try:
        test_sets["other photos"] = other_photo_patches()
    except ImportError as error:
        print(f"skipping the other photos: {error}")
    return train, test_sets


def evaluation_at(result: dict, steps: int) -> dict:
    return next(e for e in result["evaluations"] if e["steps"] == steps)


def time_steps(configs: list[RunConfig], train: np.ndarray) -> dict[str, float]:
    """Median seconds per training step of each model, timed in interleaved rounds."""
    batch = tf.constant(train[: _BATCH.value], tf.int32)
    steps = {}
    for config in configs:
        step = make_step(Trainable(config, train[: _BATCH.value]), config)
        step(batch), step(batch)  # tracing
        steps[config.model] = step
    rounds: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(_TIMING_ROUNDS.value):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(_TIMED_STEPS.value):
                loss = step(batch)
            float(loss)
            rounds[name].append((time.perf_counter() - start) / _TIMED_STEPS.value)
    return {name: statistics.median(times) for name, times in rounds.items()}


def percent_lower(value: float, reference: float) -> float:
    return 100.0 * (1.0 - value / reference)


def check_parameters(results: dict[str, dict], model: str, peer: str) -> str | None:
    """A line on the pair's stored parameters (raises if they differ by more than 15%)."""
    if model not in results or peer not in results:
        return None
    mine, theirs = results[model]["parameters"], results[peer]["parameters"]
    ratio = mine / theirs
    line = f"stored parameters {model} {mine:,} vs {peer} {theirs:,} (ratio {ratio:.3f})"
    print(line)
    if abs(ratio - 1.0) > PARAMETER_TOLERANCE:
        raise ValueError(f"Not equal parameters within ±15%: {line}. Change the filters flags.")
    return line


def main_comparison(budgets: list[int], data) -> None:
    results = {name: cached_run(run_config(name), budgets, data) for name in _MODELS.value}
    # Each test set with the trained weights, then with the fastest weight average (the
    # last weights of a constant-rate run are noisy; a slower average still holds the
    # initial weights at the small budget: 0.99 ** 250 = 8%).
    columns = []
    for test in data[1]:
        columns.append(test)
        if _POLYAK.value:
            columns.append(f"{test} polyak {min(float(d) for d in _POLYAK.value)}")
    seconds = {}
    if _TIMING_ROUNDS.value:
        seconds = time_steps([run_config(name) for name in _MODELS.value], data[0])
    rows, lines = [], []
    header = " | ".join(f"{column} bits/dim" for column in columns)
    lines += [f"| model | stored params | steps | {header} | s/step |",
              "|---|---|---|" + "---|" * len(columns) + "---|"]  # fmt: skip
    for name, result in results.items():
        for steps in budgets:
            evaluation = evaluation_at(result, steps)
            row = dict(model=name, label=MODEL_LABELS[name], parameters=result["parameters"],
                       steps=steps, seconds_per_step=seconds.get(name),
                       config=result["config"],
                       **{k: v for k, v in evaluation.items() if k != "steps"})  # fmt: skip
            rows.append(row)
            cells = " | ".join(f"{evaluation[c]:.3f}" for c in columns)
            timing = f"{seconds[name]:.3f}" if name in seconds else "—"
            lines.append(f"| {MODEL_LABELS[name]} | {result['parameters']:,} | {steps:,} | "
                         f"{cells} | {timing} |")  # fmt: skip
    lines.append("")
    for model, peer in COMPARISONS:
        parameters = check_parameters(results, model, peer)
        if parameters is None:
            continue
        lines.append(f"- {parameters}")
        for steps in budgets:
            mine, theirs = evaluation_at(results[model], steps), evaluation_at(results[peer], steps)
            cells = "; ".join(
                f"{c}: {mine[c]:.3f} vs {theirs[c]:.3f} "
                f"({percent_lower(mine[c], theirs[c]):+.1f}% lower)"
                for c in columns
            )
            lines.append(f"- {model} vs {peer}, {steps:,} steps: {cells}")
        if model in seconds and peer in seconds:
            lines.append(f"- seconds per step {model} / {peer}: "
                         f"{seconds[model]:.3f} / {seconds[peer]:.3f} = "
                         f"{seconds[model] / seconds[peer]:.2f}")  # fmt: skip
    warmup = f", {_WARMUP.value} warm-up steps" if _WARMUP.value else ""
    timing = (
        f"s/step: median of {_TIMING_ROUNDS.value} interleaved rounds of {_TIMED_STEPS.value} "
        "training steps; "
        if seconds
        else ""
    )
    lines.append(
        f"\nBatch {_BATCH.value}, Adam {_LEARNING_RATE.value:g} (constant{warmup}), the same "
        f"batches in the same order for every model, seed {_SEED.value}; {timing}one run, "
        "one machine (CPU)."
    )
    markdown = "\n".join(lines)
    write_report(_OUTPUT_DIR.value, "quality", rows, markdown)


def main(argv):
    del argv
    budgets = sorted(int(b) for b in _BUDGETS.value)
    data = load_data()
    print(f"train {len(data[0])} patches; test sets "
          f"{ {name: len(images) for name, images in data[1].items()} }")  # fmt: skip
    main_comparison(budgets, data)


if __name__ == "__main__":
    app.run(main)
