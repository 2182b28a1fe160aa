"""Samples a `.keras` model or an exported SavedModel into a PNG grid, with progress.

    python launch/sample.py --model=/tmp/tf_pixelcnn_demo/model.keras --output=grid.png \
        --rows=10 --samples_per_row=10 --seed=1
    python launch/sample.py --workdir=/tmp/tf_pixelcnn_demo --output=grid.png   # newest checkpoint
    python launch/sample.py --saved_model=/tmp/models/digits/1 --output=grid.png
    python launch/sample.py --model=vector_model.keras --interpolate=endpoints.npy
    python launch/sample.py --model=/tmp/pyramid/model.keras --mixture_mode=map

Class-conditional models get one row per class; unconditional ones fill the grid;
`--interpolate` (a `.npy` of two condition vectors, `[2, D]`) gives rows that move from
the first to the second vector with one seed per row (paper Fig. 5). The same seed gives
the same images, whatever `--batch_size`, in-process or from the SavedModel.
"""

from absl import app
from absl import flags
import keras
import numpy as np

import tf_pixelcnn  # noqa: F401  (registers the Keras objects)
from tf_pixelcnn.sampling.sample_grid import sample_grid
from tf_pixelcnn.sampling.sample_in_batches import model_draw
from tf_pixelcnn.serving.saved_model_sampler import saved_model_sampler
from tf_pixelcnn.training import workdir_model
from tf_pixelcnn.utils.image_grid import image_grid
from tf_pixelcnn.utils.image_grid import write_png

_MODEL = flags.DEFINE_string("model", None, "A .keras file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "A training workdir (model.json, checkpoints/).")
_CHECKPOINT = flags.DEFINE_string(
    "checkpoint", None, "With --workdir: this checkpoint, not the newest."
)
_SAVED_MODEL = flags.DEFINE_string("saved_model", None, "An exported version directory.")
_OUTPUT = flags.DEFINE_string("output", "samples.png", "PNG to write.")
_ROWS = flags.DEFINE_integer("rows", 4, "Rows of the grid (classes, if class-conditional).")
_PER_ROW = flags.DEFINE_integer("samples_per_row", 8, "Images per row.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed; split into one per image (or per row).")
_INTERPOLATE = flags.DEFINE_string("interpolate", None, ".npy with two condition vectors [2, D].")
_TEMPERATURE = flags.DEFINE_float("temperature", 1.0, "Softmax temperature (> 0; .keras only).")
_METHOD = flags.DEFINE_enum("method", "auto", ["auto", "cached", "naive"], "Sampler (.keras only).")
_REDUCTION = flags.DEFINE_float(
    "log_scale_reduction", 0.0, "Logistic mixtures: subtracted from the log-scales (.keras only)."
)
_MIXTURE_MODE = flags.DEFINE_enum(
    "mixture_mode", "sample", ["sample", "map"], "Logistic mixtures: 'map' sampling (.keras only)."
)
_BATCH = flags.DEFINE_integer("batch_size", 16, "Images per sampler call.")
_ZOOM = flags.DEFINE_integer("zoom", 1, "Magnification of the PNG.")
_XLA = flags.DEFINE_bool("jit_compile", False, "Compile the sampler with XLA (.keras only).")


def main(argv):
    del argv
    sources = [_MODEL.value, _WORKDIR.value, _SAVED_MODEL.value]
    if sum(source is not None for source in sources) != 1:
        raise app.UsageError("Give exactly one of --model (.keras), --workdir and --saved_model.")
    if _SAVED_MODEL.value is None:
        model = (
            keras.saving.load_model(_MODEL.value)
            if _MODEL.value is not None
            else workdir_model.restore_from_workdir(_WORKDIR.value, _CHECKPOINT.value)
        )
        draw = model_draw(
            model, _TEMPERATURE.value, _METHOD.value, _XLA.value, _REDUCTION.value,
            _MIXTURE_MODE.value,
        )  # fmt: skip
        info = {k: getattr(model, k, None) for k in ("num_classes", "condition_dim", "num_levels")}
    else:
        draw, info = saved_model_sampler(_SAVED_MODEL.value)
    try:
        images = sample_grid(
            draw,
            _ROWS.value,
            _PER_ROW.value,
            num_classes=info["num_classes"],
            condition_dim=info["condition_dim"],
            endpoints=np.load(_INTERPOLATE.value) if _INTERPOLATE.value else None,
            seed=_SEED.value,
            batch_size=_BATCH.value,
        )
    except ValueError as error:
        raise app.UsageError(str(error)) from error
    grid = image_grid(images, info["num_levels"], columns=_PER_ROW.value, zoom=_ZOOM.value)
    print(f"wrote {write_png(_OUTPUT.value, grid)}")


if __name__ == "__main__":
    app.run(main)
