"""train_likelihood_ratio: both runs, the score export, idempotent reruns, and a
background run that resumes exactly (perturbed inputs keyed by seed and position)."""

import json
import shutil

import numpy as np
import pytest
import tensorflow as tf

from configs import smoke  # launch/configs (pytest.ini puts launch/ on the path)
from tf_pixelcnn.training import experiment
from tf_pixelcnn.training import likelihood_ratio as lr
from tf_pixelcnn.training.train_and_evaluate import train_and_evaluate
from tf_pixelcnn.training.workdir_model import restore_from_workdir


@pytest.fixture(autouse=True)
def perturbation_rate_is_a_data_key(monkeypatch):
    """Until experiment.DATA_KEYS lists "perturbation_rate" (the trainer's data keys)."""
    if "perturbation_rate" not in experiment.DATA_KEYS:
        monkeypatch.setattr(experiment, "DATA_KEYS", (*experiment.DATA_KEYS, "perturbation_rate"))


def _config(num_steps=8, **train):
    config = smoke.get_config().to_dict()
    config["train"].update(
        num_steps=num_steps, checkpoint_every=4, log_every=4, num_samples=0, **train
    )
    config["likelihood_ratio"] = {"enabled": True, "perturbation_rate": 0.3}
    return json.loads(json.dumps(config, default=list))


def test_background_config_perturbs_only_the_background_data():
    config = _config()
    background = lr.background_config(config, 0.3)
    assert background["data"]["perturbation_rate"] == 0.3
    assert "likelihood_ratio" not in background and not background["export"]["enabled"]
    assert not config["data"].get("perturbation_rate")  # the model's config is untouched
    assert {k: v for k, v in background["model"].items()} == config["model"]
    with pytest.raises(ValueError, match="perturbation_rate=0.0"):
        lr.perturbation_rate_of({**config, "likelihood_ratio": {"perturbation_rate": 0.0}})
    with pytest.raises(ValueError, match="data.perturbation_rate=0.1"):
        lr.perturbation_rate_of({**config, "data": {**config["data"], "perturbation_rate": 0.1}})
    assert lr.perturbation_rate_of({**config, "likelihood_ratio": {}}) == 0.2
    with pytest.raises(ValueError, match="Received: strategy='multi_worker'"):
        lr.train_likelihood_ratio({**config, "strategy": "multi_worker"}, "/nonexistent")


def test_trains_both_exports_the_score_and_a_rerun_writes_nothing(tmp_path):
    workdir = str(tmp_path / "run")
    results = lr.train_likelihood_ratio(_config(), workdir, say=lambda _: None)
    assert results["model"]["step"] == results["background"]["step"] == 8
    assert results["score_export"] == f"{workdir}/score_export/1"
    assert results["score_export_written"]
    background_config = json.loads((tmp_path / "run" / "background" / "results.json").read_text())
    assert background_config["step"] == 8

    model = restore_from_workdir(workdir, results["model"]["model_checkpoint"])
    background = restore_from_workdir(
        f"{workdir}/background", results["background"]["model_checkpoint"]
    )
    images = np.random.default_rng(1).integers(0, 17, (4, 8, 8, 1)).astype(np.uint8)
    labels = np.array([0, 3, 7, 9], np.int32)
    served = tf.saved_model.load(results["score_export"]).signatures["score"]
    outputs = served(images=tf.constant(images), labels=tf.constant(labels))
    log_p = model.log_prob(images.astype(np.int32), condition=labels).numpy()
    log_p0 = background.log_prob(images.astype(np.int32), condition=labels).numpy()
    np.testing.assert_allclose(outputs["score"].numpy(), log_p - log_p0, rtol=1e-4, atol=1e-4)
    assert not np.allclose(log_p, log_p0)  # the background learnt something else

    before = _files(tmp_path)
    again = lr.train_likelihood_ratio(_config(), workdir, say=lambda _: None)
    assert again["score_export"] == results["score_export"]
    assert not again["score_export_written"]
    assert _files(tmp_path) == before

    # A background model retrained from scratch reuses the checkpoint names: exported anew.
    shutil.rmtree(tmp_path / "run" / "background")
    retrained = lr.train_likelihood_ratio(_config(), workdir, say=lambda _: None)
    assert retrained["score_export"] == f"{workdir}/score_export/2"


def _files(directory):
    """Every file with its modification time, but TensorBoard event files (the trainer's
    summary writers open a new, empty one per process, finished run or not)."""
    return {
        str(p.relative_to(directory)): p.stat().st_mtime_ns
        for p in directory.rglob("*")
        if p.is_file() and "tfevents" not in p.name
    }


def test_a_stopped_background_run_resumes_to_the_uninterrupted_weights(tmp_path):
    def background(num_steps):
        config = _config(num_steps, learning_rate_schedule="constant")
        return lr.background_config(config, 0.3)

    train_and_evaluate(background(12), str(tmp_path / "whole"))
    train_and_evaluate(background(8), str(tmp_path / "resumed"))  # stops at step 8 ...
    results = train_and_evaluate(background(12), str(tmp_path / "resumed"))  # ... resumes
    assert results["resumed_from_step"] == 8
    whole = restore_from_workdir(str(tmp_path / "whole")).get_weights()
    resumed = restore_from_workdir(str(tmp_path / "resumed")).get_weights()
    assert max(np.abs(a - b).max() for a, b in zip(whole, resumed)) < 1e-6
    # ... and the perturbation mattered: the clean run's weights differ.
    clean_config = {**background(12), "data": {**background(12)["data"], "perturbation_rate": 0.0}}
    train_and_evaluate(clean_config, str(tmp_path / "clean"))
    clean = restore_from_workdir(str(tmp_path / "clean")).get_weights()
    assert max(np.abs(a - b).max() for a, b in zip(whole, clean)) > 1e-4
