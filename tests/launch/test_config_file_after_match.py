"""config.json is written only once the workdir's checkpoint has matched the config
(issue 19, §1.6): a run refused for another model leaves the workdir's own config, so
evaluate.py still works on it; a matching changed config is kept as config.<n>.json."""

import json

import pytest

from tests.launch.binaries_in_process import run_binary

CONFIG = """
from configs import smoke


def get_config():
    config = smoke.get_config()
    config.model.filters = {filters}
    config.train.num_steps = {num_steps}
    config.train.checkpoint_every = 2
    config.train.log_every = 2
    config.train.num_samples = 0
    return config
"""


def _config_file(tmp_path, filters, num_steps):
    path = tmp_path / f"config_{filters}_{num_steps}.py"
    path.write_text(CONFIG.format(filters=filters, num_steps=num_steps))
    return f"--config={path}"


def test_a_run_refused_for_another_model_leaves_config_json(tmp_path, capsys):
    workdir = tmp_path / "run"
    run_binary("launch/train.py", f"--workdir={workdir}", _config_file(tmp_path, 8, 4))
    written = (workdir / "config.json").read_bytes()
    assert json.loads(written)["model"]["filters"] == 8

    with pytest.raises(SystemExit) as refused:  # the probe: filters 12 over a filters-8 run
        run_binary("launch/train.py", f"--workdir={workdir}", _config_file(tmp_path, 12, 4))
    assert str(refused.value.code).startswith("train.py: CheckpointMismatchError: Checkpoint")
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
