"""config.json is written only once the workdir's checkpoint has matched the config
(issue 19, §1.6): a run refused for another model leaves the workdir's own config, so
evaluate.py still works on it; a matching changed config is kept as config.<n>.json."""

import json
import os
import subprocess
import sys

import pytest

from tests.launch.binaries_in_process import ROOT, run_binary

CONFIG = """
from configs import smoke


def get_config():
    config = smoke.get_config()
    config.model.filters = {filters}
    config.train.num_steps = {num_steps}
    config.train.checkpoint_every = 2
    config.train.log_every = 2
    config.train.num_samples = 0
    {extra}
    return config
"""


def _config_file(tmp_path, filters, num_steps, extra=""):
    path = tmp_path / f"config_{filters}_{num_steps}_{len(extra)}.py"
    path.write_text(CONFIG.format(filters=filters, num_steps=num_steps, extra=extra))
    return f"--config={path}"


def test_a_run_refused_for_another_model_leaves_config_json(tmp_path, capsys):
    workdir = tmp_path / "run"
    run_binary("launch/train.py", f"--workdir={workdir}", _config_file(tmp_path, 8, 4))
    written = (workdir / "config.json").read_bytes()
    assert json.loads(written)["model"]["filters"] == 8

    with pytest.raises(SystemExit) as refused:  # the probe: filters 12 over a filters-8 run
        run_binary("launch/train.py", f"--workdir={workdir}", _config_file(tmp_path, 12, 4))
    assert str(refused.value.code).startswith("train.py: CheckpointMismatchError: Checkpoint")
    assert "model.json and this config's model differ in: filters: 8 → 12" in str(
        refused.value.code
    )
    assert (workdir / "config.json").read_bytes() == written
    assert not (workdir / "config.1.json").exists()
    capsys.readouterr()

    run_binary("launch/evaluate.py", f"--workdir={workdir}")  # the workdir's own config
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluated["step"] == 4 and evaluated["checkpoint"].endswith("ckpt-4")

    # A changed config that matches the checkpoint (more steps) replaces config.json and
    # keeps the earlier one.
    run_binary("launch/train.py", f"--workdir={workdir}", _config_file(tmp_path, 8, 6))
    assert "kept as config.1.json" in capsys.readouterr().out
    assert json.loads((workdir / "config.json").read_text())["train"]["num_steps"] == 6
    assert (workdir / "config.1.json").read_bytes() == written


def test_a_workdir_from_before_the_default_head_width_resumes_with_its_width(
    tmp_path, capsys
):
    """A workdir whose model.json has no `output_filters` (written when the head was as
    wide as the stacks) resumes under the config that started it, although today's
    default head is wider (17 levels: 17 > 8 filters)."""
    workdir = tmp_path / "run"
    old_width = "config.model.output_filters = 8"
    run_binary("launch/train.py", f"--workdir={workdir}", _config_file(tmp_path, 8, 4, old_width))
    model_json = workdir / "model.json"
    saved = json.loads(model_json.read_text())
    assert saved["config"].pop("output_filters") == 8
    model_json.write_text(json.dumps(saved))  # as the code before the option wrote it

    run_binary("launch/train.py", f"--workdir={workdir}", _config_file(tmp_path, 8, 6))
    results = json.loads((workdir / "results.json").read_text())
    assert results["step"] == 6
    assert "output_filters" not in json.loads(model_json.read_text())["config"]
    # Its model.keras (saved without the entry) is checked against its own width.
    capsys.readouterr()
    run_binary("launch/evaluate.py", f"--workdir={workdir}", f"--model={workdir}/model.keras")
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluated["test_bits_per_dim"] > 0


def test_the_stacks_width_can_be_asked_for_on_the_command_line(tmp_path):
    """`--config.model.output_filters=filters`: a new run as wide as the old ones (e.g. a
    factor to combine with a factor trained before the default widened). Run as a user
    runs it (absl's app.run parses the config overrides)."""
    workdir = tmp_path / "run"
    subprocess.run(
        [sys.executable, "launch/train.py", f"--workdir={workdir}",
         _config_file(tmp_path, 8, 2), "--config.model.output_filters=filters"],
        cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, check=True,
        capture_output=True, timeout=300,
    )  # fmt: skip
    assert "output_filters" not in json.loads((workdir / "model.json").read_text())["config"]
    assert json.loads((workdir / "config.json").read_text())["model"]["output_filters"] == (
        "filters"
    )
