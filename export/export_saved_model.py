"""Exports a trained model as a versioned SavedModel for TensorFlow Serving.

    python export/export_saved_model.py --workdir=/tmp/tf_pixelcnn_demo \
        --export_base=/tmp/models/digits [--version=N] [--max_batch=64] [--overwrite]
    python export/export_saved_model.py --checkpoint=DIR/checkpoints/ckpt-800 \
        --model_config=DIR/model.json --export_base=...
    python export/export_saved_model.py --model=model.keras --export_base=...

The model comes from a workdir (`model.json` and its newest checkpoint), a named
checkpoint, or a `.keras` file. Writes `export_base/<version>/` atomically (the next
free version by default) and prints its path. A published version is never replaced
without --overwrite, not even by another export running at the same time: the second
gets the next version, or, with the same --version, fails naming it. Requests carry at
most --max_batch images (default 64; 0 for no limit).
"""

import os
import sys

from absl import app
from absl import flags

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "launch"))
import console  # noqa: E402  (launch/console.py: the binaries' quiet console)

with console.quiet_tensorflow_import():
    import keras

    import tf_pixelcnn as tpc
    from tf_pixelcnn.serving.export_saved_model import DEFAULT_MAX_BATCH
    from tf_pixelcnn.training import workdir_model

_WORKDIR = flags.DEFINE_string("workdir", None, "A training workdir (model.json, checkpoints/).")
_CHECKPOINT = flags.DEFINE_string(
    "checkpoint", None, "A checkpoint prefix (with --model_config, or inside --workdir)."
)
_MODEL_CONFIG = flags.DEFINE_string("model_config", None, "model.json of --checkpoint.")
_MODEL = flags.DEFINE_string("model", None, "A .keras file of a tf_pixelcnn model.")
_EXPORT_BASE = flags.DEFINE_string(
    "export_base", None, "TF Serving's model base path.", required=True
)
_VERSION = flags.DEFINE_integer("version", None, "Version number (default: the next one).")
_MAX_BATCH = flags.DEFINE_integer(
    "max_batch",
    DEFAULT_MAX_BATCH,
    "Largest batch a request may carry (larger: InvalidArgument); 0 for no limit, which "
    "lets one request exhaust the server's memory.",
    lower_bound=0,
)
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace an existing version.")


def load_model():
    if _MODEL.value is not None:
        return keras.saving.load_model(_MODEL.value)
    if _WORKDIR.value is not None:
        return workdir_model.restore_from_workdir(_WORKDIR.value, _CHECKPOINT.value)
    if _CHECKPOINT.value is not None:
        config = _MODEL_CONFIG.value or os.path.join(
            os.path.dirname(os.path.dirname(_CHECKPOINT.value)), workdir_model.MODEL_CONFIG_FILE
        )
        return workdir_model.restore_model(config, _CHECKPOINT.value)
    raise app.UsageError("Give --workdir, --checkpoint or --model.")


def main(argv):
    del argv
    console.quiet_logs()
    try:
        model = load_model()
    except FileNotFoundError as error:
        raise app.UsageError(str(error)) from error
    try:
        path = tpc.serving.export_saved_model(
            model,
            _EXPORT_BASE.value,
            version=_VERSION.value,
            max_batch=_MAX_BATCH.value or None,
            overwrite=_OVERWRITE.value,
        )
    except (FileExistsError, ValueError) as error:
        sys.exit(f"export_saved_model.py: {error}")
    print(f"exported {path}")


if __name__ == "__main__":
    app.run(main)
