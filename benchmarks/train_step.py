"""Training-step throughput of GatedPixelCNN and PixelCNN against the machine's matmul FLOP/s.

    python benchmarks/train_step.py [--batch_size=16] [--steps=5] [--output_dir=/tmp]

Side by side in one run: a large float32 matmul (the machine's practical peak), a plain
Keras convolution stack with the gated model's convolution shapes (what a convolution
stack reaches here), `tpc.GatedPixelCNN` and `tpc.PixelCNN` at the CIFAR size (32×32×3,
15 layers, 128 filters, kernel 5, 256 levels), with and without XLA, and the
`tpc.GatedPixelCNN` built under the float32 and the mixed_bfloat16 policies: step time,
and the bits/dim of the batch under the model minus under its float32 copy
(`tf_pixelcnn.utils.float32_copy`, same weights) after the timed steps — what mixed
precision changes in the reported likelihood (its head is float32; 0 for float32).
`--precision_only` runs the matmul and these two rows alone. FLOPs are counted
from the convolutions' kernel shapes: forward 2·kh·kw·cin·cout per output pixel, training
3× that (forward, input gradient, kernel gradient), 2× for convolutions of the image,
whose input gradient is not computed. Masked kernels count their zeros (they are
computed). Writes `train_step.json` and `train_step.md`.
"""

import time

from absl import app
from absl import flags
import keras
import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from report import write_report  # benchmarks/report.py, next to this script
from tf_pixelcnn.models import float32_copy
from tf_pixelcnn.training.train_step import make_train_step

_BATCH = flags.DEFINE_integer("batch_size", 16, "Images per training step.")
_STEPS = flags.DEFINE_integer("steps", 5, "Timed steps per model (after 2 warm-up steps).")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")
_PRECISION_ONLY = flags.DEFINE_bool(
    "precision_only", False, "Only the matmul and the float32 / mixed_bfloat16 rows."
)

IMAGE_SHAPE = (32, 32, 3)
# The head as wide as the stacks (the default before issue 20): the README's tables
# were measured with it.
HEAD = "filters"
LAYERS, FILTERS, KERNEL, LEVELS = 15, 128, 5, 256


def matmul_flops_per_second(size=4096, repeats=10) -> float:
    a = tf.random.normal([size, size])
    b = tf.random.normal([size, size])
    matmul = tf.function(lambda a, b: tf.matmul(a, b))
    matmul(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        result = matmul(a, b)
    result.numpy()
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def convolution_training_flops(model, batch: int) -> float:
    """Training FLOPs of every 4-D kernel in the model (all convolutions keep H×W)."""
    height, width, channels = IMAGE_SHAPE
    total = 0.0
    for variable in model.trainable_variables:
        if len(variable.shape) != 4:
            continue
        kh, kw, cin, cout = variable.shape
        forward = 2.0 * kh * kw * cin * cout * height * width * batch
        sees_image = cin == channels  # first-layer convolutions: no input gradient
        total += forward * (2 if sees_image else 3)
    return total


class PlainConvolutionStack(keras.Model):
    """The gated model's convolutions, same shapes and wiring, as plain Keras layers:
    "same" padding, ReLU instead of the gate, no masks, shifts or conditioning."""

    def __init__(self):
        super().__init__()
        rows = KERNEL // 2 + 1
        self.blocks = []
        for _ in range(LAYERS):
            self.blocks.append(
                [
                    keras.layers.Conv2D(2 * FILTERS, (rows, KERNEL), padding="same"),
                    keras.layers.Conv2D(2 * FILTERS, (1, rows), padding="same"),
                    keras.layers.Conv2D(2 * FILTERS, 1, use_bias=False),
                    keras.layers.Conv2D(FILTERS, 1),
                ]
            )
        self.hidden = keras.layers.Conv2D(FILTERS, 1)
        self.head = keras.layers.Conv2D(3 * LEVELS, 1)

    def call(self, x):
        v, h = x, x
        for i, (vertical, horizontal, link, output) in enumerate(self.blocks):
            v_pre = vertical(v)
            h_pre = horizontal(h) + link(v_pre)
            v = tf.nn.relu(v_pre[..., :FILTERS])
            h_new = output(tf.nn.relu(h_pre[..., :FILTERS]))
            h = h_new if i == 0 else h + h_new
        return self.head(tf.nn.relu(self.hidden(tf.nn.relu(h))))


def time_steps(step, inputs, steps: int) -> float:
    for _ in range(2):
        float(step(*inputs))
    start = time.perf_counter()
    for _ in range(steps):
        loss = step(*inputs)
    float(loss)
    return (time.perf_counter() - start) / steps


def plain_stack_step(model, optimizer):
    @tf.function
    def step(x, target):
        with tf.GradientTape() as tape:
            logits = tf.reshape(model(x), [-1, LEVELS])
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(tf.reshape(target, [-1]), logits)
            )
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    return step


def kernel_shapes(model):
    return sorted(tuple(v.shape) for v in model.trainable_variables if len(v.shape) == 4)


def plain_stack_flops(model, batch):
    height, width, _ = IMAGE_SHAPE
    total = 0.0
    for variable in model.trainable_variables:
        if len(variable.shape) == 4:
            kh, kw, cin, cout = variable.shape
            total += 2.0 * kh * kw * cin * cout * height * width * batch * (2 if cin == 3 else 3)
    return total


def model_rows(images, batch: int, steps: int):
    """The plain convolution stack, `tpc.GatedPixelCNN` and `tpc.PixelCNN` (± XLA)."""
    rows = []
    plain = PlainConvolutionStack()
    x = tf.cast(images, tf.float32)
    plain(x)
    gated = tpc.GatedPixelCNN(IMAGE_SHAPE, LAYERS, FILTERS, KERNEL, LEVELS, output_filters=HEAD)
    assert kernel_shapes(plain) == kernel_shapes(gated), (
        "the plain stack must mirror the convolutions"
    )
    seconds = time_steps(plain_stack_step(plain, keras.optimizers.Adam(1e-4)), (x, images), steps)
    flops = plain_stack_flops(plain, batch)
    rows.append(
        {
            "name": "plain Keras conv stack (same shapes)",
            "seconds_per_step": seconds,
            "images_per_second": batch / seconds,
            "gflops": flops / seconds / 1e9,
        }
    )
    print(rows[-1], flush=True)

    for name, build in [
        (
            "tpc.GatedPixelCNN",
            lambda: tpc.GatedPixelCNN(
                IMAGE_SHAPE, LAYERS, FILTERS, KERNEL, LEVELS, output_filters=HEAD
            ),
        ),
        (
            "tpc.PixelCNN",
            lambda: tpc.PixelCNN(
                IMAGE_SHAPE, LAYERS, FILTERS, KERNEL, num_levels=LEVELS, output_filters=HEAD
            ),
        ),
    ]:
        for jit in (False, True):
            model = build()
            step = make_train_step(model, keras.optimizers.Adam(1e-4), jit_compile=jit)
            seconds = time_steps(step, (images,), steps)
            flops = convolution_training_flops(model, batch)
            rows.append(
                {
                    "name": name + (" (XLA)" if jit else ""),
                    "seconds_per_step": seconds,
                    "images_per_second": batch / seconds,
                    "gflops": flops / seconds / 1e9,
                    "training_gflop_per_image": flops / batch / 1e9,
                }
            )
            print(rows[-1], flush=True)
    return rows


def precision_rows(images, steps: int):
    """The CIFAR-size GatedPixelCNN under float32 and mixed_bfloat16: step time and the
    bits/dim difference to the model's float32 copy on the same batch."""
    batch = len(images)
    rows = []
    for policy in ("float32", "mixed_bfloat16"):
        previous = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy(policy)
        try:
            keras.utils.set_random_seed(0)  # the same initial weights under both policies
            model = tpc.GatedPixelCNN(
                IMAGE_SHAPE, LAYERS, FILTERS, KERNEL, LEVELS, output_filters=HEAD
            )
        finally:
            keras.mixed_precision.set_global_policy(previous)
        step = make_train_step(model, keras.optimizers.Adam(1e-4))
        seconds = time_steps(step, (images,), steps)
        bits = tpc.bits_per_dim(model.log_prob(images), IMAGE_SHAPE).numpy()
        reference = tpc.bits_per_dim(float32_copy(model).log_prob(images), IMAGE_SHAPE).numpy()
        flops = convolution_training_flops(model, batch)
        rows.append(
            {
                "name": f"tpc.GatedPixelCNN, policy {policy}",
                "seconds_per_step": seconds,
                "images_per_second": batch / seconds,
                "gflops": flops / seconds / 1e9,
                "bits_per_dim": float(reference.mean()),
                "bits_per_dim_difference": float((bits - reference).mean()),
                "max_abs_bits_per_dim_difference": float(abs(bits - reference).max()),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main(argv):
    del argv
    batch, steps = _BATCH.value, _STEPS.value
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).integers(0, LEVELS, (batch, *IMAGE_SHAPE)).astype(np.int32)
    peak = matmul_flops_per_second()
    print(f"matmul 4096^3 float32: {peak / 1e9:.1f} GFLOP/s", flush=True)
    rows = [{"name": "tf.matmul 4096×4096 (peak)", "gflops": peak / 1e9}]
    if not _PRECISION_ONLY.value:
        rows += model_rows(images, batch, steps)
    rows += precision_rows(images, steps)

    for row in rows:
        row["fraction_of_matmul"] = row["gflops"] * 1e9 / peak
    table = [
        "| model | s/step | images/s | GFLOP/s | of matmul "
        "| bits/dim − float32 copy's (mean, max) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        timing = (
            f"{row['seconds_per_step']:.3f} | {row['images_per_second']:.2f}"
            if "seconds_per_step" in row
            else "— | —"
        )
        difference = "—"
        if "bits_per_dim_difference" in row:
            mean, most = row["bits_per_dim_difference"], row["max_abs_bits_per_dim_difference"]
            difference = f"{mean:+.1e}, {most:.1e}"
        table.append(
            f"| {row['name']} | {timing} | {row['gflops']:.1f} | "
            f"{100 * row['fraction_of_matmul']:.0f}% | {difference} |"
        )
    markdown = "\n".join(table)
    write_report(
        _OUTPUT_DIR.value,
        "train_step",
        {"batch_size": batch, "steps": steps, "rows": rows},
        markdown,
    )


if __name__ == "__main__":
    app.run(main)
