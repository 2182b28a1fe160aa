"""Trains a PixelCNN from a config: one device, MirroredStrategy or MultiWorkerMirroredStrategy.

python launch/train.py --config=launch/configs/demo.py --workdir=/tmp/tf_pixelcnn_demo
python launch/train.py --config=launch/configs/smoke.py --workdir=DIR \\
    --config.strategy=mirrored --config.num_cpu_devices=2 --config.train.num_steps=50

Writes DIR/config.json (the resolved config), then runs
tf_pixelcnn.training.train_and_evaluate; a second run with the same DIR resumes.
"""

import json
import os
import sys

from absl import app, flags
from ml_collections import config_flags

from tf_pixelcnn.data.record_source import DatasetNotPreparedError
from tf_pixelcnn.training.strategies import chief_by_tf_config
from tf_pixelcnn.training.train_and_evaluate import NonFiniteLossError, train_and_evaluate

_CONFIG = config_flags.DEFINE_config_file("config", None, "A launch/configs/*.py file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Checkpoints, summaries, samples, export.")
flags.mark_flags_as_required(["config", "workdir"])

CONFIG_FILE = "config.json"


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    config = _CONFIG.value.to_dict()
    if chief_by_tf_config():
        os.makedirs(_WORKDIR.value, exist_ok=True)
        with open(os.path.join(_WORKDIR.value, CONFIG_FILE), "w") as f:
            json.dump(config, f, indent=2, default=list)
    try:
        train_and_evaluate(config, _WORKDIR.value)
    except (NonFiniteLossError, DatasetNotPreparedError) as error:
        sys.exit(f"train.py: {type(error).__name__}: {error}")  # exit code 1, no traceback


if __name__ == "__main__":
    app.run(main)
