"""One optimisation step on the negative log-likelihood in bits per dimension."""

from typing import Callable

import keras
import tensorflow as tf

from tf_pixelcnn.training.loss import bits_per_dim_loss


def make_train_step(
    model, optimizer: keras.optimizers.Optimizer, jit_compile: bool = False
) -> Callable:
    """Returns a compiled `step(images, condition=None) -> mean bits/dim of the batch`.

    The loss is −log p(x) / (H·W·C·ln 2) averaged over the batch (`training.loss`);
    gradients are applied with `optimizer`. A loss-scaling optimizer
    (`keras.optimizers.LossScaleOptimizer`, for mixed_float16) gets the gradients of its
    scaled loss, which it unscales.
    Works for `GatedPixelCNN`, `PixelCNN` (with or without condition) and
    `PixelCNNAutoencoder` (no condition: the code comes from the encoder).

    Args:
        model: the model to train.
        optimizer: a Keras optimizer; built on the model's trainable variables.
        jit_compile: compile the step with XLA.
    """
    optimizer.build(model.trainable_variables)

    def loss_fn(images, condition):
        return tf.reduce_mean(bits_per_dim_loss(model, images, condition, training=True))

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def step(images, condition=None):
        with tf.GradientTape() as tape:
            loss = loss_fn(images, condition)
            scaled_loss = optimizer.scale_loss(loss)  # the loss itself without scaling
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    return step
