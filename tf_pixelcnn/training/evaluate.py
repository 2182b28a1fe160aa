"""Average bits per dimension of a model over a set of images in memory."""

import numpy as np
import tensorflow as tf

from tf_pixelcnn.training.distributed_steps import evaluate_distributed, make_distributed_eval_step


def evaluate_bits_per_dim(model, images, condition=None, batch_size: int = 256) -> float:
    """Mean bits/dim of `images` (`[N, H, W, C]` integers) under `model`.

    The same evaluation step as training runs use (`make_distributed_eval_step`, one
    device): a mixed-precision model is evaluated as its float32 copy, and the last
    partial batch is padded with weight-0 copies.

    Args:
        model: a model with `log_prob` and `image_shape` (any kind the trainer trains).
        images: integer `[N, H, W, C]`.
        condition: labels `[N]`, vectors `[N, D]` or auxiliary images of conditional
            models, else None.
        batch_size: images per forward pass.
    """
    images = np.asarray(images)
    count = len(images)
    if count == 0:
        raise ValueError("evaluate_bits_per_dim needs at least one image. Received: 0.")
    padding = -count % batch_size
    index = np.concatenate([np.arange(count), np.zeros(padding, np.int64)])
    columns = {
        "image": images[index],
        "weight": (np.arange(len(index)) < count).astype(np.float32),
    }
    if condition is not None:
        columns["condition"] = np.asarray(condition)[index]
    dataset = tf.data.Dataset.from_tensor_slices(columns).batch(batch_size)
    step = make_distributed_eval_step(model, tf.distribute.get_strategy())
    return evaluate_distributed(step, dataset)["bits_per_dim"]
