"""Images/s the input pipeline delivers versus images/s the training step consumes.

    python benchmarks/input_pipeline.py [--batch_size=64] [--batches=200] [--train_steps=3]

Side by side in one run, on this machine:
  * pipelines (`tf_pixelcnn.data.make_dataset`, shuffled, quantised, batched):
      - the offline digits (in memory, 8x8x1);
      - an image folder of 32x32 RGB PNGs (real digits, resized; files read and decoded
        every epoch: the CIFAR-size decode path);
      - the same folder as one of 2 input pipelines (what each of 2 workers does: it
        reads the whole stream and keeps every 2nd record);
  * the training step of the `cifar10` config (Gated PixelCNN, 20 layers, 384 filters,
    5x5, 32x32x3, 256 levels) at `--train_batch_size`, default strategy.
Prints the ratio pipeline / step; > 1 means the pipeline is not the bottleneck.
Writes input_pipeline.json and input_pipeline.md.
"""

import os
import sys
import tempfile
import time

from absl import app, flags
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "launch"))
from configs import cifar10  # noqa: E402  (launch/configs)

from report import write_report  # noqa: E402  (benchmarks/report.py)
from tf_pixelcnn import data  # noqa: E402
from tf_pixelcnn.training import experiment  # noqa: E402
from tf_pixelcnn.training.distributed_steps import make_distributed_train_step  # noqa: E402
from tf_pixelcnn.utils.image_grid import write_png  # noqa: E402

_BATCH = flags.DEFINE_integer("batch_size", 64, "Global batch of the pipelines.")
_BATCHES = flags.DEFINE_integer("batches", 200, "Timed batches per pipeline (after 20).")
_TRAIN_BATCH = flags.DEFINE_integer("train_batch_size", 8, "Images per timed training step.")
_TRAIN_STEPS = flags.DEFINE_integer("train_steps", 3, "Timed training steps (after 1).")
_FOLDER_IMAGES = flags.DEFINE_integer("folder_images", 2000, "PNGs written for the folder.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Results.")


def pipeline_images_per_second(dataset: tf.data.Dataset, batches: int) -> float:
    iterator = iter(dataset)
    for _ in range(20):
        next(iterator)
    start = time.perf_counter()
    count = 0
    for _ in range(batches):
        count += int(next(iterator)["image"].shape[0])
    return count / (time.perf_counter() - start)


def write_folder(root: str, count: int) -> None:
    images, labels = data.load_digits("all", num_levels=256)
    big = tf.image.resize(tf.cast(images, tf.float32), (32, 32), method="bilinear")
    rgb = tf.cast(tf.repeat(tf.clip_by_value(big, 0, 255), 3, axis=-1), tf.uint8).numpy()
    for i in range(count):
        j = i % len(labels)
        write_png(os.path.join(root, "train", str(labels[j]), f"{i:05d}.png"), rgb[j])


def training_images_per_second(batch: int, steps: int) -> float:
    config = cifar10.get_config().to_dict()
    config["train"]["global_batch_size"] = batch
    strategy = tf.distribute.get_strategy()
    model = experiment.build_model(config["model"], config["data"])
    optimizer = experiment.build_optimizer(config["train"])
    optimizer.build(model.trainable_variables)
    step = make_distributed_train_step(model, optimizer, strategy, batch)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (batch, 32, 32, 3)).astype(np.int32)  # timing input only
    dataset = tf.data.Dataset.from_tensors({"image": images}).repeat()
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    float(step(iterator))
    start = time.perf_counter()
    for _ in range(steps):
        float(step(iterator))
    return batch * steps / (time.perf_counter() - start)


def main(argv):
    del argv
    batch, batches = _BATCH.value, _BATCHES.value
    rows = {}
    rows["digits 8x8x1 (in memory)"] = pipeline_images_per_second(
        data.make_dataset("digits", global_batch_size=batch, num_levels=17, num_steps=10**6),
        batches,
    )
    with tempfile.TemporaryDirectory() as root:
        write_folder(root, _FOLDER_IMAGES.value)
        folder = dict(dataset="image_folder", data_dir=root, image_size=(32, 32), num_steps=10**6)
        rows["image folder 32x32x3 PNG"] = pipeline_images_per_second(
            data.make_dataset(global_batch_size=batch, **folder), batches
        )
        context = tf.distribute.InputContext(2, 0, 2)
        rows["image folder 32x32x3 PNG, 1 of 2 pipelines"] = pipeline_images_per_second(
            data.make_dataset(global_batch_size=batch, input_context=context, **folder), batches
        )
    consumed = training_images_per_second(_TRAIN_BATCH.value, _TRAIN_STEPS.value)
    lines = [
        "| input | images/s delivered | training step consumes (cifar10 config, images/s) "
        "| pipeline / step |",
        "|---|---:|---:|---:|",
    ]
    for name, rate in rows.items():
        lines.append(f"| {name} | {rate:,.0f} | {consumed:.2f} | {rate / consumed:,.0f}x |")
    results = {
        "pipelines_images_per_second": rows,
        "train_images_per_second": consumed,
        "batch_size": batch,
        "train_batch_size": _TRAIN_BATCH.value,
    }
    write_report(_OUTPUT_DIR.value, "input_pipeline", results, "\n".join(lines))


if __name__ == "__main__":
    app.run(main)
