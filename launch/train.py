"""Trains a PixelCNN from a config: one device, MirroredStrategy or MultiWorkerMirroredStrategy.

python launch/train.py --config=launch/configs/demo.py --workdir=/tmp/tf_pixelcnn_demo
python launch/train.py --config=launch/configs/smoke.py --workdir=DIR \\
    --config.strategy=mirrored --config.num_cpu_devices=2 --config.train.num_steps=50
python launch/train.py --config=launch/configs/digits_outliers.py --workdir=DIR

Runs tf_pixelcnn.training.train_and_evaluate, which writes DIR/config.json (the
resolved config; a different one left by an earlier run is kept as config.<n>.json) once
DIR's checkpoint has matched the config; a second run with the same DIR resumes, and a
second trainer on a DIR that one is training in is refused. With
`config.likelihood_ratio.enabled`, runs
tf_pixelcnn.training.likelihood_ratio.train_likelihood_ratio instead: the model in DIR,
its background model (inputs perturbed at `likelihood_ratio.perturbation_rate`) in
DIR/background (its own config.json), then the `score` SavedModel in DIR/score_export.
"""

import json
import sys

from absl import app, flags
from ml_collections import config_flags

import console

with console.quiet_tensorflow_import():
    from tf_pixelcnn.data.record_source import DatasetNotPreparedError
    from tf_pixelcnn.training import likelihood_ratio
    from tf_pixelcnn.training.train_and_evaluate import (
        CheckpointMismatchError,
        LossDivergedError,
        NonFiniteLossError,
        UnreadableCheckpointError,
        WorkdirLockedError,
        train_and_evaluate,
    )

_CONFIG = config_flags.DEFINE_config_file("config", None, "A launch/configs/*.py file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Checkpoints, summaries, samples, export.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    console.quiet_logs()
    config = json.loads(json.dumps(_CONFIG.value.to_dict(), default=list))
    try:
        if (config.get("likelihood_ratio") or {}).get("enabled"):
            likelihood_ratio.train_likelihood_ratio(config, _WORKDIR.value)
        else:
            train_and_evaluate(config, _WORKDIR.value)
    except (
        NonFiniteLossError,
        LossDivergedError,
        DatasetNotPreparedError,
        CheckpointMismatchError,
        UnreadableCheckpointError,
        WorkdirLockedError,
    ) as error:
        sys.exit(f"train.py: {type(error).__name__}: {error}")  # exit code 1, no traceback


if __name__ == "__main__":
    app.run(main)
