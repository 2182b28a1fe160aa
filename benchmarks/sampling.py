"""Sampling speed: naive vs cached vs cached under XLA vs TensorFlow Probability's PixelCNN;
Pyramid PixelCNN vs a single Gated PixelCNN.

    python benchmarks/sampling.py [--sections=default,softmax,pyramid] [--naive_steps=12]
        [--tfp=true] [--default_batch_sizes=1,4,16] [--default_timed_calls=3]
        [--pyramid_resolutions=64,128] [--pyramid_batch_sizes=1,8]
        [--pyramid_single_models=15x128,20x128] [--pyramid_quarters=raster,independent]
        [--pyramid_per_level=true] [--pyramid_timed_calls=1] [--pyramid_train_steps=500]
        [--intra_op_threads=0]
        [--output_dir=/tmp/...]

Section `default` (issue 18 item 4: XLA is the fast path): for the same two models at
`--default_batch_sizes`, the time per batch of `tpc.sample`'s default path (the cached
sampler under XLA) and of the non-XLA reference (`jit_compile=False`, the graph that
compression and the SavedModel reproduce), in units of one forward pass of the whole
network on the same batch (measured in the same run, both under XLA and in the graph
executor; the unit is the faster of the two), and the compile time of each path apart
(its first call, tracing and XLA compilation included, less its steady time per call).
Goal: the default path ≤ 3 forward passes per batch at batch 1 and ≤ 2 at batch ≥ 4.
Writes `sampling_default.json` and `sampling_default.md`.

Section `softmax`: in one run on one machine, for a CIFAR-size Gated PixelCNN (32×32×3, 15
layers, 128 filters, kernel 5, 256 levels) and a small one (8 layers, 64 filters), at batch 1,
4 and 16: the time of one forward pass of the batch; naive sampling (one full forward pass per
sub-pixel: `--naive_steps` steps are timed and scaled to the 3,072 steps of an image,
since every step costs the same); the cached sampler in TensorFlow's default graph executor;
the cached sampler as `tpc.sample(jit_compile=False)` runs it (on a CPU-only machine: in
the single-threaded executor, `sampling/sampler_function.py`); the cached sampler under
XLA (`tpc.sample`'s default); and,
with `--tfp`, `tfd.PixelCNN(...).sample` (PixelCNN++, `tensorflow-probability` with
`tf-keras`, the `benchmarks` extra) at a size comparable to the small model, run in full
inside a `tf.function`. Writes `sampling.json` and `sampling.md`.

Section `pyramid` (issues 6 and 13; Kolesnikov & Lampert 2017 find the pyramid far faster
per pixel): at each of `--pyramid_resolutions` (H×H×3, 256 levels, 10 logistics) and batch,
the cached sampler of a `PyramidPixelCNN` (8×8 → H×H: an unconditional 15-layer,
128-filter base at 8×8 and conditional levels of 5 layers × 64 filters) for each of
`--pyramid_quarters` (`"raster"`: each level in raster order over H×W; `"independent"`: a
level's three new quarters drawn in one batched pass over H/2×W/2) against the cached
sampler of single logistic-mixture Gated PixelCNNs at H×H (`--pyramid_single_models`:
15×128 is the pyramid's base model at full resolution, 20×128 about the pyramid's
parameter count). Each is timed in full, once, after one untimed call of the same shape
(tracing, graph optimisation), or `--pyramid_timed_calls` times keeping the shortest (on a
shared machine, other jobs make single calls vary by 2× or more); with
`--pyramid_per_level`, each level of each pyramid is also timed alone
(`PyramidPixelCNN.draw_level` given a zero level below, the copy of the known quarter
included; same warm-up and calls). The weights are untrained: the cost of sampling does
not depend on them. The defaults run in about fifteen minutes on a 2-core CPU. Writes
`sampling_pyramid.json` and `sampling_pyramid.md`: every model's time, the speed-ups of the
single models over each pyramid, and the per-level table. With `--pyramid_train_steps`
(default 500, the config's own), also trains in-process each pyramid mode with the
settings of `launch/configs/digits_pyramid.py` (8×8 digits, 17 levels, 2×2 → 4×4 → 8×8,
4 layers × 32 filters per level, 5 logistics) and a single logistic-mixture Gated
PixelCNN on the same data (8 layers × 48 filters, kernel 3, 5 logistics: about the
pyramid's parameter count; same training settings), that many steps each, and reports
their test bits/dim in `pyramid_digits_bits.json` / `.md` (the price in likelihood of
sampling the quarters in parallel).
"""

import json
import math
import os
import sys
import tempfile
import time

from absl import app
from absl import flags
import keras
import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from report import write_report  # benchmarks/report.py, next to this script
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.naive import naive_sample
from tf_pixelcnn.sampling.sampler_function import SamplerFunction
from tf_pixelcnn.sampling.sampler_function import gpu_visible
from tf_pixelcnn.sampling.sampler_function import single_threaded_is_faster

_SECTIONS = flags.DEFINE_list(
    "sections", ["default", "softmax", "pyramid"], "default, softmax and/or pyramid."
)
_DEFAULT_BATCHES = flags.DEFINE_list(
    "default_batch_sizes", ["1", "4", "16"], "Default-path section: batch sizes."
)
_DEFAULT_TIMED_CALLS = flags.DEFINE_integer(
    "default_timed_calls", 3, "Default-path section: timed calls per path after the first "
    "(compiling) call; the shortest is reported."
)
_NAIVE_STEPS = flags.DEFINE_integer("naive_steps", 12, "Naive steps timed (then scaled).")
_TFP = flags.DEFINE_bool("tfp", True, "Also time tfd.PixelCNN sampling (needs the extra).")
_BATCHES = flags.DEFINE_list("batch_sizes", ["1", "4", "16"], "Batch sizes.")
_TIMED_CALLS = flags.DEFINE_integer(
    "timed_calls", 2, "Softmax section: timed calls per sampler after the warm-up; the "
    "shortest is reported (other jobs on a shared machine make single calls vary)."
)
_PYRAMID_RESOLUTIONS = flags.DEFINE_list(
    "pyramid_resolutions", ["64", "128"], "Pyramid section: image sizes H (H×H×3)."
)
_PYRAMID_BATCHES = flags.DEFINE_list("pyramid_batch_sizes", ["1", "8"], "Pyramid: batch sizes.")
_PYRAMID_SINGLE = flags.DEFINE_list(
    "pyramid_single_models", ["15x128", "20x128"], "Pyramid: single models, LAYERSxFILTERS."
)
_PYRAMID_QUARTERS = flags.DEFINE_list(
    "pyramid_quarters", ["raster", "independent"], "Pyramid: PyramidPixelCNN quarters modes."
)
_PYRAMID_TIMED_CALLS = flags.DEFINE_integer(
    "pyramid_timed_calls",
    1,
    "Pyramid: timed calls per model after the warm-up; the shortest is reported (1: one "
    "call, as before; more removes interference from other jobs on a shared machine).",
)
_INTRA_OP_THREADS = flags.DEFINE_integer(
    "intra_op_threads",
    0,
    "tf.config.threading.set_intra_op_parallelism_threads for the whole run; 0: "
    "TensorFlow's default. 1 is faster for small-batch sampling on a busy 2-core machine "
    "(a step's tiny ops are not split across threads).",
)
_PYRAMID_PER_LEVEL = flags.DEFINE_bool("pyramid_per_level", True, "Also time each level alone.")
_PYRAMID_TRAIN_STEPS = flags.DEFINE_integer(
    "pyramid_train_steps",
    500,
    "Pyramid: train each pyramid mode (and a single mixture Gated PixelCNN) this many steps "
    "on the offline digits (launch/configs/digits_pyramid.py) and report test bits/dim; 0: "
    "skip.",
)
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")
_HEAD = flags.DEFINE_string(
    "output_filters", "filters",
    'Head width of every model: "filters" (as wide as the stacks), "default" or an int.',
)  # fmt: skip

IMAGE_SHAPE = (32, 32, 3)

SUB_PIXELS = 32 * 32 * 3
MODELS = {"cifar (15 layers, 128 filters)": (15, 128), "small (8 layers, 64 filters)": (8, 64)}
PYRAMID = dict(base_num_layers=15, base_filters=128, num_layers=5, filters=64)
LOWEST_RESOLUTION = 8
MIXTURE = dict(kernel_size=5, num_levels=256, num_mixture_components=10)


def head():
    """`--output_filters` as the models take it: "filters" (as wide as the stacks, the
    default before issue 20, with which the README's tables were measured), None for
    "default" (today's default width), or an int."""
    value = _HEAD.value
    if value == "default":
        return None
    return value if value == "filters" else int(value)


def seconds(fn, repeats=1):
    fn()  # compile / warm up
    start = time.perf_counter()
    for _ in range(repeats):
        result = fn()
    np.asarray(result)
    return (time.perf_counter() - start) / repeats


def best_seconds(fn, timed_calls: int) -> float:
    """The shortest of `timed_calls` timed calls after one untimed call (1: `seconds`)."""
    fn()  # compile / warm up
    best = math.inf
    for _ in range(timed_calls):
        start = time.perf_counter()
        np.asarray(fn())
        best = min(best, time.perf_counter() - start)
    return best


def time_tfp(batch: int) -> float:
    import tensorflow_probability as tfp  # benchmark-only extra

    distribution = tfp.distributions.PixelCNN(
        image_shape=IMAGE_SHAPE,
        num_resnet=2,
        num_hierarchies=2,
        num_filters=64,
        num_logistic_mix=5,
    )  # 2 hierarchies × 2 gated resnet blocks, up and down passes: 8 blocks, 64 filters
    sample = tf.function(lambda: distribution.sample(batch, seed=12))
    sample.get_concrete_function()  # trace only: one full run is long enough to time
    start = time.perf_counter()
    np.asarray(sample())
    return time.perf_counter() - start


def softmax_section():
    rows = []
    for name, (layers, filters) in MODELS.items():
        model = tpc.GatedPixelCNN(IMAGE_SHAPE, layers, filters, 5, 256, output_filters=head())
        for batch in map(int, _BATCHES.value):
            images = np.zeros((batch, *IMAGE_SHAPE), np.int32)
            forward = tf.function(lambda x: model(x))
            forward_seconds = seconds(lambda: forward(images), repeats=3)
            uniform = random_stream.uniform_noise(
                random_stream.per_image_seeds((0, 1), batch), IMAGE_SHAPE
            )
            steps = _NAIVE_STEPS.value
            naive = tf.function(lambda u: naive_sample(model, u, max_steps=steps))
            naive_seconds = seconds(lambda: naive(uniform)) * SUB_PIXELS / steps
            calls = _TIMED_CALLS.value
            default_executor = SamplerFunction(
                lambda u: cached_sample(model, u), single_threaded=False
            )
            default_seconds = best_seconds(lambda: default_executor(uniform), calls)
            cached_seconds = best_seconds(
                lambda: tpc.sample(
                    model, num_samples=batch, seed=(0, 1), method="cached", jit_compile=False
                ),
                calls,
            )
            xla_seconds = best_seconds(
                lambda: tpc.sample(
                    model, num_samples=batch, seed=(0, 1), method="cached", jit_compile=True
                ),
                calls,
            )
            row = {
                "model": name,
                "batch": batch,
                "forward_s": forward_seconds,
                "naive_s": naive_seconds,
                "cached_default_executor_s": default_seconds,
                "cached_s": cached_seconds,
                "cached_single_threaded_executor": not gpu_visible()
                and single_threaded_is_faster(batch, filters),
                "cached_xla_s": xla_seconds,
                "speedup_cached_vs_naive": naive_seconds / cached_seconds,
                "speedup_xla_vs_naive": naive_seconds / xla_seconds,
                "cached_over_forward": cached_seconds / forward_seconds,
                "default_executor_over_forward": default_seconds / forward_seconds,
                "xla_over_forward": xla_seconds / forward_seconds,
            }
            if _TFP.value and name.startswith("small"):
                try:
                    row["tfp_s"] = time_tfp(batch)
                except ImportError as error:
                    print(f"skipping tfd.PixelCNN: {error} (pip install -e '.[benchmarks]')")
            rows.append(row)
            print(json.dumps(row), flush=True)

    table = [
        "| model | batch | forward (s) | naive (s/img) | cached, default executor (s/img) "
        "| cached (s/img) | cached XLA (s/img) | tfd.PixelCNN (s/img) | cached vs naive "
        "| XLA vs naive | default executor / forward | cached / forward | XLA / forward |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b = r["batch"]
        tfp_cell = f"{r['tfp_s'] / b:.2f}" if "tfp_s" in r else "—"
        table.append(
            f"| {r['model']} | {b} | {r['forward_s']:.3f} | {r['naive_s'] / b:.1f} | "
            f"{r['cached_default_executor_s'] / b:.3f} | "
            f"{r['cached_s'] / b:.3f} | {r['cached_xla_s'] / b:.3f} | {tfp_cell} | "
            f"{r['speedup_cached_vs_naive']:.0f}× | {r['speedup_xla_vs_naive']:.0f}× | "
            f"{r['default_executor_over_forward']:.1f} | "
            f"{r['cached_over_forward']:.1f} | {r['xla_over_forward']:.1f} |"
        )
    markdown = "\n".join(table)
    write_report(_OUTPUT_DIR.value, "sampling", rows, markdown)


def first_and_best_seconds(fn, timed_calls: int):
    """(seconds of the first call: tracing and compilation included, the shortest of
    `timed_calls` calls after it)."""
    start = time.perf_counter()
    np.asarray(fn())
    first = time.perf_counter() - start
    best = math.inf
    for _ in range(timed_calls):
        start = time.perf_counter()
        np.asarray(fn())
        best = min(best, time.perf_counter() - start)
    return first, best


def default_section():
    """`tpc.sample`'s default path (XLA) and the non-XLA reference, per forward pass."""
    rows = []
    calls = _DEFAULT_TIMED_CALLS.value
    for name, (layers, filters) in MODELS.items():
        model = tpc.GatedPixelCNN(IMAGE_SHAPE, layers, filters, 5, 256, output_filters=head())
        for batch in map(int, _DEFAULT_BATCHES.value):
            load = os.getloadavg()[0]
            images = np.zeros((batch, *IMAGE_SHAPE), np.int32)
            forward_xla = tf.function(lambda x: model(x), jit_compile=True)
            forward_graph = tf.function(lambda x: model(x))
            forward_xla_s = best_seconds(lambda: forward_xla(images), 5)
            forward_graph_s = best_seconds(lambda: forward_graph(images), 5)
            unit = min(forward_xla_s, forward_graph_s)
            first_default, default_s = first_and_best_seconds(
                lambda: tpc.sample(model, num_samples=batch, seed=(0, 1)), calls
            )
            first_reference, reference_s = first_and_best_seconds(
                lambda: tpc.sample(model, num_samples=batch, seed=(0, 1), jit_compile=False),
                calls,
            )
            row = {
                "model": name,
                "batch": batch,
                "forward_xla_s": forward_xla_s,
                "forward_graph_s": forward_graph_s,
                "default_s": default_s,
                "default_compile_s": max(first_default - default_s, 0.0),
                "reference_s": reference_s,
                "reference_compile_s": max(first_reference - reference_s, 0.0),
                "reference_single_threaded_executor": not gpu_visible()
                and single_threaded_is_faster(batch, filters),
                "default_over_forward": default_s / unit,
                "default_over_forward_xla": default_s / forward_xla_s,
                "reference_over_forward": reference_s / unit,
                "goal_forward_passes": 3 if batch == 1 else 2,
                "load_average_1min": load,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    table = [
        "| model | batch | forward, XLA (s) | forward, graph (s) | default path, XLA "
        "(s/batch) | reference, no XLA (s/batch) | default / forward | default / XLA "
        "forward | reference / forward | goal | default compile (s) | reference trace (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        met = "met" if r["default_over_forward"] <= r["goal_forward_passes"] else "not met"
        table.append(
            f"| {r['model']} | {r['batch']} | {r['forward_xla_s']:.4f} | "
            f"{r['forward_graph_s']:.4f} | {r['default_s']:.3f} | {r['reference_s']:.3f} | "
            f"{r['default_over_forward']:.1f} | {r['default_over_forward_xla']:.1f} | "
            f"{r['reference_over_forward']:.1f} | ≤ {r['goal_forward_passes']}: {met} | "
            f"{r['default_compile_s']:.1f} | {r['reference_compile_s']:.1f} |"
        )
    loads = [r["load_average_1min"] for r in rows]
    table += [
        "",
        f"32×32×3, 256 levels, kernel 5, untrained weights; {os.cpu_count()} CPUs (1-minute "
        f"load average {min(loads):.1f}–{max(loads):.1f}), TensorFlow {tf.__version__}. "
        "\"forward\" is the faster of one forward pass of the batch under XLA and in the "
        f"graph executor (the shortest of 5 calls); each path the shortest of {calls} calls "
        "after its first; compile: its first call less that (tracing and, for the default "
        "path, XLA compilation; once per model, options and batch size).",
    ]
    write_report(_OUTPUT_DIR.value, "sampling_default", rows, "\n".join(table))


def time_levels(model, batch: int):
    """Seconds of each pyramid level's cached sampler alone (a zero image below it)."""
    times = []
    for index, size in enumerate(model._level_stream_sizes()):
        uniform = tf.random.uniform([batch, size], seed=index)
        lower = None
        if index:
            lower = tf.zeros([batch, *model.level_shapes[index - 1]], tf.int32)
        draw = tf.function(lambda u, c, index=index: model.draw_level(index, c, u, "cached"))
        times.append(best_seconds(lambda: draw(uniform, lower), _PYRAMID_TIMED_CALLS.value))
    return times


def pyramid_name(quarters: str, size: int) -> str:
    return f"Pyramid PixelCNN {quarters} ({LOWEST_RESOLUTION}×{LOWEST_RESOLUTION} → {size}×{size})"


def pyramid_section():
    rows, levels = [], []
    for size in map(int, _PYRAMID_RESOLUTIONS.value):
        shape = (size, size, 3)
        resolutions = int(math.log2(size // LOWEST_RESOLUTION)) + 1
        models = {
            pyramid_name(quarters, size): tpc.PyramidPixelCNN(
                shape, num_resolutions=resolutions, quarters=quarters, **PYRAMID, **MIXTURE,
                output_filters=head(),
            )
            for quarters in _PYRAMID_QUARTERS.value
        }
        for spec in _PYRAMID_SINGLE.value:
            layers, filters = map(int, spec.split("x"))
            models[f"Gated PixelCNN {layers}×{filters}"] = tpc.GatedPixelCNN(
                shape, num_layers=layers, filters=filters, **MIXTURE, output_filters=head()
            )
        for batch in map(int, _PYRAMID_BATCHES.value):
            for name, model in models.items():
                load = os.getloadavg()[0]
                total = best_seconds(
                    lambda: tpc.sample(  # the non-XLA graph, as measured before XLA's default
                        model, num_samples=batch, seed=(1, 2), method="cached", jit_compile=False
                    ),
                    _PYRAMID_TIMED_CALLS.value,
                )
                row = {
                    "resolution": size,
                    "batch": batch,
                    "model": name,
                    "quarters": getattr(model, "quarters", None),  # None: a single model
                    "params": model.count_params(),
                    "seconds": total,
                    "seconds_per_image": total / batch,
                    "seconds_per_pixel": total / (size * size * batch),
                    "load_average_1min": load,
                }
                if isinstance(model, tpc.PyramidPixelCNN) and _PYRAMID_PER_LEVEL.value:
                    times = time_levels(model, batch)
                    row["level_seconds"] = times
                    for index, (level, (h, w, _), t) in enumerate(
                        zip(model.levels, model.level_shapes, times)
                    ):
                        quarters = index and model.quarters == "independent"
                        levels.append(
                            {
                                "resolution": size,
                                "batch": batch,
                                "quarters": model.quarters,
                                "level": f"{h}×{w}",
                                "layers_filters": f"{level.num_layers}×{level.filters}",
                                "params": level.count_params(),
                                # The cached sampler's pixel steps and batch for the level.
                                "steps": level.image_shape[0] * level.image_shape[1],
                                "sampler_batch": 3 * batch if quarters else batch,
                                "seconds": t,
                                "share": t / sum(times),
                                "seconds_per_pixel": t / (batch * h * w),
                            }
                        )
                rows.append(row)
                print(json.dumps(row), flush=True)

    table = [
        "| H×W | batch | model | params | s / batch | s / image | ms / pixel |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        table.append(
            f"| {r['resolution']}×{r['resolution']} | {r['batch']} | {r['model']} | "
            f"{r['params'] / 1e6:.2f} M | {r['seconds']:.2f} | {r['seconds_per_image']:.2f} | "
            f"{1e3 * r['seconds_per_pixel']:.3f} |"
        )
    # Speed-ups per pixel: each single model's time over each pyramid's, same size and batch.
    pyramids = list(_PYRAMID_QUARTERS.value)
    singles = [r["model"] for r in rows if r["quarters"] is None]
    singles = list(dict.fromkeys(singles))
    header = ["H×W", "batch"] + [f"{q} pyramid (ms/pixel)" for q in pyramids]
    header += [f"{n} (ms/pixel)" for n in singles]
    header += [f"{n} / {q} pyramid" for q in pyramids for n in singles]
    if "raster" in pyramids and "independent" in pyramids:
        header.append("raster / independent")
    table += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for size, batch in dict.fromkeys((r["resolution"], r["batch"]) for r in rows):
        group = {r["quarters"] or r["model"]: r["seconds"] for r in rows
                 if (r["resolution"], r["batch"]) == (size, batch)}  # fmt: skip
        cells = [f"{size}×{size}", str(batch)]
        cells += [f"{1e3 * group[k] / (size * size * batch):.3f}" for k in pyramids + singles]
        cells += [f"{group[n] / group[q]:.1f}×" for q in pyramids for n in singles]
        if "raster" in pyramids and "independent" in pyramids:
            cells.append(f"{group['raster'] / group['independent']:.1f}×")
        table.append("| " + " | ".join(cells) + " |")
    if levels:
        table += [
            "",
            "| H×W | batch | quarters | pyramid level | layers × filters | params | sampler "
            "steps × batch | s (alone) | share | ms / pixel |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in levels:
            table.append(
                f"| {r['resolution']}×{r['resolution']} | {r['batch']} | {r['quarters']} | "
                f"{r['level']} | {r['layers_filters']} | {r['params'] / 1e6:.2f} M | "
                f"{r['steps']} × {r['sampler_batch']} | {r['seconds']:.2f} | "
                f"{100 * r['share']:.0f} % | {1e3 * r['seconds_per_pixel']:.3f} |"
            )
    loads = [r["load_average_1min"] for r in rows]
    table += [
        "",
        f"Cached samplers, untrained weights, {os.cpu_count()} CPUs (1-minute load average "
        f"{min(loads):.1f}–{max(loads):.1f}), TensorFlow {tf.__version__}; the shortest of "
        f"{_PYRAMID_TIMED_CALLS.value} timed call(s) after one untimed call; intra-op "
        f"threads: {_INTRA_OP_THREADS.value or 'TensorFlow default'}.",
    ]
    results = {"models": rows, "levels": levels}
    write_report(_OUTPUT_DIR.value, "sampling_pyramid", results, "\n".join(table))


def train_digits(quarters, steps: int):
    """Test bits/dim (and per resolution) after `steps` steps of digits_pyramid.py's
    settings; `quarters=None`: a single mixture Gated PixelCNN with the same training."""
    from tf_pixelcnn.training.train_and_evaluate import train_and_evaluate

    launch = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "launch")
    if launch not in sys.path:
        sys.path.insert(0, launch)  # `configs` imports `configs.base`
    from configs import digits_pyramid

    config = digits_pyramid.get_config()
    if quarters is None:
        config.model = config.model.__class__(
            {"name": "gated_pixel_cnn", "num_layers": 8, "filters": 48, "kernel_size": 3,
             "num_mixture_components": 5}
        )  # fmt: skip
    else:
        config.model.quarters = quarters
    config.train.num_steps = steps
    config.train.eval_every = steps
    config.train.checkpoint_every = steps
    config.train.log_every = max(steps // 3, 1)
    config.export.enabled = False
    with tempfile.TemporaryDirectory() as workdir:
        start = time.perf_counter()
        results = train_and_evaluate(config.to_dict(), workdir)
        seconds_taken = time.perf_counter() - start
    from tf_pixelcnn.training.experiment import build_model

    params = build_model(config.to_dict()["model"], config.to_dict()["data"]).count_params()
    return {
        "model": "Gated PixelCNN 8×48 (mixture)" if quarters is None else f"Pyramid {quarters}",
        "steps": steps,
        "params": params,
        "test_bits_per_dim": results["test_bits_per_dim"],
        "by_resolution": results.get("test_bits_per_dim_by_factor"),
        "train_seconds": seconds_taken,
    }


def pyramid_training_section():
    steps = _PYRAMID_TRAIN_STEPS.value
    rows = [train_digits(q, steps) for q in _PYRAMID_QUARTERS.value]
    rows.append(train_digits(None, steps))
    for row in rows:
        print(json.dumps(row), flush=True)
    table = [
        f"| digits 8×8, {steps} steps | params | test bits/dim | by resolution |",
        "|---|---|---|---|",
    ]
    for r in rows:
        by = r["by_resolution"] or {}
        cells = ", ".join(f"{k}: {v:.3f}" for k, v in by.items()) or "—"
        table.append(
            f"| {r['model']} | {r['params'] / 1e3:.0f} k | {r['test_bits_per_dim']:.3f} | {cells} |"
        )
    write_report(_OUTPUT_DIR.value, "pyramid_digits_bits", rows, "\n".join(table))


def main(argv):
    del argv
    unknown = set(_SECTIONS.value) - {"default", "softmax", "pyramid"}
    if unknown:
        raise app.UsageError(
            f"--sections: default, softmax and/or pyramid. Received: {sorted(unknown)}."
        )
    if _INTRA_OP_THREADS.value:
        tf.config.threading.set_intra_op_parallelism_threads(_INTRA_OP_THREADS.value)
    keras.utils.set_random_seed(0)
    if "default" in _SECTIONS.value:
        default_section()
    if "softmax" in _SECTIONS.value:
        softmax_section()
    if "pyramid" in _SECTIONS.value:
        pyramid_section()
        if _PYRAMID_TRAIN_STEPS.value:
            pyramid_training_section()


if __name__ == "__main__":
    app.run(main)
