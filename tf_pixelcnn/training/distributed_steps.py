"""The train and eval steps of the custom loop, for any `tf.distribute` strategy.

One replica step computes bits/dim of its share of the global batch; the loss is
`sum(bits/dim) / global_batch_size` (`tf.nn.compute_average_loss`), so the gradients
summed over replicas are those of the mean over the global batch, for any number of
replicas and workers.
"""

from typing import Callable, Dict, Optional, Tuple

import keras
import tensorflow as tf

from tf_pixelcnn import likelihood
from tf_pixelcnn.training.weight_average import WeightAverage


def batch_condition(model, batch: Dict[str, tf.Tensor]):
    """The labels of `batch` if `model` is class-conditional, else None."""
    if getattr(model, "num_classes", None) is not None:
        return batch["label"]
    return None


def _bits_per_dim(model, batch, training: bool) -> tf.Tensor:
    condition = batch_condition(model, batch)
    if condition is None:
        log_prob = model.log_prob(batch["image"], training=training)
    else:
        log_prob = model.log_prob(batch["image"], condition=condition, training=training)
    return likelihood.bits_per_dim(log_prob, model.image_shape)  # [b]


def make_distributed_train_step(
    model,
    optimizer: keras.optimizers.Optimizer,
    strategy: tf.distribute.Strategy,
    global_batch_size: int,
    weight_average: Optional[WeightAverage] = None,
    step_counter: Optional[tf.Variable] = None,
    gradient_clip_norm: Optional[float] = None,
    jit_compile: bool = False,
) -> Callable:
    """`step(distributed_iterator) -> mean bits/dim of the global batch` (a tf.function).

    Args:
        model, optimizer: Built under `strategy.scope()`.
        strategy: The strategy the iterator's dataset was distributed with.
        global_batch_size: Images per step over all replicas.
        weight_average: Updated after every step when given.
        step_counter: An int64 variable incremented by every step.
        gradient_clip_norm: Clip the global norm of the *summed* gradients (of the global
            batch's mean loss), identically on every replica. (Keras' own `global_clipnorm`
            would clip each replica's share before the all-reduce.)
        jit_compile: XLA-compile the replica step.
    """

    def replica_step(batch):
        with tf.GradientTape() as tape:
            bits = _bits_per_dim(model, batch, training=True)
            loss = tf.nn.compute_average_loss(bits, global_batch_size=global_batch_size)
            scaled_loss = optimizer.scale_loss(loss) if hasattr(optimizer, "scale_loss") else loss
        gradients = tape.gradient(scaled_loss, model.trainable_variables)
        if gradient_clip_norm:
            context = tf.distribute.get_replica_context()
            total = context.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
            total, _ = tf.clip_by_global_norm(total, gradient_clip_norm)
            # The optimizer sums the replicas' gradients again: give each its share.
            replicas = context.num_replicas_in_sync
            gradients = [g / replicas for g in total]
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    if jit_compile:
        replica_step = tf.function(replica_step, jit_compile=True)

    @tf.function
    def step(iterator):
        losses = strategy.run(replica_step, args=(next(iterator),))
        if weight_average is not None:
            weight_average.update()
        if step_counter is not None:
            step_counter.assign_add(1)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    return step


def make_distributed_eval_step(model, strategy: tf.distribute.Strategy) -> Callable:
    """`step(batch) -> (sum of weighted bits/dim, sum of weights)` over all replicas."""

    def replica_step(batch):
        bits = _bits_per_dim(model, batch, training=False)
        weight = batch["weight"]
        return tf.reduce_sum(bits * weight), tf.reduce_sum(weight)

    @tf.function
    def step(batch) -> Tuple[tf.Tensor, tf.Tensor]:
        totals = strategy.run(replica_step, args=(batch,))
        return tuple(strategy.reduce(tf.distribute.ReduceOp.SUM, t, axis=None) for t in totals)

    return step


def evaluate_distributed(eval_step: Callable, distributed_dataset) -> float:
    """Mean bits/dim over one pass of a weighted, distributed eval dataset."""
    total, count = 0.0, 0.0
    for batch in distributed_dataset:
        batch_total, batch_count = eval_step(batch)
        total += float(batch_total)
        count += float(batch_count)
    if count == 0:
        raise ValueError("The evaluation dataset is empty.")
    return total / count
