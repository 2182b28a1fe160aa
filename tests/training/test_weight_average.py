import numpy as np
import pytest
import tensorflow as tf

from tf_pixelcnn.training.weight_average import WeightAverage


def test_average_follows_the_exponential_recursion_and_swaps_in_and_out():
    weight = tf.Variable([1.0, 2.0])
    average = WeightAverage([weight], decay=0.5)
    weight.assign([3.0, 4.0])
    average.update()  # 0.5 * [1, 2] + 0.5 * [3, 4]
    np.testing.assert_allclose(average.averages[0].numpy(), [2.0, 3.0])
    with average.swapped_in():
        np.testing.assert_allclose(weight.numpy(), [2.0, 3.0])
    np.testing.assert_allclose(weight.numpy(), [3.0, 4.0])


def test_average_round_trips_through_a_checkpoint(tmp_path):
    weight = tf.Variable([1.0])
    average = WeightAverage([weight], decay=0.9)
    weight.assign([11.0])
    average.update()
    path = tf.train.Checkpoint(average=average).save(str(tmp_path / "ckpt"))
    restored = WeightAverage([tf.Variable([0.0])], decay=0.9)
    tf.train.Checkpoint(average=restored).restore(path).assert_existing_objects_matched()
    np.testing.assert_allclose(restored.averages[0].numpy(), [2.0])


def test_decay_out_of_range_is_named():
    with pytest.raises(ValueError, match="Received: decay=1.0"):
        WeightAverage([tf.Variable(1.0)], decay=1.0)
