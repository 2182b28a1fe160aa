"""Exports a trained model as a versioned SavedModel for TensorFlow Serving.

    python export/export_saved_model.py --model=/tmp/tf_pixelcnn_demo/model.keras \
        --export_base=/tmp/models/digits [--version=N] [--max_batch=64] [--overwrite]

Writes `export_base/<version>/` atomically (next version by default) and prints its path.
"""

from absl import app
from absl import flags
import keras

import tf_pixelcnn as tpc

_MODEL = flags.DEFINE_string("model", None, "A .keras file of a tf_pixelcnn model.", required=True)
_EXPORT_BASE = flags.DEFINE_string(
    "export_base", None, "TF Serving's model base path.", required=True
)
_VERSION = flags.DEFINE_integer("version", None, "Version number (default: the next one).")
_MAX_BATCH = flags.DEFINE_integer("max_batch", None, "Largest batch a request may carry.")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace an existing version.")


def main(argv):
    del argv
    model = keras.saving.load_model(_MODEL.value)
    path = tpc.serving.export_saved_model(
        model,
        _EXPORT_BASE.value,
        version=_VERSION.value,
        max_batch=_MAX_BATCH.value,
        overwrite=_OVERWRITE.value,
    )
    print(f"exported {path}")


if __name__ == "__main__":
    app.run(main)
