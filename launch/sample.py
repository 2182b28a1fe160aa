"""Samples a saved model (`.keras`) into a PNG grid, with a progress line.

    python launch/sample.py --model=/tmp/tf_pixelcnn_demo/model.keras \
        --output=/tmp/samples.png --samples_per_row=10 --rows=10 --seed=1

Class-conditional models get one row per class (the first `--rows` classes);
unconditional models fill the grid. The same seed gives the same images, whatever
`--batch_size`.
"""

from absl import app
from absl import flags
import keras
import numpy as np

import tf_pixelcnn  # noqa: F401  (registers the Keras objects)
from tf_pixelcnn.sampling.sample_in_batches import sample_in_batches
from tf_pixelcnn.utils.image_grid import image_grid
from tf_pixelcnn.utils.image_grid import write_png

_MODEL = flags.DEFINE_string("model", None, "Path of a .keras file.", required=True)
_OUTPUT = flags.DEFINE_string("output", "samples.png", "PNG to write.")
_ROWS = flags.DEFINE_integer("rows", 4, "Rows of the grid (classes, if class-conditional).")
_PER_ROW = flags.DEFINE_integer("samples_per_row", 8, "Images per row.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed; split into one per image.")
_TEMPERATURE = flags.DEFINE_float("temperature", 1.0, "Softmax temperature (> 0).")
_METHOD = flags.DEFINE_enum("method", "auto", ["auto", "cached", "naive"], "Sampler.")
_BATCH = flags.DEFINE_integer("batch_size", 16, "Images per sampler call.")
_ZOOM = flags.DEFINE_integer("zoom", 1, "Magnification of the PNG.")
_XLA = flags.DEFINE_bool("jit_compile", False, "Compile the sampler with XLA.")


def main(argv):
    del argv
    model = keras.saving.load_model(_MODEL.value)
    if getattr(model, "condition_dim", None) is not None:
        raise app.UsageError(
            f"{_MODEL.value} is conditioned on vectors (condition_dim={model.condition_dim}); "
            "this binary samples unconditional and class-conditional models."
        )
    rows, per_row = _ROWS.value, _PER_ROW.value
    condition = None
    if getattr(model, "num_classes", None) is not None:
        rows = min(rows, model.num_classes)
        condition = np.repeat(np.arange(rows, dtype=np.int32), per_row)
    images = sample_in_batches(
        model,
        rows * per_row,
        condition=condition,
        seed=(_SEED.value, 0),
        batch_size=_BATCH.value,
        temperature=_TEMPERATURE.value,
        method=_METHOD.value,
        jit_compile=_XLA.value,
    )
    grid = image_grid(images, model.num_levels, columns=per_row, zoom=_ZOOM.value)
    print(f"wrote {write_png(_OUTPUT.value, grid)}")


if __name__ == "__main__":
    app.run(main)
