"""Trains a PixelCNN from a config: one device, MirroredStrategy or MultiWorkerMirroredStrategy.

python launch/train.py --config=launch/configs/demo.py --workdir=/tmp/tf_pixelcnn_demo
python launch/train.py --config=launch/configs/smoke.py --workdir=DIR \\
    --config.strategy=mirrored --config.num_cpu_devices=2 --config.train.num_steps=50
python launch/train.py --config=launch/configs/digits_outliers.py --workdir=DIR

Writes DIR/config.json (the resolved config; a different one left by an earlier run is
kept as config.<n>.json), then runs tf_pixelcnn.training.train_and_evaluate; a second
run with the same DIR resumes. With `config.likelihood_ratio.enabled`, runs
tf_pixelcnn.training.likelihood_ratio.train_likelihood_ratio instead: the model in DIR,
its background model (inputs perturbed at `likelihood_ratio.perturbation_rate`) in
DIR/background (its own config.json), then the `score` SavedModel in DIR/score_export.
"""

import json
import os
import sys

from absl import app, flags
from ml_collections import config_flags

import console

with console.quiet_tensorflow_import():
    import tensorflow as tf

    from tf_pixelcnn.data.record_source import DatasetNotPreparedError
    from tf_pixelcnn.training import likelihood_ratio
    from tf_pixelcnn.training.strategies import chief_by_tf_config
    from tf_pixelcnn.training.train_and_evaluate import (
        CheckpointMismatchError,
        NonFiniteLossError,
        train_and_evaluate,
    )
    from tf_pixelcnn.utils.text_file import write_text

_CONFIG = config_flags.DEFINE_config_file("config", None, "A launch/configs/*.py file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Checkpoints, summaries, samples, export.")
flags.mark_flags_as_required(["config", "workdir"])

CONFIG_FILE = "config.json"


def write_config(config: dict, workdir: str) -> str:
    """Writes `workdir/config.json`; an earlier, different one is renamed config.<n>.json.
    Any filesystem TensorFlow supports (`gs://`, `hdfs://`, `ram://`, local paths)."""
    tf.io.gfile.makedirs(workdir)
    path = os.path.join(workdir, CONFIG_FILE)
    text = json.dumps(config, indent=2, default=list)
    if tf.io.gfile.exists(path):
        with tf.io.gfile.GFile(path) as f:
            if f.read() == text:
                return path
        number = 1
        while tf.io.gfile.exists(os.path.join(workdir, f"config.{number}.json")):
            number += 1
        tf.io.gfile.copy(path, os.path.join(workdir, f"config.{number}.json"))
        print(f"The config differs from the previous run's, kept as config.{number}.json")
    return write_text(path, text)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    console.quiet_logs()
    config = json.loads(json.dumps(_CONFIG.value.to_dict(), default=list))
    ratio = bool((config.get("likelihood_ratio") or {}).get("enabled"))
    if chief_by_tf_config():
        write_config(config, _WORKDIR.value)
        if ratio:
            rate = likelihood_ratio.perturbation_rate_of(config)
            write_config(
                likelihood_ratio.background_config(config, rate),
                os.path.join(_WORKDIR.value, likelihood_ratio.BACKGROUND_DIRECTORY),
            )
    try:
        if ratio:
            likelihood_ratio.train_likelihood_ratio(config, _WORKDIR.value)
        else:
            train_and_evaluate(config, _WORKDIR.value)
    except (NonFiniteLossError, DatasetNotPreparedError, CheckpointMismatchError) as error:
        sys.exit(f"train.py: {type(error).__name__}: {error}")  # exit code 1, no traceback


if __name__ == "__main__":
    app.run(main)
