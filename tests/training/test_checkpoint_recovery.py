"""A workdir whose checkpoint list is lost or whose checkpoints are damaged (issue 19,
§1.6 and §1.7): the newest checkpoint that reads is used, with a warning naming what was
found; a damaged file is named; nothing starts again at step 0 silently."""

import json
import shutil

import numpy as np
import pytest
import tensorflow as tf

from configs import smoke
from tf_pixelcnn.training.checkpoint_files import (
    CheckpointRecoveryWarning,
    UnreadableCheckpointError,
)
from tf_pixelcnn.training.train_and_evaluate import evaluate_checkpoint, train_and_evaluate
from tf_pixelcnn.training.workdir_model import restore_from_workdir


def _config(num_steps=6):
    config = smoke.get_config()
    config.train.update(num_steps=num_steps, checkpoint_every=2, log_every=2, num_samples=0)
    return config.to_dict()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished 6-step run keeping ckpt-2, ckpt-4 and ckpt-6."""
    workdir = tmp_path_factory.mktemp("trained") / "run"
    train_and_evaluate(_config(), str(workdir))
    return workdir


@pytest.fixture
def workdir(trained, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained, copy)
    return copy


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _step_of(model_or_prefix) -> int:
    reader = tf.train.load_checkpoint(str(model_or_prefix))
    return int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE"))


def test_a_lost_state_file_resumes_from_the_newest_checkpoint(workdir, capsys):
    (workdir / "checkpoints" / "checkpoint").unlink()  # the probe: only the state file
    with pytest.warns(CheckpointRecoveryWarning, match=r"is missing, unreadable or .*ckpt-6, ckpt-4"):
        results = train_and_evaluate(_config(num_steps=8), str(workdir))
    assert "Resuming at step 6 of 8" in capsys.readouterr().out  # not step 0
    assert results["resumed_from_step"] == 6 and results["step"] == 8
    # The recovered checkpoints are the manager's again: saving ckpt-8 rotated ckpt-2 out.
    names = sorted(p.name for p in (workdir / "checkpoints").glob("ckpt-*.index"))
    assert names == ["ckpt-4.index", "ckpt-6.index", "ckpt-8.index"]
    assert tf.train.latest_checkpoint(str(workdir / "checkpoints")).endswith("ckpt-8")


def test_an_empty_state_file_is_recovered_too(workdir):
    (workdir / "checkpoints" / "checkpoint").write_text("")
    with pytest.warns(CheckpointRecoveryWarning, match="is missing, unreadable or names no checkpoint"):
        evaluated = evaluate_checkpoint(_config(), str(workdir))
    assert evaluated["step"] == 6 and evaluated["checkpoint"].endswith("ckpt-6")


def test_a_truncated_newest_data_file_is_named_and_the_older_checkpoint_used(workdir):
    data = workdir / "checkpoints" / "ckpt-6.data-00000-of-00001"
    _truncate(data)  # the probe: IndexError "Read less bytes than requested"
    with pytest.warns(CheckpointRecoveryWarning) as warned:
        evaluated = evaluate_checkpoint(_config(), str(workdir))
    message = str(warned[0].message)
    assert f"{data} ({data.stat().st_size} bytes) is truncated or corrupt" in message
    assert "Read less bytes than requested" in message
    assert f"Restored the next older checkpoint, {workdir / 'checkpoints' / 'ckpt-4'}" in message
    assert evaluated["step"] == 4
    # Export and sampling (restore_from_workdir) fall back the same way.
    with pytest.warns(CheckpointRecoveryWarning, match="ckpt-6.data-00000-of-00001"):
        model = restore_from_workdir(str(workdir))
    ckpt_4 = restore_from_workdir(str(workdir), str(workdir / "checkpoints" / "ckpt-4"))
    for restored, expected in zip(model.weights, ckpt_4.weights, strict=True):
        np.testing.assert_array_equal(restored.numpy(), expected.numpy())


def test_a_named_checkpoint_that_does_not_read_is_an_error_naming_the_file(workdir):
    index = workdir / "checkpoints" / "ckpt-6.index"
    _truncate(index)  # the probe: DataLossError "not an sstable"
    prefix = str(workdir / "checkpoints" / "ckpt-6")
    older = ", ".join(str(workdir / "checkpoints" / f"ckpt-{n}") for n in (4, 2))
    for restore in (
        lambda: evaluate_checkpoint(_config(), str(workdir), prefix),
        lambda: restore_from_workdir(str(workdir), prefix),
    ):
        with pytest.raises(UnreadableCheckpointError) as raised:
            restore()
        message = str(raised.value)
        assert f"{index} ({index.stat().st_size} bytes) is truncated or corrupt" in message
        assert "not an sstable" in message
        assert f"that look intact, newest first: {older}." in message


def test_a_truncated_newest_index_resumes_training_from_the_older_one(workdir, capsys):
    _truncate(workdir / "checkpoints" / "ckpt-6.index")
    with pytest.warns(CheckpointRecoveryWarning, match=r"ckpt-6.index \(\d+ bytes\) is truncated"):
        results = train_and_evaluate(_config(num_steps=8), str(workdir))
    assert "Resuming at step 4 of 8" in capsys.readouterr().out
    assert results["resumed_from_step"] == 4
    assert _step_of(workdir / "checkpoints" / "ckpt-6") == 6  # rewritten whole by the run
    assert np.isfinite(results["test_bits_per_dim"])


def test_no_readable_checkpoint_refuses_and_writes_nothing(workdir):
    for n in (2, 4, 6):
        _truncate(workdir / "checkpoints" / f"ckpt-{n}.data-00000-of-00001")
    config_json = workdir / "config.json"
    config_before = config_json.read_bytes() if config_json.exists() else None
    state_before = (workdir / "checkpoints" / "checkpoint").read_bytes()
    with pytest.raises(UnreadableCheckpointError, match="No checkpoint in .* can be read") as error:
        train_and_evaluate(_config(num_steps=8), str(workdir))
    for n in (2, 4, 6):
        assert f"ckpt-{n}.data-00000-of-00001" in str(error.value)
    assert (config_json.read_bytes() if config_json.exists() else None) == config_before
    assert (workdir / "checkpoints" / "checkpoint").read_bytes() == state_before
    assert json.loads((workdir / "results.json").read_text())["step"] == 6
