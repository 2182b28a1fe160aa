"""What a finished run leaves in its workdir: samples, model.keras, the SavedModel and
results.json. Every path goes through `tf.io.gfile`: any filesystem TensorFlow supports."""

import json
import math
import os
from typing import Any, Dict, Optional

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


def sample_picture(model, num_samples: int, seed, num_levels: int, test_batch=None) -> np.ndarray:
    """A PNG-ready grid: one row per class (up to 10) of class-conditional models; test
    images over their reconstructions for auto-encoders (`test_batch`); else a square."""
    if hasattr(model, "reconstruct"):
        images = test_batch["image"]
        picture = np.concatenate([images.numpy(), model.reconstruct(images, seed).numpy()])
        columns = len(images)
    elif getattr(model, "num_classes", None):
        classes = min(model.num_classes, 10)
        columns = max(num_samples // classes, 1)
        labels = np.repeat(np.arange(classes, dtype=np.int32), columns)
        picture = sample(model, condition=labels, seed=seed).numpy()
    else:
        picture = sample(model, num_samples=num_samples, seed=seed).numpy()
        columns = int(math.ceil(math.sqrt(num_samples)))
    zoom = 4 if picture.shape[1] <= 16 else 2
    return image_grid(picture, num_levels, columns=columns, zoom=zoom)


def write_samples(workdir: str, step: int, grid: np.ndarray, writer) -> str:
    """`workdir/samples/step_<step>.png` and a TensorBoard image summary."""
    path = write_png(os.path.join(workdir, "samples", f"step_{step:08d}.png"), grid)
    with writer.as_default(step=step):
        tf.summary.image("samples", grid[None], max_outputs=1)
    return path


def final_model(workdir: str, checkpoint: str):
    """The model of `checkpoint`, rebuilt outside any strategy from `workdir/model.json`,
    with the Polyak-averaged weights when the run keeps them (as evaluation uses them)."""
    from tf_pixelcnn.training.workdir_model import restore_from_workdir

    return restore_from_workdir(workdir, checkpoint, use_average=True)


def write_final_model(
    workdir: str,
    checkpoint: str,
    export_config: Dict[str, Any],
    say=print,
) -> Dict[str, str]:
    """`model.keras` and, when `export_config["enabled"]`, the next SavedModel version under
    `workdir/export/`, both from `checkpoint`."""
    from tf_pixelcnn.serving.export_saved_model import export_saved_model

    model = final_model(workdir, checkpoint)
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
