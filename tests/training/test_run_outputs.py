"""run_outputs: the final model is the trained model in memory, its averages swapped in."""

import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.training import run_outputs
from tf_pixelcnn.training.weight_average import WeightAverage, restore_averages


def _trained_model_and_average():
    model = tpc.GatedPixelCNN((4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=4)
    average = WeightAverage(model.trainable_variables, decay=0.5)
    for step in range(3):  # weights and averages now differ
        for i, weight in enumerate(model.trainable_variables):
            weight.assign_add(tf.fill(weight.shape, 0.1 * (step + 1) * (i + 1)))
        average.update()
    return model, average


def test_trained_copy_holds_the_averages_and_leaves_the_model_trained():
    model, average = _trained_model_and_average()
    trained = [w.numpy().copy() for w in model.trainable_variables]
    copy = run_outputs.trained_copy(model, average)
    assert copy is not model and type(copy) is type(model)
    for weight, value in zip(copy.trainable_variables, average.averages):
        np.testing.assert_array_equal(weight.numpy(), value.numpy())
    for weight, value in zip(model.trainable_variables, trained):
        np.testing.assert_array_equal(weight.numpy(), value)
    assert not np.array_equal(trained[0], average.averages[0].numpy())
    images = np.random.default_rng(0).integers(0, 4, (2, 4, 4, 1))
    with average.swapped_in():
        np.testing.assert_array_equal(copy.log_prob(images), model.log_prob(images))


def test_trained_copy_without_an_average_copies_the_weights():
    model, _ = _trained_model_and_average()
    copy = run_outputs.trained_copy(model)
    for weight, value in zip(copy.weights, model.weights):
        np.testing.assert_array_equal(weight.numpy(), value.numpy())


def test_restore_averages_reads_what_a_checkpoint_keeps(tmp_path):
    model, average = _trained_model_and_average()
    prefix = tf.train.Checkpoint(model=model, average=average).save(str(tmp_path / "ckpt"))
    fresh = tpc.GatedPixelCNN((4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=4)
    restore_averages(fresh.trainable_variables, prefix)
    for weight, value in zip(fresh.trainable_variables, average.averages):
        np.testing.assert_array_equal(weight.numpy(), value.numpy())


def test_samples_of_a_model_conditioned_on_a_code_map_use_the_test_batch():
    model = tpc.CodePixelCNN(
        grid_shape=(4, 4), num_codes=16, embedding_dim=4, num_layers=2, filters=8,
        kernel_size=3, condition_grid_shape=(2, 2), condition_num_codes=5,
    )  # fmt: skip
    maps = np.random.default_rng(1).integers(0, 5, (6, 2, 2, 1)).astype(np.int32)
    batch = {"image": tf.zeros([6, 4, 4, 1], tf.int32), "condition": tf.constant(maps)}
    picture = run_outputs.sample_images(model, 4, (1, 2), batch)
    expected = tpc.sample(model, condition=maps[:4], seed=(1, 2))
    np.testing.assert_array_equal(picture.images, expected)
    assert picture.columns == 2 and picture.kind == "samples"
