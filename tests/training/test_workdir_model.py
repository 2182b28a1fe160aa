import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.training import workdir_model


def save_workdir(model, workdir, step):
    workdir_model.write_model_config(model, str(workdir))
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=model), str(workdir / "checkpoints"), 3
    )
    return manager.save(checkpoint_number=step)


def test_restores_the_newest_or_a_named_checkpoint(tmp_path):
    model = tpc.GatedPixelCNN(
        (4, 4, 3), num_layers=2, filters=6, kernel_size=3, num_levels=5, num_classes=2
    )
    images = np.random.default_rng(0).integers(0, 5, (2, 4, 4, 3)).astype(np.int32)
    labels = np.array([0, 1], np.int32)
    first = save_workdir(model, tmp_path, 1)
    expected_first = model.log_prob(images, condition=labels).numpy()
    for variable in model.trainable_variables:
        variable.assign(variable * 1.5)
    save_workdir(model, tmp_path, 2)
    expected_newest = model.log_prob(images, condition=labels).numpy()

    newest = workdir_model.restore_from_workdir(str(tmp_path))
    assert type(newest) is tpc.GatedPixelCNN and newest.num_classes == 2
    np.testing.assert_allclose(
        newest.log_prob(images, condition=labels), expected_newest, rtol=1e-6
    )
    named = workdir_model.restore_model(str(tmp_path / "model.json"), first)
    np.testing.assert_allclose(named.log_prob(images, condition=labels), expected_first, rtol=1e-6)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="No checkpoint in .*checkpoints"):
        workdir_model.restore_from_workdir(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="No model config at .*model.json"):
        workdir_model.restore_model(str(tmp_path / "model.json"), str(tmp_path / "ckpt-1"))


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    small = tpc.GatedPixelCNN((4, 4, 1), num_layers=1, filters=2, kernel_size=3, num_levels=4)
    big = tpc.GatedPixelCNN((4, 4, 1), num_layers=2, filters=2, kernel_size=3, num_levels=4)
    checkpoint = save_workdir(small, tmp_path, 1)
    workdir_model.write_model_config(big, str(tmp_path))
    with pytest.raises(AssertionError):
        workdir_model.restore_model(str(tmp_path / "model.json"), checkpoint)


@pytest.mark.parametrize(
    "model",
    [
        lambda: tpc.GatedPixelCNN(
            (8, 8, 3),
            num_layers=3,
            filters=6,
            kernel_size=3,
            condition_dim=2,
            spatial_condition=True,
        ),
        lambda: tpc.PixelCNN((8, 8, 1), num_layers=3, filters=4, num_classes=3),
        lambda: tpc.PixelCNNAutoencoder(
            (8, 8, 1), bottleneck_dim=3, num_layers=2, filters=4, kernel_size=3, encoder_filters=4
        ),
        lambda: tpc.ConvAutoencoder((8, 8, 1), bottleneck_dim=3, filters=4),
    ],
)
def test_checkpoints_hold_every_weight(model, tmp_path):
    """tf.train.Checkpoint does not follow layers kept only in lists: none may be left out."""
    model = model()
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    saved = {name for name, _ in tf.train.list_variables(path)}
    saved -= {"_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter/.ATTRIBUTES/VARIABLE_VALUE"}
    assert len(saved) == len(model.weights)


def test_polyak_averages_are_what_a_workdir_model_holds(tmp_path):
    from tf_pixelcnn.training.weight_average import WeightAverage

    model = tpc.GatedPixelCNN((4, 4, 1), num_layers=1, filters=2, kernel_size=3, num_levels=3)
    average = WeightAverage(model.trainable_variables, 0.9)
    for variable in model.trainable_variables:
        variable.assign(variable + 1.0)  # trained weights differ from their average
    workdir_model.write_model_config(model, str(tmp_path))
    path = tf.train.Checkpoint(model=model, average=average).save(str(tmp_path / "c" / "ckpt"))
    averaged = workdir_model.restore_from_workdir(str(tmp_path), path)
    raw = workdir_model.restore_from_workdir(str(tmp_path), path, use_average=False)
    for a, r, expected_average, expected_raw in zip(
        averaged.trainable_variables,
        raw.trainable_variables,
        average.averages,
        model.trainable_variables,
    ):
        np.testing.assert_array_equal(a.numpy(), expected_average.numpy())
        np.testing.assert_array_equal(r.numpy(), expected_raw.numpy())
    assert not workdir_model.has_weight_average(save_workdir(model, tmp_path / "plain", 1))
