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
