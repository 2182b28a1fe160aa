"""Sampling speed: naive vs cached vs cached under XLA vs TensorFlow Probability's PixelCNN;
Pyramid PixelCNN vs a single Gated PixelCNN.

    python benchmarks/sampling.py [--sections=softmax,pyramid] [--naive_steps=12] [--tfp=true]
        [--pyramid_resolutions=64,128] [--pyramid_batch_sizes=1,8]
        [--pyramid_single_models=15x128,20x128] [--pyramid_per_level=true]
        [--output_dir=/tmp/...]

Section `softmax`: in one run on one machine, for a CIFAR-size Gated PixelCNN (32×32×3, 15
layers, 128 filters, kernel 5, 256 levels) and a small one (8 layers, 64 filters), at batch 1
and 16: the time of one forward pass of the batch; naive sampling (one full forward pass per
sub-pixel: `--naive_steps` steps are timed and scaled to the 3,072 steps of an image,
since every step costs the same); the cached sampler; the cached sampler under XLA; and,
with `--tfp`, `tfd.PixelCNN(...).sample` (PixelCNN++, `tensorflow-probability` with
`tf-keras`, the `benchmarks` extra) at a size comparable to the small model, run in full
inside a `tf.function`. Writes `sampling.json` and `sampling.md`.

Section `pyramid` (issue 6; Kolesnikov & Lampert 2017 find the pyramid far faster per
pixel): at each of `--pyramid_resolutions` (H×H×3, 256 levels, 10 logistics) and batch, the
cached sampler of a `PyramidPixelCNN` (8×8 → H×H: an unconditional 15-layer, 128-filter
base at 8×8 and conditional levels of 5 layers × 64 filters) against the cached sampler of
single logistic-mixture Gated PixelCNNs at H×H (`--pyramid_single_models`: 15×128 is the
pyramid's base model at full resolution, 20×128 about the pyramid's parameter count). Each
is timed in full, once, after one untimed call of the same shape (tracing, graph
optimisation); with `--pyramid_per_level`, each level of the pyramid is also timed alone
(`draw_mixture_images`, same warm-up, without the copy of the known quarter). The weights
are untrained: the cost of sampling does not depend on them. The defaults run in about ten
minutes on a 2-core CPU. Writes `sampling_pyramid.json` and `sampling_pyramid.md`.
"""

import json
import math
import os
import time

from absl import app
from absl import flags
import keras
import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from report import write_report  # benchmarks/report.py, next to this script
from tf_pixelcnn.sampling import random_stream
from tf_pixelcnn.sampling.naive import naive_sample
from tf_pixelcnn.sampling.sample import draw_mixture_images

_SECTIONS = flags.DEFINE_list("sections", ["softmax", "pyramid"], "softmax and/or pyramid.")
_NAIVE_STEPS = flags.DEFINE_integer("naive_steps", 12, "Naive steps timed (then scaled).")
_TFP = flags.DEFINE_bool("tfp", True, "Also time tfd.PixelCNN sampling (needs the extra).")
_BATCHES = flags.DEFINE_list("batch_sizes", ["1", "16"], "Batch sizes.")
_PYRAMID_RESOLUTIONS = flags.DEFINE_list(
    "pyramid_resolutions", ["64", "128"], "Pyramid section: image sizes H (H×H×3)."
)
_PYRAMID_BATCHES = flags.DEFINE_list("pyramid_batch_sizes", ["1", "8"], "Pyramid: batch sizes.")
_PYRAMID_SINGLE = flags.DEFINE_list(
    "pyramid_single_models", ["15x128", "20x128"], "Pyramid: single models, LAYERSxFILTERS."
)
_PYRAMID_PER_LEVEL = flags.DEFINE_bool("pyramid_per_level", True, "Also time each level alone.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")

IMAGE_SHAPE = (32, 32, 3)
SUB_PIXELS = 32 * 32 * 3
MODELS = {"cifar (15 layers, 128 filters)": (15, 128), "small (8 layers, 64 filters)": (8, 64)}
PYRAMID = dict(base_num_layers=15, base_filters=128, num_layers=5, filters=64)
LOWEST_RESOLUTION = 8
MIXTURE = dict(kernel_size=5, num_levels=256, num_mixture_components=10)


def seconds(fn, repeats=1):
    fn()  # compile / warm up
    start = time.perf_counter()
    for _ in range(repeats):
        result = fn()
    np.asarray(result)
    return (time.perf_counter() - start) / repeats


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
        model = tpc.GatedPixelCNN(IMAGE_SHAPE, layers, filters, 5, 256)
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
            cached_seconds = seconds(
                lambda: tpc.sample(model, num_samples=batch, seed=(0, 1), method="cached")
            )
            xla_seconds = seconds(
                lambda: tpc.sample(
                    model, num_samples=batch, seed=(0, 1), method="cached", jit_compile=True
                )
            )
            row = {
                "model": name,
                "batch": batch,
                "forward_s": forward_seconds,
                "naive_s": naive_seconds,
                "cached_s": cached_seconds,
                "cached_xla_s": xla_seconds,
                "speedup_cached_vs_naive": naive_seconds / cached_seconds,
                "speedup_xla_vs_naive": naive_seconds / xla_seconds,
                "cached_over_forward": cached_seconds / forward_seconds,
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
        "| model | batch | forward (s) | naive (s/img) | cached (s/img) | cached XLA (s/img) "
        "| tfd.PixelCNN (s/img) | cached vs naive | XLA vs naive | cached / forward | XLA / forward |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b = r["batch"]
        tfp_cell = f"{r['tfp_s'] / b:.2f}" if "tfp_s" in r else "—"
        table.append(
            f"| {r['model']} | {b} | {r['forward_s']:.3f} | {r['naive_s'] / b:.1f} | "
            f"{r['cached_s'] / b:.3f} | {r['cached_xla_s'] / b:.3f} | {tfp_cell} | "
            f"{r['speedup_cached_vs_naive']:.0f}× | {r['speedup_xla_vs_naive']:.0f}× | "
            f"{r['cached_over_forward']:.1f} | {r['xla_over_forward']:.1f} |"
        )
    markdown = "\n".join(table)
    write_report(_OUTPUT_DIR.value, "sampling", rows, markdown)


def time_levels(model, batch: int):
    """Seconds of each pyramid level's cached sampler alone (a zero image below it)."""
    times = []
    for index, (level, shape) in enumerate(zip(model.levels, model.level_shapes)):
        height, width, channels = shape
        uniform = tf.random.uniform([batch, height, width, 1 + channels], seed=index)
        lower = None
        if index:
            lower = tf.zeros([batch, *model.level_shapes[index - 1]], tf.int32)
        draw = tf.function(lambda u, c, level=level: draw_mixture_images(level, u, c, "cached"))
        times.append(seconds(lambda: draw(uniform, lower)))
    return times


def pyramid_section():
    rows, levels = [], []
    for size in map(int, _PYRAMID_RESOLUTIONS.value):
        shape = (size, size, 3)
        resolutions = int(math.log2(size // LOWEST_RESOLUTION)) + 1
        models = {
            f"Pyramid PixelCNN ({LOWEST_RESOLUTION}×{LOWEST_RESOLUTION} → {size}×{size})": (
                tpc.PyramidPixelCNN(shape, num_resolutions=resolutions, **PYRAMID, **MIXTURE)
            )
        }
        for spec in _PYRAMID_SINGLE.value:
            layers, filters = map(int, spec.split("x"))
            models[f"Gated PixelCNN {layers}×{filters}"] = tpc.GatedPixelCNN(
                shape, num_layers=layers, filters=filters, **MIXTURE
            )
        for batch in map(int, _PYRAMID_BATCHES.value):
            pyramid_seconds = None
            for name, model in models.items():
                load = os.getloadavg()[0]
                total = seconds(
                    lambda: tpc.sample(model, num_samples=batch, seed=(1, 2), method="cached")
                )
                pyramid_seconds = pyramid_seconds or total  # the pyramid comes first
                row = {
                    "resolution": size,
                    "batch": batch,
                    "model": name,
                    "params": model.count_params(),
                    "seconds": total,
                    "seconds_per_image": total / batch,
                    "seconds_per_pixel": total / (size * size * batch),
                    "over_pyramid": total / pyramid_seconds,
                    "load_average_1min": load,
                }
                if isinstance(model, tpc.PyramidPixelCNN) and _PYRAMID_PER_LEVEL.value:
                    times = time_levels(model, batch)
                    row["level_seconds"] = times
                    for level, (h, w, _), t in zip(model.levels, model.level_shapes, times):
                        levels.append(
                            {
                                "resolution": size,
                                "batch": batch,
                                "level": f"{h}×{w}",
                                "layers_filters": f"{level.num_layers}×{level.filters}",
                                "params": level.count_params(),
                                "seconds": t,
                                "share": t / sum(times),
                                "seconds_per_pixel": t / (batch * h * w),
                            }
                        )
                rows.append(row)
                print(json.dumps(row), flush=True)

    table = [
        "| H×W | batch | model | params | s / batch | s / image | ms / pixel | time / pyramid's |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        table.append(
            f"| {r['resolution']}×{r['resolution']} | {r['batch']} | {r['model']} | "
            f"{r['params'] / 1e6:.2f} M | {r['seconds']:.2f} | {r['seconds_per_image']:.2f} | "
            f"{1e3 * r['seconds_per_pixel']:.3f} | {r['over_pyramid']:.1f} |"
        )
    if levels:
        table += [
            "",
            "| H×W | batch | pyramid level | layers × filters | params | s (alone) | share "
            "| ms / pixel |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in levels:
            table.append(
                f"| {r['resolution']}×{r['resolution']} | {r['batch']} | {r['level']} | "
                f"{r['layers_filters']} | {r['params'] / 1e6:.2f} M | {r['seconds']:.2f} | "
                f"{100 * r['share']:.0f} % | {1e3 * r['seconds_per_pixel']:.3f} |"
            )
    loads = [r["load_average_1min"] for r in rows]
    table += [
        "",
        f"Cached samplers, untrained weights, {os.cpu_count()} CPUs (1-minute load average "
        f"{min(loads):.1f}–{max(loads):.1f}), TensorFlow {tf.__version__}.",
    ]
    results = {"models": rows, "levels": levels}
    write_report(_OUTPUT_DIR.value, "sampling_pyramid", results, "\n".join(table))


def main(argv):
    del argv
    unknown = set(_SECTIONS.value) - {"softmax", "pyramid"}
    if unknown:
        raise app.UsageError(f"--sections: softmax and/or pyramid. Received: {sorted(unknown)}.")
    keras.utils.set_random_seed(0)
    if "softmax" in _SECTIONS.value:
        softmax_section()
    if "pyramid" in _SECTIONS.value:
        pyramid_section()


if __name__ == "__main__":
    app.run(main)
