"""The offline quick start: train a class-conditional Gated PixelCNN on the 8×8 digits."""

import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

from tf_pixelcnn import data
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.sampling import sample
from tf_pixelcnn.training.evaluate import evaluate_bits_per_dim
from tf_pixelcnn.training.train_step import make_train_step
from tf_pixelcnn.training.workdir_model import CHECKPOINT_DIRECTORY
from tf_pixelcnn.training.workdir_model import write_model_config
from tf_pixelcnn.utils.image_grid import image_grid, write_png
from tf_pixelcnn.utils.progress_line import ProgressLine

DIGITS_LEVELS = 17  # the digits' own 0..16 values


def run_demo(
    workdir: str,
    num_steps: int = 800,
    batch_size: int = 64,
    learning_rate: float = 2e-3,
    num_layers: int = 8,
    filters: int = 64,
    kernel_size: int = 3,
    seed: int = 0,
    log_every: int = 100,
) -> dict:
    """Trains, evaluates and samples a class-conditional `GatedPixelCNN` on the digits.

    Writes `samples.png` (one row per class, 10 samples each), `data.png` (test images
    for comparison), `model.keras`, `model.json` with `checkpoints/` (see `workdir_model`)
    and `results.json` to `workdir`.

    Returns:
        `{"test_bits_per_dim_before": ..., "test_bits_per_dim_after": ..., ...}`.
    """
    keras.utils.set_random_seed(seed)
    tf.io.gfile.makedirs(workdir)
    train_images, train_labels = data.load_digits("train", num_levels=DIGITS_LEVELS)
    test_images, test_labels = data.load_digits("test", num_levels=DIGITS_LEVELS)
    model = GatedPixelCNN(
        image_shape=(8, 8, 1),
        num_layers=num_layers,
        filters=filters,
        kernel_size=kernel_size,
        num_levels=DIGITS_LEVELS,
        num_classes=10,
    )
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, num_steps, alpha=0.05)
    optimizer = keras.optimizers.Adam(schedule)
    step = make_train_step(model, optimizer)
    before = evaluate_bits_per_dim(model, test_images, test_labels)
    print(f"test bits/dim before training: {before:.3f}", flush=True)

    rng = np.random.default_rng(seed)
    progress = ProgressLine(num_steps, items_per_step=batch_size)
    start = time.monotonic()
    for i in range(1, num_steps + 1):
        index = rng.integers(0, len(train_images), batch_size)
        loss = step(train_images[index], train_labels[index])
        if i % log_every == 0 or i == num_steps:
            progress.update(i, **{"bits/dim": float(loss)})
    train_seconds = time.monotonic() - start

    after = evaluate_bits_per_dim(model, test_images, test_labels)
    print(f"test bits/dim after {num_steps} steps: {after:.3f}", flush=True)
    labels = np.repeat(np.arange(10, dtype=np.int32), 10)
    samples = sample(model, condition=labels, seed=(seed, 1), temperature=1.0)
    paths = {
        "samples": write_png(
            os.path.join(workdir, "samples.png"),
            image_grid(samples.numpy(), DIGITS_LEVELS, columns=10, zoom=4),
        ),
        "data": write_png(
            os.path.join(workdir, "data.png"),
            image_grid(test_images[:100], DIGITS_LEVELS, columns=10, zoom=4),
        ),
    }
    model_path = os.path.join(workdir, "model.keras")
    model.save(model_path)
    write_model_config(model, workdir)
    checkpoints = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=model, optimizer=optimizer),
        os.path.join(workdir, CHECKPOINT_DIRECTORY),
        max_to_keep=1,
    )
    checkpoints.save(checkpoint_number=num_steps)
    results = {
        "test_bits_per_dim_before": before,
        "test_bits_per_dim_after": after,
        "num_steps": num_steps,
        "train_seconds": train_seconds,
        "model": model_path,
        **paths,
    }
    with tf.io.gfile.GFile(os.path.join(workdir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"samples: {paths['samples']}  model: {model_path}", flush=True)
    return results
