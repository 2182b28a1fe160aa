"""What a finished run leaves in its workdir: samples, model.keras, the SavedModel and
results.json. Every path goes through `tf.io.gfile`: any filesystem TensorFlow supports."""

import contextlib
import json
import math
import os
from typing import Any, Dict, NamedTuple, Optional

import numpy as np
import tensorflow as tf

from tf_pixelcnn.sampling.sample import sample
from tf_pixelcnn.utils.image_grid import image_grid, write_png
from tf_pixelcnn.utils.text_file import write_text

RESULTS_FILE = "results.json"
MODEL_FILE = "model.keras"
SAMPLES_FILE = "samples.png"


def read_results(workdir: str) -> Optional[Dict[str, Any]]:
    """`workdir/results.json` (written last by a finished run), or None."""
    path = os.path.join(workdir, RESULTS_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


def write_results(workdir: str, results: Dict[str, Any]) -> str:
    """Writes `workdir/results.json` (never half a file where the filesystem renames)."""
    return write_text(os.path.join(workdir, RESULTS_FILE), json.dumps(results, indent=2))


class SamplePicture(NamedTuple):
    """What a run shows of its model: `images` (int `[N, H, W, C]`), `columns` of them
    per row, and `kind`: "samples", or "reconstructions" (auto-encoders)."""

    images: np.ndarray
    columns: int
    kind: str


def sample_images(model, num_samples: int, seed, test_batch=None) -> SamplePicture:
    """One row per class (up to 10) of class-conditional models; test images over their
    reconstructions for auto-encoders (`test_batch`); samples given the test batch's
    conditions for models conditioned on a map of the data (`test_batch["condition"]`);
    else a square of samples."""
    if model.side_information_spec is not None:  # auto-encoders: reconstruct from it
        images = test_batch["image"]
        picture = np.concatenate([images.numpy(), model.reconstruct(images, seed).numpy()])
        return SamplePicture(picture, len(images), "reconstructions")
    spec = model.condition_spec
    if spec.kind == "image" and test_batch is not None and "condition" in test_batch:
        # conditioned on a map of the data (a code prior's coarser codes): the test batch's
        conditions = test_batch["condition"][:num_samples]
        picture = sample(model, condition=conditions, seed=seed).numpy()
        return SamplePicture(picture, int(math.ceil(math.sqrt(len(picture)))), "samples")
    if spec.kind == "labels":
        classes = min(spec.num_classes, 10)
        columns = max(num_samples // classes, 1)
        labels = np.repeat(np.arange(classes, dtype=np.int32), columns)
        return SamplePicture(sample(model, condition=labels, seed=seed).numpy(), columns, "samples")
    picture = sample(model, num_samples=num_samples, seed=seed).numpy()
    return SamplePicture(picture, int(math.ceil(math.sqrt(num_samples))), "samples")


def picture_grid(images, columns: int, num_levels: int) -> np.ndarray:
    """A PNG-ready `uint8` grid of integer images `[N, H, W, C]`, enlarged 4× (H ≤ 16)
    or 2×."""
    zoom = 4 if np.shape(images)[1] <= 16 else 2
    return image_grid(images, num_levels, columns=columns, zoom=zoom)


def write_samples(workdir: str, step: int, grid: np.ndarray) -> str:
    """`workdir/samples/step_<step>.png` (TensorBoard: `summaries.write_sample_images`)."""
    return write_png(os.path.join(workdir, "samples", f"step_{step:08d}.png"), grid)


def final_model(workdir: str, checkpoint: str):
    """The model of `checkpoint`, rebuilt outside any strategy from `workdir/model.json`,
    with the Polyak-averaged weights when the run keeps them (as evaluation uses them)."""
    from tf_pixelcnn.training.workdir_model import restore_from_workdir

    return restore_from_workdir(workdir, checkpoint, use_average=True)


def trained_copy(model, average=None):
    """The trained `model` as it is in memory — its Polyak averages swapped in when
    `average` (a `WeightAverage`) is given, as the run evaluates it — in a copy built from
    its config outside any distribution strategy (what a SavedModel and `.keras` file
    must hold: plain variables, not mirrored ones)."""
    import keras  # deferred, as the other writers' imports

    copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    swapped = average.swapped_in() if average is not None else contextlib.nullcontext()
    with swapped:
        values = [tf.convert_to_tensor(weight).numpy() for weight in model.weights]
    for target, value in zip(copy.weights, values):
        target.assign(value)
    return copy


def write_final_model(
    model,
    workdir: str,
    checkpoint: str,
    export_config: Dict[str, Any],
    say=print,
) -> Dict[str, str]:
    """`model.keras` and, when `export_config["enabled"]`, the next SavedModel version under
    `workdir/export/`, both of `model` (the trained model in memory, its averages swapped
    in: `trained_copy`), which holds the weights of `checkpoint`."""
    from tf_pixelcnn.serving.export_saved_model import export_saved_model

    paths = {"model": os.path.join(workdir, MODEL_FILE), "model_checkpoint": checkpoint}
    model.save(paths["model"])
    if export_config.get("enabled"):
        say("exporting the SavedModel...")
        paths["saved_model"] = export_saved_model(
            model,
            os.path.join(workdir, "export"),
            max_batch=export_config.get("max_batch") or None,
        )
        say(f"SavedModel: {paths['saved_model']}")
    return paths
