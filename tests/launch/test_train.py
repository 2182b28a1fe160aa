"""launch/train.py: strategies agree, a killed run resumes exactly, clear failures."""

import json
import re
import time

import pytest

from tests.launch import training_runs as runs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted single-process run of the smoke config."""
    workdir = tmp_path_factory.mktemp("reference") / "run"
    result = runs.run_ok(runs.train_command(workdir))
    return workdir, result


def test_run_writes_the_workdir_and_reports(reference):
    workdir, result = reference
    for name in ("config.json", "model.json", "results.json", "samples.png"):
        assert (workdir / name).stat().st_size > 0, name
    assert list((workdir / "train").glob("events.out.tfevents.*"))
    assert list((workdir / "eval").glob("events.out.tfevents.*"))
    config = json.loads((workdir / "config.json").read_text())
    assert config["train"]["num_steps"] == 400 and config["train"]["polyak_decay"] == 0.9
    results = json.loads((workdir / "results.json").read_text())
    assert results["step"] == 400 and results["resumed_from_step"] == 0
    assert results["test_bits_per_dim"] < 3.0  # uniform over 17 levels is 4.09
    assert "step 400/400 (100%) | bits/dim" in result.stdout
    assert "img/s" in result.stdout and "ETA" in result.stdout
    assert runs.latest_step(workdir) == 400
    checkpoints = sorted(p.name for p in (workdir / "checkpoints").glob("ckpt-*.index"))
    assert checkpoints == ["ckpt-300.index", "ckpt-350.index", "ckpt-400.index"]  # keeps 3


def test_rerun_of_a_finished_run_trains_no_more(reference, tmp_path):
    workdir, _ = reference
    before = runs.final_weights(workdir)
    result = runs.run_ok(runs.train_command(workdir))
    assert "finished at step 400; evaluating only" in result.stdout
    assert "step 400: test bits/dim" in result.stdout
    assert runs.max_difference(before, runs.final_weights(workdir)) == 0.0


def test_mirrored_over_two_cpus_matches_one_device(reference, tmp_path):
    workdir = tmp_path / "mirrored"
    result = runs.run_ok(
        runs.train_command(workdir, "--config.strategy=mirrored", "--config.num_cpu_devices=2")
    )
    assert "2 replica(s)" in result.stdout
    assert runs.max_difference(runs.final_weights(reference[0]), runs.final_weights(workdir)) < 1e-5


def test_clipped_gradients_agree_between_one_device_and_two_replicas(tmp_path):
    clip = ("--config.train.gradient_clip_norm=0.05", "--config.train.num_steps=100")
    one = tmp_path / "one"
    runs.run_ok(runs.train_command(one, *clip))
    two = tmp_path / "two"
    runs.run_ok(
        runs.train_command(two, *clip, "--config.strategy=mirrored", "--config.num_cpu_devices=2")
    )
    assert runs.max_difference(runs.final_weights(one), runs.final_weights(two)) < 1e-5


def test_killed_run_resumes_to_the_same_weights(reference, tmp_path):
    workdir = tmp_path / "killed"
    code = runs.start_and_kill_after_checkpoint(runs.train_command(workdir), workdir, 100)
    assert code == -9
    assert not (workdir / "results.json").exists()
    killed_at = runs.latest_step(workdir)
    assert 100 <= killed_at < 400
    result = runs.run_ok(runs.train_command(workdir))
    assert f"Resuming at step {killed_at} of 400" in result.stdout
    assert json.loads((workdir / "results.json").read_text())["resumed_from_step"] == killed_at
    assert runs.max_difference(runs.final_weights(reference[0]), runs.final_weights(workdir)) < 1e-5


def test_preemption_notice_saves_at_the_current_step_and_resumes(reference, tmp_path):
    workdir = tmp_path / "preempted"
    code = runs.start_and_kill_after_checkpoint(
        runs.train_command(workdir),
        workdir,
        100,
        signum=runs.signal.SIGTERM,
    )
    assert code == 42  # PreemptionCheckpointHandler's exit after its checkpoint
    saved_at = runs.latest_step(workdir)
    assert 100 < saved_at < 400 and saved_at % 50  # saved by the handler, not the schedule
    runs.run_ok(runs.train_command(workdir))
    assert runs.max_difference(runs.final_weights(reference[0]), runs.final_weights(workdir)) < 1e-5


def test_evaluate_binary_reproduces_the_final_evaluation(reference):
    workdir, _ = reference
    result = runs.run_ok([runs.sys.executable, "launch/evaluate.py", f"--workdir={workdir}"])
    evaluated = json.loads(result.stdout.strip().splitlines()[-1])
    trained = json.loads((workdir / "results.json").read_text())
    assert evaluated["step"] == 400
    assert evaluated["test_bits_per_dim"] == pytest.approx(trained["test_bits_per_dim"], abs=1e-6)


def test_non_finite_loss_stops_with_the_step_and_keeps_checkpoints(tmp_path):
    workdir = tmp_path / "nan"
    result = runs.run(
        runs.train_command(
            workdir,
            "--config.train.learning_rate=1e10",
            "--config.train.learning_rate_schedule=constant",
            "--config.train.checkpoint_every=1",
            "--config.train.divergence_factor=0",  # its 9e30 bits/dim would stop it first
        )
    )
    assert result.returncode == 1
    message = next(
        line for line in result.stderr.splitlines() if line.startswith("train.py: NonFinite")
    )
    assert "became NaN or infinite" in message or "loss became nan" in message
    bad_step = int(re.search(r" at step (\d+)", message).group(1))
    assert runs.latest_step(workdir) == bad_step - 1  # nothing written at or after it
    assert f"ckpt-{bad_step - 1}" in message
    weights = runs.final_weights(workdir)  # the last good checkpoint is whole and finite
    assert all(runs.np.all(runs.np.isfinite(v)) for v in weights.values() if v.dtype.kind == "f")


def test_changed_config_is_kept_and_a_mismatched_workdir_is_a_clean_error(reference, tmp_path):
    workdir = tmp_path / "changed"
    runs.run_ok(runs.train_command(workdir, "--config.train.num_steps=5"))
    result = runs.run(runs.train_command(workdir, "--config.model.filters=12"))
    assert result.returncode == 1
    assert any(
        line.startswith("train.py: CheckpointMismatchError: Checkpoint")
        for line in result.stderr.splitlines()
    )
    # The refused config is not written: config.json stays the workdir's own.
    kept = json.loads((workdir / "config.json").read_text())
    assert kept["model"]["filters"] == 8 and kept["train"]["num_steps"] == 5
    assert not (workdir / "config.1.json").exists()


def test_missing_dataset_fails_at_once_with_how_to_prepare(tmp_path):
    start = time.monotonic()
    result = runs.run(
        runs.train_command(
            tmp_path / "run",
            "--config.data.dataset=cifar10",
            f"--config.data.data_dir={tmp_path / 'no_data'}",
            "--config.data.num_levels=256",
        ),
        timeout=120,
    )
    assert result.returncode == 1
    assert time.monotonic() - start < 60
    message = result.stderr.strip().splitlines()
    assert any("DatasetNotPreparedError" in line for line in message)
    assert "download_and_prepare()" in result.stderr and "data_dir" in result.stderr
