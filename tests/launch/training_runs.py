"""Helpers for tests that run launch/train.py and launch/local_cluster.py as processes."""

import os
import pathlib
import signal
import subprocess
import sys
import time
from typing import Dict, Sequence

import numpy as np
import tensorflow as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
# The smoke config with enough steps to be killed part-way, and a weight average so that
# its restore is checked too.
SMOKE = (
    "--config=launch/configs/smoke.py",
    "--config.train.num_steps=400",
    "--config.train.checkpoint_every=50",
    "--config.train.log_every=100",
    "--config.train.polyak_decay=0.9",
)


def train_command(workdir, *overrides: str) -> list:
    return [sys.executable, "launch/train.py", f"--workdir={workdir}", *SMOKE, *overrides]


def cluster_command(workdir, *overrides: str, num_workers: int = 2, timeout: float = 300) -> list:
    return [
        sys.executable,
        "launch/local_cluster.py",
        f"--num_workers={num_workers}",
        f"--timeout={timeout}",
        f"--worker_logs={workdir}_logs",
        "--",
        *train_command(workdir, "--config.strategy=multi_worker", *overrides),
    ]


def run(command: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(command), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout
    )


def run_ok(command: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess:
    result = run(command, timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def start_and_kill_after_checkpoint(
    command: Sequence[str],
    workdir: pathlib.Path,
    step: int,
    pid_to_kill=None,
    timeout=300,
    signum=signal.SIGKILL,
) -> int:
    """Starts `command`, sends `signum` to it (or to `pid_to_kill(process)`) once the
    newest checkpoint of `workdir` is at `step` or later, and returns its exit code."""
    process = subprocess.Popen(
        list(command), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + timeout
    try:
        while latest_step(workdir) < step:  # the CheckpointManager's state file says so
            assert process.poll() is None, f"{command} ended before checkpoint {step}"
            assert time.monotonic() < deadline, f"no checkpoint {step} after {timeout} s"
            time.sleep(0.02)
        os.kill(pid_to_kill(process) if pid_to_kill else process.pid, signum)
        return process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()


def final_weights(workdir) -> Dict[str, np.ndarray]:
    """Every model, optimizer and weight-average value of the newest checkpoint."""
    path = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    assert path is not None, f"no checkpoint in {workdir}"
    reader = tf.train.load_checkpoint(path)
    return {
        key: reader.get_tensor(key)
        for key in reader.get_variable_to_shape_map()
        if key.startswith(("model/", "optimizer/", "average/")) and "OBJECT_GRAPH" not in key
    }


def max_difference(a: Dict[str, np.ndarray], b: Dict[str, np.ndarray]) -> float:
    assert sorted(a) == sorted(b)
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k]), initial=0.0)) for k in a)


def latest_step(workdir) -> int:
    state = pathlib.Path(workdir) / "checkpoints" / "checkpoint"
    if not state.exists():
        return 0
    path = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    return int(path.rsplit("-", 1)[1]) if path else 0


class SimulatedKill(BaseException):
    """Ends an in-process run as SIGKILL would: nothing after it runs, nothing catches it."""


def kill_at_progress_line(monkeypatch, step: int) -> None:
    """Makes the run raise `SimulatedKill` when its progress line reaches `step` (after
    the checkpoints of earlier steps, before the one at `step`); `monkeypatch.undo()`
    ends it."""
    from tf_pixelcnn.utils.progress_line import ProgressLine

    real_update = ProgressLine.update

    def update(self, at_step, **metrics):
        if at_step == step:
            raise SimulatedKill()
        real_update(self, at_step, **metrics)

    monkeypatch.setattr(ProgressLine, "update", update)
