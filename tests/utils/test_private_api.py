"""The private APIs of `utils.private_api` still exist and do what the package needs: a
TensorFlow or Keras upgrade that changes them fails here."""

import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.utils import private_api


def test_all_layers_reaches_the_layers_inside_layers():
    model = tpc.GatedPixelCNN((4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=4)
    layers = private_api.all_layers(model)
    assert layers[0] is model
    assert model.blocks[1] in layers and model.output_head.hidden in layers
    assert model.blocks[0].horizontal_conv in layers  # a sub-layer of a plain Layer
    assert len({id(layer) for layer in layers}) == len(layers)


def test_single_threaded_executor_runs_functions_with_the_same_results():
    @tf.function
    def f(x):
        return tf.reduce_sum(tf.matmul(x, x))

    x = tf.reshape(tf.range(16.0), [4, 4])
    with private_api.single_threaded_executor():
        inside = f(x)
    assert float(inside) == float(f(x))
