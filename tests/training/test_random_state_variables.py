"""The random generators' states (dropout) come from public Keras API and are saved."""

import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.training.training_run import random_state_variables


def test_every_dropout_generator_state_and_no_weight():
    model = tpc.GatedPixelCNN((4, 4, 1), num_layers=2, filters=4, kernel_size=3,
                              num_levels=4, dropout_rate=0.5)  # fmt: skip
    states = random_state_variables(model)
    assert len(states) == 2  # one seed generator per block's dropout
    assert all(isinstance(state, tf.Variable) and "seed_generator" in state.name
               for state in states)  # fmt: skip
    weights = {id(weight.value) for weight in model.weights}
    assert not any(id(state) in weights for state in states)
    no_dropout = tpc.GatedPixelCNN((4, 4, 1), num_layers=2, filters=4, kernel_size=3,
                                   num_levels=4)  # fmt: skip
    assert random_state_variables(no_dropout) == []


def test_states_round_trip_through_a_checkpoint(tmp_path):
    model = tpc.GatedPixelCNN((4, 4, 1), num_layers=1, filters=4, kernel_size=3,
                              num_levels=4, dropout_rate=0.5)  # fmt: skip
    (state,) = random_state_variables(model)
    path = tf.train.Checkpoint(states=random_state_variables(model)).save(str(tmp_path / "c"))
    saved = state.numpy().copy()
    state.assign(saved + 7)
    tf.train.Checkpoint(states=random_state_variables(model)).restore(path)
    assert (state.numpy() == saved).all()
