"""A loss that explodes while finite stops the run as a NaN does (issue 19, §1.2): the good
checkpoints survive, and results.json / model.keras keep the good model."""

import sys

import pytest

from configs import smoke
from tf_pixelcnn.training.train_and_evaluate import LossDivergedError, train_and_evaluate

# The module (tf_pixelcnn.training exports the function of the same name).
training = sys.modules["tf_pixelcnn.training.train_and_evaluate"]


def _config(**train):
    config = smoke.get_config()
    config.train.update(num_steps=6, checkpoint_every=3, log_every=3, num_samples=0)
    config.train.update(train)
    return config


def _checkpoints(workdir):
    return sorted(p.name for p in (workdir / "checkpoints").glob("ckpt-*.index"))


def test_learning_rate_1e3_stops_keeping_the_good_checkpoint_and_outputs(tmp_path):
    train_and_evaluate(_config().to_dict(), str(tmp_path))  # a good run: ckpt-3, ckpt-6
    outputs = {name: (tmp_path / name).read_bytes() for name in ("results.json", "model.keras")}
    # The probe: more steps at learning rate 1e3, keeping one checkpoint. The loss stays
    # finite (it reached 1.4e10 bits/dim), so only the divergence check stops it.
    diverging = _config(num_steps=12, learning_rate=1e3, max_checkpoints=1)
    with pytest.raises(LossDivergedError) as raised:
        train_and_evaluate(diverging.to_dict(), str(tmp_path))
    message = str(raised.value)
    assert "The training loss exploded to" in message and "at step 8." in message
    assert f"the last good checkpoint is {tmp_path / 'checkpoints' / 'ckpt-6'}" in message
    assert "learning_rate" in message and "divergence_factor=3.0" in message
    assert _checkpoints(tmp_path) == ["ckpt-3.index", "ckpt-6.index"]  # none rotated out
    for name, before in outputs.items():
        assert (tmp_path / name).read_bytes() == before, name


def test_a_window_many_times_the_best_is_not_checkpointed(tmp_path, monkeypatch):
    """Each step's loss stays below 3 x uniform; the window since the last checkpoint,
    at 3.5 times the best, is refused before it is saved."""
    real = training.make_distributed_train_step
    script = {step: 2.0 if step <= 6 else 7.0 for step in range(1, 13)}

    def scripted(*args, **kwargs):
        step_fn, calls = real(*args, **kwargs), []

        def train_step(iterator):
            step_fn(iterator)
            calls.append(None)
            return script[len(calls)]

        return train_step

    monkeypatch.setattr(training, "make_distributed_train_step", scripted)
    with pytest.raises(LossDivergedError) as raised:
        train_and_evaluate(_config(num_steps=12, log_every=100).to_dict(), str(tmp_path))
    message = str(raised.value)
    assert "7 bits/dim over the last 3 step(s)" in message and "at step 9." in message
    assert "3 times the best window so far (2.0000 bits/dim)" in message
    assert _checkpoints(tmp_path) == ["ckpt-3.index", "ckpt-6.index"]
    assert not (tmp_path / "results.json").exists()
