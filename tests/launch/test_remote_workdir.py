"""A workdir and an export base on a non-local TensorFlow filesystem (`ram://`), through
the binaries: train, killed, resumed, evaluated, exported; the exports load as TF
Serving loads them."""

import json
import uuid

import numpy as np
import pytest
import tensorflow as tf

from tests.launch import training_runs as runs
from tests.launch.binaries_in_process import run_binary

CONFIG = """
from configs import smoke


def get_config():
    config = smoke.get_config()
    config.train.num_steps = 12
    config.train.checkpoint_every = 4
    config.train.log_every = 4
    config.train.polyak_decay = 0.9
    config.train.num_samples = 4
    config.export.enabled = True
    return config
"""


def _read_json(path):
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


def _final_weights(workdir):
    """`runs.final_weights` without `tf.train.load_checkpoint`, which takes a `ram://`
    checkpoint prefix for a directory (its prefix listing matches `ckpt-12.index`)."""
    reader = tf.compat.v1.train.NewCheckpointReader(
        tf.train.latest_checkpoint(f"{workdir}/checkpoints")
    )
    return {
        key: reader.get_tensor(key)
        for key in reader.get_variable_to_shape_map()
        if key.startswith(("model/", "optimizer/", "average/")) and "OBJECT_GRAPH" not in key
    }


def _session_log_prob(saved_model, images, labels):
    """log_prob through the TF1 session loader (TF Serving's path), by tensor names."""
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], saved_model)
        signature = meta.signature_def["log_prob"]
        feed = {signature.inputs["images"].name: images, signature.inputs["labels"].name: labels}
        return session.run(signature.outputs["log_prob"].name, feed_dict=feed)


def test_train_kill_resume_evaluate_export_on_ram_filesystem(tmp_path, capsys, monkeypatch):
    # A config file, not --config.x=y overrides: ml_collections defines those flags only
    # when absl parses the command line of a program's start.
    (tmp_path / "ram_smoke.py").write_text(CONFIG)
    SMOKE = (f"--config={tmp_path / 'ram_smoke.py'}",)
    reference = tmp_path / "reference"
    run_binary("launch/train.py", f"--workdir={reference}", *SMOKE)
    workdir = f"ram://tf_pixelcnn_test_{uuid.uuid4().hex}/run"

    runs.kill_at_progress_line(monkeypatch, 12)  # after checkpoint 8, before 12
    with pytest.raises(runs.SimulatedKill):
        run_binary("launch/train.py", f"--workdir={workdir}", *SMOKE)
    monkeypatch.undo()
    assert tf.train.latest_checkpoint(f"{workdir}/checkpoints").endswith("ckpt-8")
    assert not tf.io.gfile.exists(f"{workdir}/results.json")
    capsys.readouterr()

    run_binary("launch/train.py", f"--workdir={workdir}", *SMOKE)
    printed = capsys.readouterr().out
    assert "Resuming at step 8 of 12" in printed
    results = _read_json(f"{workdir}/results.json")
    assert results["resumed_from_step"] == 8 and results["saved_model"] == f"{workdir}/export/1"
    for name in ("config.json", "model.json", "model.keras", "samples.png"):
        assert tf.io.gfile.stat(f"{workdir}/{name}").length > 0, name
    assert tf.io.gfile.glob(f"{workdir}/train/events.out.tfevents.*")
    assert runs.max_difference(runs.final_weights(reference), _final_weights(workdir)) < 1e-5

    run_binary("launch/evaluate.py", f"--workdir={workdir}")
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluated["step"] == 12
    assert evaluated["test_bits_per_dim"] == pytest.approx(results["test_bits_per_dim"], abs=1e-6)

    # A rerun of the finished run writes nothing: no export/2.
    run_binary("launch/train.py", f"--workdir={workdir}", *SMOKE)
    assert [n.rstrip("/") for n in tf.io.gfile.listdir(f"{workdir}/export")] == ["1"]

    export_base = workdir.rsplit("/", 1)[0] + "/models/digits"
    export_binary = "export/export_saved_model.py"
    run_binary(export_binary, f"--workdir={workdir}", f"--export_base={export_base}")
    assert "exported" in capsys.readouterr().out
    assert [n.rstrip("/") for n in tf.io.gfile.listdir(export_base)] == ["1"]  # no staging left
    images = np.random.default_rng(0).integers(0, 17, [3, 8, 8, 1]).astype(np.uint8)
    labels = np.array([0, 4, 9], np.int32)
    from_training = _session_log_prob(f"{workdir}/export/1", images, labels)
    from_binary = _session_log_prob(f"{export_base}/1", images, labels)
    np.testing.assert_allclose(from_training, from_binary, rtol=1e-6)
    assert np.all(np.isfinite(from_binary)) and np.all(from_binary < 0)
