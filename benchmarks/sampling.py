"""Sampling speed: naive vs cached vs cached under XLA vs TensorFlow Probability's PixelCNN.

    python benchmarks/sampling.py [--naive_steps=12] [--tfp=true] [--output_dir=/tmp/...]

In one run on one machine, for a CIFAR-size Gated PixelCNN (32×32×3, 15 layers, 128
filters, kernel 5, 256 levels) and a small one (8 layers, 64 filters), at batch 1 and 16:
the time of one forward pass of the batch; naive sampling (one full forward pass per
sub-pixel: `--naive_steps` steps are timed and scaled to the 3,072 steps of an image,
since every step costs the same); the cached sampler; the cached sampler under XLA; and,
with `--tfp`, `tfd.PixelCNN(...).sample` (PixelCNN++, `tensorflow-probability` with
`tf-keras`, the `benchmarks` extra) at a size comparable to the small model, run in full
inside a `tf.function`. Writes `sampling.json` and `sampling.md`.
"""

import json
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

_NAIVE_STEPS = flags.DEFINE_integer("naive_steps", 12, "Naive steps timed (then scaled).")
_TFP = flags.DEFINE_bool("tfp", True, "Also time tfd.PixelCNN sampling (needs the extra).")
_BATCHES = flags.DEFINE_list("batch_sizes", ["1", "16"], "Batch sizes.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")

IMAGE_SHAPE = (32, 32, 3)
SUB_PIXELS = 32 * 32 * 3
MODELS = {"cifar (15 layers, 128 filters)": (15, 128), "small (8 layers, 64 filters)": (8, 64)}


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


def main(argv):
    del argv
    keras.utils.set_random_seed(0)
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


if __name__ == "__main__":
    app.run(main)
