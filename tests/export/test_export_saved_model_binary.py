"""export/export_saved_model.py from a training workdir, as a user runs it."""

import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest
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


def start(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen(
        [sys.executable, "export/export_saved_model.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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
    # Issue 19 §1.1's probe: a second export starts 1.5 s after another one to the same
    # base; both chose version 2 while neither had published, and one replaced the other.
    # Meanwhile an explicit existing version without --overwrite is refused.
    checkpoint = tf.train.latest_checkpoint(str(workdir / "checkpoints"))
    racing = [start(f"--checkpoint={checkpoint}", f"--export_base={base}")]
    time.sleep(1.5)
    racing.append(start(f"--workdir={workdir}", f"--export_base={base}"))
    refused = start(f"--workdir={workdir}", f"--export_base={base}", "--version=1")
    outputs = [process.communicate(timeout=600) for process in racing]
    for process, (stdout, stderr) in zip(racing, outputs):
        assert process.returncode == 0, stderr[-2000:]
    printed = sorted(line for stdout, _ in outputs for line in stdout.splitlines())
    assert printed == [f"exported {base / '2'}", f"exported {base / '3'}"]
    _, stderr = refused.communicate(timeout=600)
    assert refused.returncode == 1 and "Traceback" not in stderr, stderr[-2000:]
    assert f"Version 1 already exists in {base}" in stderr and "overwrite" in stderr
    assert sorted(os.listdir(base)) == ["1", "2", "3"]
    images = np.zeros((2, 8, 8, 1), np.uint8)
    labels = np.array([3, 7], np.int32)
    keras_model = tf.keras.models.load_model(str(workdir / "model.keras"))
    expected = keras_model.log_prob(images.astype(np.int32), condition=labels).numpy()
    for version in ("1", "2", "3"):
        served = tf.saved_model.load(str(base / version)).signatures["log_prob"]
        np.testing.assert_allclose(
            served(images=images, labels=labels)["log_prob"], expected, rtol=1e-5
        )
        metadata = json.loads((base / version / "assets.extra" / "tf_pixelcnn.json").read_text())
        assert metadata["max_batch"] == (8 if version == "1" else 64)  # bounded by default
    served = tf.saved_model.load(str(base / "2")).signatures["log_prob"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="at most max_batch=64"):
        served(images=np.zeros((65, 8, 8, 1), np.uint8), labels=np.zeros(65, np.int32))


def test_missing_workdir_checkpoint_is_named(tmp_path):
    result = run(f"--workdir={tmp_path}", f"--export_base={tmp_path / 'models'}")
    assert result.returncode != 0
    assert "No checkpoint in" in result.stderr
    assert not (tmp_path / "models").exists()
