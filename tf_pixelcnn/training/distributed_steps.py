"""The train and eval steps of the custom loop, for any `tf.distribute` strategy.

One replica step computes bits/dim of its share of the global batch; the loss is
`sum(bits/dim) / global_batch_size` (`tf.nn.compute_average_loss`), so the gradients
summed over replicas are those of the mean over the global batch, for any number of
replicas and workers.
"""

from typing import Callable, Dict, List, Optional, Sequence, Tuple

import keras
import tensorflow as tf

from tf_pixelcnn.utils.float32_copy import float32_copy
from tf_pixelcnn.training.loss import bits_per_dim_loss, bits_per_dim_of
from tf_pixelcnn.training.weight_average import WeightAverage


def batch_condition(model, batch: Dict[str, tf.Tensor]):
    """The condition of `batch`: its `"condition"` (vectors or images, when given), else
    its labels if `model` is class-conditional, else None."""
    if "condition" in batch:
        return batch["condition"]
    if model.condition_spec.kind == "labels":
        return batch["label"]
    return None


def check_factors(model, factors: Optional[Sequence[str]]) -> Optional[Tuple[str, ...]]:
    """The factors to train of an auxiliary-variable model (None: all / a plain model)."""
    if not factors:
        return None
    model_factors = model.factors()
    names = tuple(factor.name for factor in model_factors) if len(model_factors) > 1 else ()
    unknown = [f for f in factors if f not in names]
    if not names or unknown or len(set(factors)) != len(factors):
        raise ValueError(
            f"train.factors names factors of a Grayscale or Pyramid PixelCNN, each once; "
            f"{type(model).__name__} has {list(names) or 'none'}. Received: {list(factors)}."
        )
    return tuple(factors)


def trained_variables(model, factors: Optional[Sequence[str]]) -> List[tf.Variable]:
    """The variables a step updates: the selected factors' sub-models, or all."""
    if not factors:
        return model.trainable_variables
    networks = {factor.name: factor.network for factor in model.factors()}
    return [v for name in factors for v in networks[name].trainable_variables]


def _bits_per_dim(model, batch, training: bool, factors=None) -> tf.Tensor:
    """`[b]` bits/dim of a replica's batch: the one loss (`training.loss`)."""
    condition = None if factors else batch_condition(model, batch)
    return bits_per_dim_loss(model, batch["image"], condition, training, factors)


def make_distributed_train_step(
    model,
    optimizer: keras.optimizers.Optimizer,
    strategy: tf.distribute.Strategy,
    global_batch_size: int,
    weight_average: Optional[WeightAverage] = None,
    step_counter: Optional[tf.Variable] = None,
    gradient_clip_norm: Optional[float] = None,
    jit_compile: bool = False,
    factors: Optional[Sequence[str]] = None,
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
            would clip each replica's share before the all-reduce.) With loss scaling
            (`LossScaleOptimizer`, mixed_float16) the norm is that of the unscaled
            gradients: they are unscaled, clipped and scaled back, and non-finite ones stay
            non-finite, so the optimizer still skips the step and lowers its scale.
        jit_compile: XLA-compile the replica step.
        factors: Auxiliary-variable models: train only these factors (`factor_models`
            names, e.g. ["colour"] or ["16x16"]); the loss is their part of −log p(x).
    """
    factors = check_factors(model, factors)
    variables = trained_variables(model, factors)

    def replica_step(batch):
        with tf.GradientTape() as tape:
            bits = _bits_per_dim(model, batch, training=True, factors=factors)
            loss = tf.nn.compute_average_loss(bits, global_batch_size=global_batch_size)
            scaled_loss = optimizer.scale_loss(loss) if hasattr(optimizer, "scale_loss") else loss
        gradients = tape.gradient(scaled_loss, variables)
        if gradient_clip_norm:
            gradients = _clipped_share_of_sum(gradients, gradient_clip_norm, optimizer)
        optimizer.apply_gradients(zip(gradients, variables))
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


def _clipped_share_of_sum(gradients, clip_norm: float, optimizer) -> List[tf.Tensor]:
    """In a replica step: the gradients summed over replicas, clipped to `clip_norm`
    (`clip_scaled_gradients`), divided by the number of replicas."""
    context = tf.distribute.get_replica_context()
    total = context.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
    total = clip_scaled_gradients(total, clip_norm, loss_scale(optimizer))
    # The optimizer sums the replicas' gradients again: give each its share.
    replicas = context.num_replicas_in_sync
    return [g / replicas for g in total]


def loss_scale(optimizer) -> Optional[tf.Tensor]:
    """The factor `optimizer.scale_loss` multiplies the loss by (a `LossScaleOptimizer`'s
    dynamic scale, or an optimizer's `loss_scale_factor`), or None without scaling."""
    if not hasattr(optimizer, "scale_loss"):
        return None
    if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer) and not getattr(
        optimizer, "loss_scale_factor", None
    ):
        return None
    return tf.cast(optimizer.scale_loss(tf.constant(1.0, tf.float32)), tf.float32)


def clip_scaled_gradients(
    gradients: Sequence[tf.Tensor], clip_norm: float, scale: Optional[tf.Tensor] = None
) -> List[tf.Tensor]:
    """Clips gradients of `scale · loss` to global norm `clip_norm` measured on the
    gradients of the loss itself, and returns them scaled again (what `apply_gradients`
    of a loss-scaling optimizer expects). A non-finite norm makes every gradient NaN
    (`tf.clip_by_global_norm`), so an overflowed step is still skipped."""
    if scale is None:
        clipped, _ = tf.clip_by_global_norm(gradients, clip_norm)
        return clipped
    unscaled = [None if g is None else g / tf.cast(scale, g.dtype) for g in gradients]
    clipped, _ = tf.clip_by_global_norm(unscaled, clip_norm)
    return [None if g is None else g * tf.cast(scale, g.dtype) for g in clipped]


def make_distributed_eval_step(model, strategy: tf.distribute.Strategy) -> Callable:
    """`step(batch) -> {"bits_per_dim", "weight", and per factor or resolution of an
    auxiliary-variable model (`report_bits_per_dim`)}`: weighted sums over all replicas.

    A mixed-precision model is evaluated in float32: its `float32_copy` (built here, under
    `strategy.scope()`), into which every step first copies the model's current weights
    (in the graph, a few assignments), so weights trained or swapped in (a weight
    average) since are what is evaluated."""
    with strategy.scope():
        evaluated = float32_copy(model)  # `model` itself if it is float32
    refresh = [] if evaluated is model else list(zip(evaluated.weights, model.weights))
    model = evaluated

    def replica_step(batch):
        weight = batch["weight"]
        if len(model.factors()) > 1:  # the loss and a report per factor
            log_probs = model.factor_log_probs(batch["image"])  # once: the loss and the report
            bits = bits_per_dim_of(log_probs, model.image_shape)
            reported = model.report_bits_per_dim(log_probs)
        else:
            bits, reported = _bits_per_dim(model, batch, training=False), {}
        sums = {name: tf.reduce_sum(value * weight) for name, value in reported.items()}
        sums.update(bits_per_dim=tf.reduce_sum(bits * weight), weight=tf.reduce_sum(weight))
        return sums

    @tf.function
    def step(batch) -> Dict[str, tf.Tensor]:
        for target, source in refresh:  # ordered before the reads by auto control deps
            target.assign(tf.cast(source, target.dtype))
        totals = strategy.run(replica_step, args=(batch,))
        return {
            name: strategy.reduce(tf.distribute.ReduceOp.SUM, t, axis=None)
            for name, t in totals.items()
        }

    return step


def evaluate_distributed(eval_step: Callable, distributed_dataset) -> Dict[str, float]:
    """Mean bits/dim over one pass of a weighted, distributed eval dataset:
    `{"bits_per_dim": ..., <factor or resolution>: ...}`."""
    totals = {}
    for batch in distributed_dataset:
        for name, value in eval_step(batch).items():
            totals[name] = totals.get(name, 0.0) + float(value)
    count = totals.pop("weight", 0.0)
    if count == 0:
        raise ValueError("The evaluation dataset is empty.")
    return {name: total / count for name, total in totals.items()}
