"""launch/train.py with config.likelihood_ratio: both models trained, the score SavedModel
served by the session loader in a fresh process (the binary, end to end)."""

import json
import sys

import numpy as np
import pytest

from tests.launch import training_runs as runs
from tests.serving.test_export_saved_model import serve
from tf_pixelcnn.training import experiment
from tf_pixelcnn.training.workdir_model import restore_from_workdir

TINY = (
    "--config=launch/configs/digits_outliers.py",
    "--config.model.num_layers=2",
    "--config.model.filters=8",
    "--config.train.num_steps=10",
    "--config.train.checkpoint_every=5",
    "--config.train.log_every=5",
    "--config.train.eval_every=0",
    "--config.train.num_samples=0",
    "--config.likelihood_ratio.perturbation_rate=0.3",
)


@pytest.mark.skipif(
    "perturbation_rate" not in experiment.DATA_KEYS,
    reason='needs "perturbation_rate" in tf_pixelcnn.training.experiment.DATA_KEYS',
)
def test_train_binary_trains_the_model_and_background_and_exports_the_score(tmp_path):
    workdir = tmp_path / "run"
    result = runs.run_ok([sys.executable, "launch/train.py", f"--workdir={workdir}", *TINY])
    assert "Background model (inputs perturbed at rate 0.3)" in result.stdout
    assert "Score SavedModel:" in result.stdout
    config = json.loads((workdir / "config.json").read_text())
    background_config = json.loads((workdir / "background" / "config.json").read_text())
    assert config["likelihood_ratio"] == {"enabled": True, "perturbation_rate": 0.3}
    assert background_config["data"]["perturbation_rate"] == 0.3
    assert "likelihood_ratio" not in background_config
    for run in (workdir, workdir / "background"):
        assert json.loads((run / "results.json").read_text())["step"] == 10
    assert not (workdir / "background" / "export").exists()
    assert [p.name for p in (workdir / "score_export").iterdir()] == ["1"]

    images = np.random.default_rng(2).integers(0, 17, (5, 8, 8, 1)).astype(np.uint8)
    response = serve(workdir / "score_export" / "1", [("score", {"images": images})], tmp_path)
    outputs = response["responses"][0]["outputs"]
    log_p = restore_from_workdir(str(workdir)).log_prob(images.astype(np.int32)).numpy()
    log_p0 = restore_from_workdir(str(workdir / "background")).log_prob(images.astype(np.int32))
    np.testing.assert_allclose(outputs["score"], log_p - log_p0.numpy(), rtol=1e-4, atol=1e-4)
