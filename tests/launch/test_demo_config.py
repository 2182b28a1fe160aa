"""README command 1's run (launch/train.py with the demo config), with fewer steps."""

import json

from tests.launch import training_runs as runs


def test_demo_config_trains_evaluates_samples_and_exports(tmp_path):
    workdir = tmp_path / "demo"
    result = runs.run_ok(
        [
            runs.sys.executable,
            "launch/train.py",
            "--config=launch/configs/demo.py",
            f"--workdir={workdir}",
            "--config.train.num_steps=60",
            "--config.train.log_every=20",
        ],
        timeout=600,
    )
    assert "step 60/60 (100%)" in result.stdout
    assert "step 60: test bits/dim" in result.stdout
    results = json.loads((workdir / "results.json").read_text())
    assert results["test_bits_per_dim"] < 3.5  # uniform over the 17 levels: 4.09
    assert (workdir / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert results["saved_model"] == str(workdir / "export" / "1")
    assert (workdir / "export" / "1" / "saved_model.pb").exists()
    assert (workdir / "model.keras").stat().st_size > 0
