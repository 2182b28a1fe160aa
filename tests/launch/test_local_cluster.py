"""launch/local_cluster.py: real MultiWorkerMirroredStrategy workers on localhost."""

import json
import pathlib
import sys

import pytest

from tests.launch import training_runs as runs

CLUSTER = [sys.executable, "launch/local_cluster.py"]


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("one_process") / "run"
    runs.run_ok(runs.train_command(workdir))
    return runs.final_weights(workdir)


def test_two_workers_match_one_process(one_process, tmp_path):
    workdir = tmp_path / "two_workers"
    result = runs.run_ok(runs.cluster_command(workdir))
    assert "2 replica(s)" in result.stdout  # the chief's output is echoed
    assert "worker 0 exit code 0" in result.stdout and "worker 1 exit code 0" in result.stdout
    assert runs.max_difference(one_process, runs.final_weights(workdir)) < 1e-5
    assert json.loads((workdir / "results.json").read_text())["step"] == 400
    assert not (workdir / "tmp_worker_1").exists()  # the non-chief's checkpoints are removed
    worker_1_log = pathlib.Path(f"{workdir}_logs/worker_1.log").read_text()
    assert "step 400/400" not in worker_1_log  # only the chief reports


def test_killed_worker_stops_the_cluster_and_a_restart_resumes(one_process, tmp_path):
    workdir = tmp_path / "killed"
    pid_file = pathlib.Path(f"{workdir}_logs/worker_1.pid")
    code = runs.start_and_kill_after_checkpoint(
        runs.cluster_command(workdir),
        workdir,
        100,
        pid_to_kill=lambda cluster: int(pid_file.read_text()),
    )
    assert code != 0  # the cluster fails as a whole
    killed_at = runs.latest_step(workdir)
    assert 100 <= killed_at < 400
    result = runs.run_ok(runs.cluster_command(workdir))
    assert f"Resuming at step {killed_at} of 400" in result.stdout
    assert runs.max_difference(one_process, runs.final_weights(workdir)) < 1e-5


def test_preemption_notices_checkpoint_all_workers_at_one_step_again_and_again(
    one_process, tmp_path
):
    """SIGTERM to worker 1, resume, SIGTERM again: every worker saves at the same step and
    the resumed cluster ends with the one-process weights."""
    workdir = tmp_path / "preempted"
    pid_file = pathlib.Path(f"{workdir}_logs/worker_1.pid")
    saved = []
    for after in (100, None):
        if after is None:  # the next scheduled checkpoint after the handler's
            after = (saved[-1] // 50 + 1) * 50
        code = runs.start_and_kill_after_checkpoint(
            runs.cluster_command(workdir),
            workdir,
            after,
            pid_to_kill=lambda cluster: int(pid_file.read_text()),
            signum=runs.signal.SIGTERM,
        )
        assert code == 42  # PreemptionCheckpointHandler's exit after its checkpoint
        saved.append(runs.latest_step(workdir))
        assert saved[-1] % 50 and saved[-1] < 400  # the handler's checkpoint
        chief_log = pathlib.Path(f"{workdir}_logs/worker_0.log").read_text()
        assert f"Preemption notice: saving a checkpoint at step {saved[-1]}" in chief_log
    assert saved[0] < saved[1]
    runs.run_ok(runs.cluster_command(workdir))
    assert runs.max_difference(one_process, runs.final_weights(workdir)) < 1e-5


def test_a_failing_worker_fails_the_cluster_fast(tmp_path):
    script = (
        "import json, os, sys, time; task = json.loads(os.environ['TF_CONFIG'])['task'];"
        "sys.exit(3) if task['index'] == 1 else time.sleep(120)"
    )
    result = runs.run(
        CLUSTER + [f"--worker_logs={tmp_path}", "--", sys.executable, "-c", script], timeout=60
    )
    assert result.returncode == 3
    assert "worker 1 exit code 3; stopping the others" in result.stdout
    assert "worker 0 killed by SIGTERM" in result.stdout


def test_workers_get_distinct_tf_configs_and_a_timeout(tmp_path):
    script = "import os, time; print(os.environ['TF_CONFIG'], flush=True); time.sleep(120)"
    result = runs.run(
        CLUSTER
        + ["--num_workers=3", "--timeout=3", f"--worker_logs={tmp_path}", "--quiet", "--"]
        + [sys.executable, "-c", script],
        timeout=60,
    )
    assert result.returncode == 124
    configs = [json.loads((tmp_path / f"worker_{i}.log").read_text()) for i in range(3)]
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    workers = configs[0]["cluster"]["worker"]
    assert len(set(workers)) == 3 and all(c["cluster"]["worker"] == workers for c in configs)
