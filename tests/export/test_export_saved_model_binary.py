"""export/export_saved_model.py from a training workdir, as a user runs it."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import tensorflow as tf

from configs import smoke
from tf_pixelcnn.training.train_and_evaluate import train_and_evaluate

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "export/export_saved_model.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_workdir_to_saved_model_versions(tmp_path):
    workdir = tmp_path / "smoke"
    config = smoke.get_config()
    config.train.num_steps, config.model.num_layers, config.train.num_samples = 3, 1, 0
    train_and_evaluate(config.to_dict(), str(workdir))
    base = tmp_path / "models"
    first = run(f"--workdir={workdir}", f"--export_base={base}", "--max_batch=8")
    assert first.returncode == 0, first.stderr[-2000:]
    assert f"exported {base / '1'}" in first.stdout
    checkpoint = tf.train.latest_checkpoint(str(workdir / "checkpoints"))
    second = run(f"--checkpoint={checkpoint}", f"--export_base={base}")
    assert second.returncode == 0, second.stderr[-2000:]
    assert sorted(os.listdir(base)) == ["1", "2"]
    images = np.zeros((2, 8, 8, 1), np.uint8)
    labels = np.array([3, 7], np.int32)
    keras_model = tf.keras.models.load_model(str(workdir / "model.keras"))
    expected = keras_model.log_prob(images.astype(np.int32), condition=labels).numpy()
    for version in ("1", "2"):
        served = tf.saved_model.load(str(base / version)).signatures["log_prob"]
        np.testing.assert_allclose(
            served(images=images, labels=labels)["log_prob"], expected, rtol=1e-5
        )


def test_missing_workdir_checkpoint_is_named(tmp_path):
    result = run(f"--workdir={tmp_path}", f"--export_base={tmp_path / 'models'}")
    assert result.returncode != 0
    assert "No checkpoint in" in result.stderr
    assert not (tmp_path / "models").exists()
