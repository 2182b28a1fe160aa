"""train_and_evaluate in-process: every model kind, averages, samples, restarts."""

import json

import numpy as np
import pytest
import tensorflow as tf

from configs import smoke
from tf_pixelcnn.training.train_and_evaluate import evaluate_checkpoint, train_and_evaluate


def _config(**train):
    config = smoke.get_config()
    config.train.num_steps = 12
    config.train.checkpoint_every = 6
    config.train.log_every = 6
    config.train.update(train)
    return config


def test_class_conditional_run_with_average_samples_and_evaluates(tmp_path, capsys):
    config = _config(polyak_decay=0.5, sample_every=6, eval_every=6)
    results = train_and_evaluate(config.to_dict(), str(tmp_path))
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "step_00000006.png",
        "step_00000012.png",
    ]
    picture = tf.io.decode_png((tmp_path / "samples.png").read_bytes()).numpy()
    assert picture.shape[0] > 0 and picture.max() > 0
    assert "step 6: test bits/dim" in capsys.readouterr().out
    # evaluate_checkpoint (launch/evaluate.py) swaps in the same averaged weights.
    evaluated = evaluate_checkpoint(config.to_dict(), str(tmp_path))
    assert evaluated["step"] == 12
    assert evaluated["test_bits_per_dim"] == pytest.approx(results["test_bits_per_dim"], abs=1e-6)
    earlier = evaluate_checkpoint(
        config.to_dict(), str(tmp_path), str(tmp_path / "checkpoints" / "ckpt-6")
    )
    assert earlier["step"] == 6 and earlier["test_bits_per_dim"] != evaluated["test_bits_per_dim"]
    assert json.loads((tmp_path / "results.json").read_text())["step"] == 12


def test_average_is_what_evaluation_and_the_saved_model_use(tmp_path):
    import keras

    config = _config(polyak_decay=0.9)
    train_and_evaluate(config.to_dict(), str(tmp_path))
    reader = tf.train.load_checkpoint(str(tmp_path / "checkpoints" / "ckpt-12"))
    keys = sorted(
        k for k in reader.get_variable_to_shape_map() if k.startswith("average/averages/")
    )
    assert keys
    saved = keras.models.load_model(str(tmp_path / "model.keras"))
    averages = {reader.get_tensor(k).tobytes() for k in keys}
    assert all(w.numpy().tobytes() in averages for w in saved.trainable_variables)


@pytest.mark.parametrize("name", ["pixel_cnn", "pixel_cnn_autoencoder"])
def test_other_model_kinds_train(tmp_path, name):
    config = _config(num_samples=4)
    config.model.name = name
    config.model.class_conditional = False
    if name == "pixel_cnn_autoencoder":
        config.model.bottleneck_dim = 3
        config.model.encoder_filters = 4
    results = train_and_evaluate(config.to_dict(), str(tmp_path))
    assert np.isfinite(results["test_bits_per_dim"]) and (tmp_path / "samples.png").exists()


def test_a_workdir_of_another_model_is_a_clear_error(tmp_path):
    train_and_evaluate(_config().to_dict(), str(tmp_path))
    other = _config(num_steps=20)
    other.model.filters = 16
    with pytest.raises(ValueError, match="does not match this config's model"):
        train_and_evaluate(other.to_dict(), str(tmp_path))


def test_mixed_bfloat16_trains_and_restores_the_global_policy(tmp_path):
    import keras

    config = _config(mixed_precision="mixed_bfloat16", num_steps=6, num_samples=2)
    results = train_and_evaluate(config.to_dict(), str(tmp_path))
    assert np.isfinite(results["test_bits_per_dim"]) and results["test_bits_per_dim"] < 4.2
    assert keras.mixed_precision.global_policy().name == "float32"
    saved = keras.models.load_model(str(tmp_path / "model.keras"))
    assert saved.dtype_policy.name == "mixed_bfloat16"


def test_logistic_mixture_model_trains_and_samples(tmp_path):
    config = _config(num_steps=6, num_samples=2)
    config.model.num_mixture_components = 3
    results = train_and_evaluate(config.to_dict(), str(tmp_path))
    assert np.isfinite(results["test_bits_per_dim"]) and (tmp_path / "samples.png").exists()


def test_a_finished_run_only_evaluates_and_writes_nothing(tmp_path, capsys):
    config = _config(num_samples=4)
    config.export.enabled = True
    results = train_and_evaluate(config.to_dict(), str(tmp_path))
    outputs = ("results.json", "model.keras", "samples.png", "checkpoints/checkpoint")
    before = {name: (tmp_path / name).read_bytes() for name in outputs}
    stamps = {name: (tmp_path / name).stat().st_mtime_ns for name in outputs}
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == ["1"]
    capsys.readouterr()
    again = train_and_evaluate(config.to_dict(), str(tmp_path))
    printed = capsys.readouterr().out
    assert "finished at step 12; evaluating only" in printed and "test bits/dim" in printed
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == ["1"]  # no version 2
    for name in ("train", "eval"):  # not even an empty TensorBoard event file
        assert len(list((tmp_path / name).iterdir())) == 1, name
    for name in outputs:
        assert (tmp_path / name).read_bytes() == before[name], name
        assert (tmp_path / name).stat().st_mtime_ns == stamps[name], name
    assert again["train_seconds"] == results["train_seconds"] > 0.01  # the run's own figures
    assert again["images_per_second"] == results["images_per_second"]
    assert again["test_bits_per_dim_now"] == pytest.approx(results["test_bits_per_dim"], abs=1e-6)


def test_validation_keeps_the_checkpoint_with_the_lowest_validation_bits(
    tmp_path, capsys, monkeypatch
):
    import re

    import keras

    from tf_pixelcnn.training.training_run import TrainingRun

    # Real evaluations, with the validation figures replaced by a script in which the
    # second evaluation is the best (a short run on the digits only improves).
    scripted = iter([3.0, 2.0, 2.5, 2.7])
    real_evaluate = TrainingRun.evaluate
    splits = []

    def evaluate(self, split="test"):
        splits.append(split)
        bits = real_evaluate(self, split)
        return next(scripted) if split == "validation" else bits

    monkeypatch.setattr(TrainingRun, "evaluate", evaluate)
    config = _config(num_steps=16, eval_every=4, checkpoint_every=4, polyak_decay=0.5)
    config.data.validation_size = 200
    results = train_and_evaluate(config.to_dict(), str(tmp_path))
    printed = capsys.readouterr().out
    validation = re.findall(r"step (\d+): validation bits/dim ([0-9.]+)", printed)
    assert validation == [("4", "3.0000"), ("8", "2.0000"), ("12", "2.5000"), ("16", "2.7000")]
    assert splits == ["validation"] * 4 + ["test"] * 2  # the test split only at the end
    assert results["best_step"] == 8 and results["validation_bits_per_dim"] == 2.0
    best = json.loads((tmp_path / "checkpoints" / "best" / "best.json").read_text())
    assert best["step"] == 8 and results["model_checkpoint"] == best["checkpoint"]
    assert "step 8: the best validation bits/dim so far" in printed
    # The final step's test figure and the selected checkpoint's differ.
    assert results["test_bits_per_dim"] != results["test_bits_per_dim_final_step"]
    # model.keras holds the selected checkpoint's averaged weights.
    reader = tf.train.load_checkpoint(best["checkpoint"])
    assert int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE")) == 8
    averages = {
        reader.get_tensor(k).tobytes()
        for k in reader.get_variable_to_shape_map()
        if k.startswith("average/averages/")
    }
    saved = keras.models.load_model(str(tmp_path / "model.keras"))
    assert all(w.numpy().tobytes() in averages for w in saved.trainable_variables)
    # A rerun of the finished run evaluates the selected checkpoint, not the newest.
    again = train_and_evaluate(config.to_dict(), str(tmp_path))
    assert again["test_bits_per_dim_now"] == pytest.approx(results["test_bits_per_dim"], abs=1e-6)


def test_a_killed_dropout_run_resumes_to_the_weights_of_an_uninterrupted_one(
    tmp_path, monkeypatch
):
    from tests.launch import training_runs as runs

    config = _config(num_steps=8, checkpoint_every=4, log_every=4)
    config.model.dropout_rate = 0.3
    train_and_evaluate(config.to_dict(), str(tmp_path / "whole"))
    runs.kill_at_progress_line(monkeypatch, 8)  # after checkpoint 4, before 8
    with pytest.raises(runs.SimulatedKill):
        train_and_evaluate(config.to_dict(), str(tmp_path / "resumed"))
    monkeypatch.undo()
    results = train_and_evaluate(config.to_dict(), str(tmp_path / "resumed"))
    assert results["resumed_from_step"] == 4
    whole, resumed = (runs.final_weights(tmp_path / n) for n in ("whole", "resumed"))
    assert runs.max_difference(whole, resumed) < 1e-6  # the dropout masks resumed too
