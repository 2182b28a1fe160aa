"""What the package's convolution layers share: the convolution with its bias in the
compute dtype, and the config of their weights."""

import keras
import tensorflow as tf


def convolve(inputs, kernel, bias, compute_dtype, padding: str = "VALID") -> tf.Tensor:
    """`conv2d(inputs, kernel) + bias` with stride 1, in `compute_dtype` (the variables
    may be float32 under a mixed-precision policy)."""
    outputs = tf.nn.conv2d(inputs, tf.cast(kernel, compute_dtype), strides=1, padding=padding)
    if bias is not None:
        outputs = tf.nn.bias_add(outputs, tf.cast(bias, compute_dtype))
    return outputs


def weights_config(layer) -> dict:
    """`filters`, `kernel_size`, `use_bias` and the serialised initializers of `layer`."""
    return dict(
        filters=layer.filters,
        kernel_size=layer.kernel_size,
        use_bias=layer.use_bias,
        kernel_initializer=keras.initializers.serialize(layer.kernel_initializer),
        bias_initializer=keras.initializers.serialize(layer.bias_initializer),
    )
