"""launch/demo.py (the README's main command) end to end, with few steps."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_demo_binary_trains_reports_and_writes_samples(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "launch/demo.py", f"--workdir={tmp_path}", "--num_steps=20"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "test bits/dim before training" in result.stdout
    assert "step 20/20 (100%)" in result.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["test_bits_per_dim_after"] < results["test_bits_per_dim_before"]
    assert (tmp_path / "samples.png").stat().st_size > 0
