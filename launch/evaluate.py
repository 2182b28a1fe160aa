"""Test-split bits/dim of a checkpoint (by default the newest in DIR/checkpoints/ that
reads; an unreadable newer one is skipped with a warning naming its file).

python launch/evaluate.py --workdir=/tmp/tf_pixelcnn_demo          # the run's config.json
python launch/evaluate.py --config=launch/configs/demo.py --workdir=DIR --checkpoint=DIR/checkpoints/ckpt-250
python launch/evaluate.py --workdir=DIR --model=combined.keras      # a .keras model instead

Evaluates with the run's own settings (DIR/config.json, written by the trainer: data, model,
Polyak averaging, precision) unless --config is given, on one device.
"""

import json
import os
import sys

from absl import app, flags
from ml_collections import config_flags

import console

with console.quiet_tensorflow_import():
    from tf_pixelcnn.training.run_config import CONFIG_FILE, read_run_config
    from tf_pixelcnn.training.train_and_evaluate import (
        CheckpointMismatchError,
        UnreadableCheckpointError,
        evaluate_checkpoint,
        evaluate_model,
    )

_CONFIG = config_flags.DEFINE_config_file("config", None, "A config; default DIR/config.json.")
_WORKDIR = flags.DEFINE_string("workdir", None, "The training run's directory.")
_CHECKPOINT = flags.DEFINE_string(
    "checkpoint", None, "A checkpoint prefix; default: the newest that reads."
)
_MODEL = flags.DEFINE_string(
    "model", None, "Evaluate this .keras model (e.g. combine_factors.py's) instead of a checkpoint."
)
flags.mark_flags_as_required(["workdir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    console.quiet_logs()
    if _CONFIG.value is not None:
        config = json.loads(json.dumps(_CONFIG.value.to_dict(), default=list))
    else:
        config = read_run_config(_WORKDIR.value)
        if config is None:
            path = os.path.join(_WORKDIR.value, CONFIG_FILE)
            sys.exit(f"evaluate.py: no {path}; pass --config=launch/configs/<name>.py.")
    config = {**config, "strategy": "default", "num_cpu_devices": 0}  # one device
    try:
        if _MODEL.value is not None:
            import keras

            import tf_pixelcnn  # noqa: F401 (registers the classes load_model needs)

            result = {"model": _MODEL.value}
            result.update(evaluate_model(config, keras.saving.load_model(_MODEL.value)))
            where = _MODEL.value
        else:
            result = evaluate_checkpoint(config, _WORKDIR.value, _CHECKPOINT.value)
            where = f"{result['checkpoint']} (step {result['step']})"
    except (
        FileNotFoundError,
        ValueError,
        CheckpointMismatchError,
        UnreadableCheckpointError,
    ) as error:
        sys.exit(f"evaluate.py: {type(error).__name__}: {error}")
    factors = result.get("test_bits_per_dim_by_factor") or {}
    parts = "".join(f", {name} {value:.4f}" for name, value in factors.items())
    print(f"{where}: test bits/dim {result['test_bits_per_dim']:.4f}{parts}")
    print(json.dumps(result))


if __name__ == "__main__":
    app.run(main)
