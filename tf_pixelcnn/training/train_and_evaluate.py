"""The training run: one custom loop for one device, MirroredStrategy and
MultiWorkerMirroredStrategy, with checkpoints, evaluation, summaries and samples.

    workdir/
      config.json        the resolved config (written by launch/train.py)
      model.json         the model's Keras config (export / sampling rebuild it)
      checkpoints/       tf.train.CheckpointManager: model, optimizer, step, weight average
      train/  eval/      TensorBoard summaries
      samples/           PNG grids of samples during training; samples.png at the end
      model.keras        the final model (Polyak-averaged weights when kept)
      export/<version>/  the SavedModel of the same, when config.export.enabled
      results.json       final test bits/dim and timings

Only the chief writes these; other workers checkpoint into `workdir/tmp_worker_<i>/`
(deleted at the end) because MultiWorkerMirroredStrategy wants every worker to save.
A run restarted with the same config resumes from the newest checkpoint at the same
step and the same data position (the input stream is a function of seed and step).
"""

import json
import math
import os
import shutil
import time
from typing import Any, Dict, Mapping, Optional

import keras
import numpy as np
import tensorflow as tf

from tf_pixelcnn.data.pipeline import make_dataset
from tf_pixelcnn.sampling.sample import sample
from tf_pixelcnn.training import experiment
from tf_pixelcnn.training.distributed_steps import (
    check_factors,
    evaluate_distributed,
    make_distributed_eval_step,
    make_distributed_train_step,
)
from tf_pixelcnn.training.strategies import is_chief, make_strategy, worker_index
from tf_pixelcnn.training.weight_average import WeightAverage
from tf_pixelcnn.training.workdir_model import CHECKPOINT_DIRECTORY, write_model_config
from tf_pixelcnn.utils.image_grid import image_grid, write_png
from tf_pixelcnn.utils.progress_line import ProgressLine


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; no checkpoint was written after it."""


class CheckpointMismatchError(ValueError):
    """A workdir's checkpoint belongs to another model or optimizer than the config's."""


def train_and_evaluate(config: Mapping[str, Any], workdir: str) -> Dict[str, Any]:
    """Trains the model of `config` in `workdir` (resuming from its newest checkpoint).

    Args:
        config: The nested dict of a `launch/configs` config (`config.to_dict()`).
        workdir: Output directory; shared storage for multi-worker runs.

    Returns:
        On the chief, `{"step", "test_bits_per_dim", "train_seconds", "images_per_second",
        ...}` (also written
        to `workdir/results.json`); on other workers the same without files written.

    Raises:
        NonFiniteLossError: the loss became NaN or infinite (the message names the step;
            the checkpoints written before it are intact).
    """
    train_config = config["train"]
    strategy = make_strategy(config["strategy"], config.get("num_cpu_devices") or None)
    keras.utils.set_random_seed(int(config["seed"]))
    if config.get("deterministic", True):
        tf.config.experimental.enable_op_determinism()
    policy = train_config.get("mixed_precision") or None
    previous_policy = keras.mixed_precision.global_policy()
    if policy:
        keras.mixed_precision.set_global_policy(policy)
    try:
        return _Run(config, workdir, strategy).run()
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def evaluate_checkpoint(
    config: Mapping[str, Any], workdir: str, checkpoint: Optional[str] = None
) -> Dict[str, Any]:
    """Test-split bits/dim of a checkpoint (the newest in `workdir/checkpoints/` by default),
    with the Polyak-averaged weights when the config keeps them."""
    strategy = make_strategy(config["strategy"], config.get("num_cpu_devices") or None)
    keras.utils.set_random_seed(int(config["seed"]))
    if config.get("deterministic", True):
        tf.config.experimental.enable_op_determinism()
    policy = config["train"].get("mixed_precision") or None
    previous_policy = keras.mixed_precision.global_policy()
    if policy:
        keras.mixed_precision.set_global_policy(policy)
    try:
        return _evaluate(config, workdir, strategy, checkpoint)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def evaluate_model(config: Mapping[str, Any], model) -> Dict[str, Any]:
    """Test-split bits/dim of an in-memory model (e.g. a `.keras` file, or factors trained
    in separate runs and combined) with `config`'s data and evaluation settings, on one
    device; `model` must have the configuration `config["model"]` builds."""
    keras.utils.set_random_seed(int(config["seed"]))
    strategy = make_strategy("default")
    run = _Run(config, "/nonexistent-workdir-never-written", strategy)
    expected, received = run.model.get_config(), model.get_config()
    expected.pop("name", None), received.pop("name", None)
    if type(model) is not type(run.model) or expected != received:
        raise CheckpointMismatchError(
            f"The model does not match the config's model: expected a "
            f"{type(run.model).__name__} with {expected}; received a {type(model).__name__} "
            f"with {received}."
        )
    run.model.set_weights(model.get_weights())
    run.average = None  # the given weights are the ones to evaluate
    results = {"test_bits_per_dim": run.evaluate()}
    if run.factor_bits:
        results["test_bits_per_dim_by_factor"] = run.factor_bits
    return results


def _evaluate(config, workdir, strategy, checkpoint):
    run = _Run(config, workdir, strategy)
    checkpoint = checkpoint or tf.train.latest_checkpoint(run.checkpoint_dir)
    if checkpoint is None:
        raise FileNotFoundError(f"No checkpoint in {run.checkpoint_dir}: train first.")
    run.restore(checkpoint)
    bits = run.evaluate()
    step = int(run.step.numpy())
    results = {"checkpoint": checkpoint, "step": step, "test_bits_per_dim": bits}
    if run.factor_bits:
        results["test_bits_per_dim_by_factor"] = run.factor_bits
    return results


class _Run:
    """The state of one training run (built under the strategy's scope)."""

    def __init__(self, config, workdir: str, strategy: tf.distribute.Strategy):
        self.config, self.workdir, self.strategy = config, workdir, strategy
        self.train_config, self.data_config = config["train"], config["data"]
        self.eval_config = config.get("eval", {})
        self.chief = is_chief(strategy)
        self.checkpoint_dir = os.path.join(workdir, CHECKPOINT_DIRECTORY)
        self.global_batch_size = int(self.train_config["global_batch_size"])
        self.num_steps = int(self.train_config["num_steps"])
        with strategy.scope():
            self.model = experiment.build_model(config["model"], self.data_config)
            self.optimizer = experiment.build_optimizer(self.train_config)
            self.optimizer.build(self.model.trainable_variables)
            decay = self.train_config.get("polyak_decay")
            self.average = (
                WeightAverage(self.model.trainable_variables, float(decay)) if decay else None
            )
            # Training steps taken: names checkpoints, and fixes the data position on
            # resume (a loss-scale optimizer's own counter skips overflowing steps).
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        if self.train_config.get("mixed_precision") == "mixed_float16" and (
            strategy.num_replicas_in_sync > 1
        ):
            raise ValueError(
                "mixed_float16 runs on one replica only: Keras' loss-scale optimizer decides "
                "to skip a step from one replica's gradients, so replicas could disagree. "
                "Use mixed_bfloat16 (no loss scaling; A100/H100/TPU) for distributed runs. "
                f"Received: mixed_precision='mixed_float16' with "
                f"{strategy.num_replicas_in_sync} replicas."
            )
        parts = {"model": self.model, "optimizer": self.optimizer, "step": self.step}
        if self.average is not None:
            parts["average"] = self.average
        self.checkpoint = tf.train.Checkpoint(**parts)
        self.eval_step = make_distributed_eval_step(self.model, strategy)
        self.factor_bits = {}
        factors = self.train_config.get("factors")
        self.factors = check_factors(
            self.model, [f.strip() for f in factors.split(",")] if factors else None
        )

    # --- Data -----------------------------------------------------------------------

    def _distributed(self, split: str, training: bool, start_step: int = 0, batch_size=None):
        kwargs = experiment.dataset_kwargs(self.data_config)
        batch_size = batch_size or self.global_batch_size

        def dataset_fn(input_context):
            return make_dataset(
                split=split,
                global_batch_size=batch_size,
                input_context=input_context,
                seed=int(self.config["seed"]),
                start_step=start_step,
                num_steps=self.num_steps if training else None,
                training=training,
                **kwargs,
            )

        return self.strategy.distribute_datasets_from_function(dataset_fn)

    # --- Evaluation and samples -----------------------------------------------------

    def evaluate(self) -> float:
        """Test bits/dim; per factor or resolution in `self.factor_bits`."""
        batch_size = int(self.eval_config.get("global_batch_size") or self.global_batch_size)
        dataset = self._distributed("test", training=False, batch_size=batch_size)
        if self.average is None:
            means = evaluate_distributed(self.eval_step, dataset)
        else:
            with self.average.swapped_in():
                means = evaluate_distributed(self.eval_step, dataset)
        bits = means.pop("bits_per_dim")
        self.factor_bits = means
        return bits

    def _write_samples(self, step: int, writer) -> Optional[str]:
        num_samples = int(self.train_config.get("num_samples", 0))
        if not self.chief or num_samples <= 0:
            return None
        model, seed = self.model, (int(self.config["seed"]), step)
        levels = self.data_config["num_levels"]
        if hasattr(model, "reconstruct"):  # auto-encoder: test images and reconstructions
            batch = next(iter(self._local_test_batch(num_samples)))
            images = batch["image"]
            picture = np.concatenate([images.numpy(), model.reconstruct(images, seed).numpy()])
            columns = num_samples
        elif getattr(model, "num_classes", None):
            classes = min(model.num_classes, 10)
            per_class = max(num_samples // classes, 1)
            labels = np.repeat(np.arange(classes, dtype=np.int32), per_class)
            picture, columns = sample(model, condition=labels, seed=seed).numpy(), per_class
        else:
            picture = sample(model, num_samples=num_samples, seed=seed).numpy()
            columns = int(math.ceil(math.sqrt(num_samples)))
        grid = image_grid(picture, levels, columns=columns, zoom=4 if picture.shape[1] <= 16 else 2)
        path = write_png(os.path.join(self.workdir, "samples", f"step_{step:08d}.png"), grid)
        with writer.as_default(step=step):
            tf.summary.image("samples", grid[None], max_outputs=1)
        return path

    def _local_test_batch(self, batch_size: int):
        return make_dataset(
            split="test",
            global_batch_size=batch_size,
            training=False,
            **experiment.dataset_kwargs(self.data_config),
        )

    # --- The loop -------------------------------------------------------------------

    def restore(self, path: str) -> None:
        """Restores every model, optimizer and average value from `path`, or says why not."""
        try:
            self.checkpoint.restore(path).expect_partial().assert_existing_objects_matched()
        except (AssertionError, ValueError) as error:
            raise CheckpointMismatchError(
                f"Checkpoint {path} does not match this config's model and optimizer (was "
                "the workdir trained with another config?). Use a new --workdir, or the "
                "config that wrote it (config.json, or an earlier config.<n>.json in "
                f"{self.workdir}). ({error})"
            ) from None

    def checkpoint_variables(self):
        variables = list(self.model.variables) + list(self.optimizer.variables)
        if self.average is not None:
            variables += list(self.average.averages)
        return variables

    def _checkpoint_manager(self, latest: Optional[str]) -> tf.train.CheckpointManager:
        directory = self.checkpoint_dir
        if not self.chief:  # every worker saves; only the chief's copy is kept
            directory = os.path.join(self.workdir, f"tmp_worker_{worker_index(self.strategy)}")
            if tf.io.gfile.exists(directory):
                tf.io.gfile.rmtree(directory)
        return tf.train.CheckpointManager(
            self.checkpoint,
            directory,
            max_to_keep=int(self.train_config.get("max_checkpoints", 3)),
            step_counter=self.step,
            # Non-chief workers start from an empty directory: they (and the preemption
            # handler's counter) load the chief's newest checkpoint instead.
            init_fn=(lambda: self.checkpoint.restore(latest).expect_partial())
            if latest and not self.chief
            else None,
        )

    def run(self) -> Dict[str, Any]:
        train, chief = self.train_config, self.chief
        latest = tf.train.latest_checkpoint(self.checkpoint_dir)
        if latest:  # every worker reads the chief's newest checkpoint
            self.restore(latest)
        manager = self._checkpoint_manager(latest)
        state = [v for v in self.checkpoint_variables() if tf.as_dtype(v.dtype).is_floating]
        all_finite = tf.function(
            lambda: tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in state])
        )

        def save(step: int) -> None:
            if not bool(all_finite()):  # never checkpoint a state that went inf/NaN
                raise NonFiniteLossError(
                    f"The model or optimizer state became NaN or infinite at step {step}. "
                    "Stopped without checkpointing it; the newest checkpoint is "
                    f"{tf.train.latest_checkpoint(self.checkpoint_dir)}. Lower "
                    "train.learning_rate or set train.gradient_clip_norm, then restart."
                )
            manager.save(checkpoint_number=step)

        # A preemption notice (SIGTERM on any worker) makes every worker save at the same
        # step, named by the step, then exit (code 42 outside GCP: TensorFlow's default).
        handler = tf.distribute.experimental.PreemptionCheckpointHandler(
            getattr(self.strategy, "cluster_resolver", None),
            manager,
            termination_config=tf.distribute.experimental.TerminationConfig(
                save_fn=lambda: save(int(self.step.numpy()))
            ),
        )
        if chief:
            write_model_config(self.model, self.workdir)
        writers = {
            name: tf.summary.create_file_writer(os.path.join(self.workdir, name))
            if chief
            else tf.summary.create_noop_writer()
            for name in ("train", "eval")
        }
        start_step = int(self.step.numpy())
        if chief:
            print(
                f"{'Resuming at' if start_step else 'Starting at'} step {start_step} of "
                f"{self.num_steps}: {self.strategy.num_replicas_in_sync} replica(s), global "
                f"batch {self.global_batch_size}, workdir {self.workdir}",
                flush=True,
            )
        train_step = make_distributed_train_step(
            self.model,
            self.optimizer,
            self.strategy,
            self.global_batch_size,
            weight_average=self.average,
            step_counter=self.step,
            gradient_clip_norm=train.get("gradient_clip_norm") or None,
            jit_compile=bool(train.get("jit_compile", False)),
            factors=self.factors,
        )
        iterator = iter(self._distributed("train", True, start_step=start_step))
        log_every = int(train.get("log_every", 100))
        checkpoint_every = int(train.get("checkpoint_every", 1000))
        eval_every = int(train.get("eval_every", 0))
        sample_every = int(train.get("sample_every", 0))
        progress = ProgressLine(self.num_steps, items_per_step=self.global_batch_size)
        window_loss, window_steps, window_start = 0.0, 0, time.monotonic()
        train_start, step = time.monotonic(), start_step
        steady_start = None  # (step, time) after the first window, which includes tracing
        while step < self.num_steps:
            loss = float(handler.run(train_step, iterator))
            step += 1
            if not math.isfinite(loss):
                raise NonFiniteLossError(
                    f"The training loss became {loss} at step {step} (bits/dim of that step's "
                    f"batch). Stopped without checkpointing it; the newest "
                    f"checkpoint is {tf.train.latest_checkpoint(self.checkpoint_dir)}. Lower "
                    "train.learning_rate or set train.gradient_clip_norm, then restart."
                )
            window_loss, window_steps = window_loss + loss, window_steps + 1
            if step % log_every == 0 or step == self.num_steps:
                seconds = time.monotonic() - window_start
                images_per_second = window_steps * self.global_batch_size / max(seconds, 1e-9)
                mean_loss = window_loss / window_steps
                with writers["train"].as_default(step=step):
                    tf.summary.scalar("bits_per_dim", mean_loss)
                    tf.summary.scalar(
                        "learning_rate", experiment.current_learning_rate(self.optimizer)
                    )
                    tf.summary.scalar("images_per_second", images_per_second)
                if chief:
                    progress.update(step, **{"bits/dim": mean_loss})
                window_loss, window_steps, window_start = 0.0, 0, time.monotonic()
                steady_start = steady_start or (step, window_start)
            if step % checkpoint_every == 0 or step == self.num_steps:
                save(step)
            if eval_every and step % eval_every == 0 and step < self.num_steps:
                self._log_eval(step, writers["eval"])
            if sample_every and step % sample_every == 0 and step < self.num_steps:
                self._write_samples(step, writers["eval"])
        end = time.monotonic()
        train_seconds = end - train_start
        steady_images_per_second = None
        if steady_start and step > steady_start[0]:
            steady_images_per_second = (
                (step - steady_start[0]) * self.global_batch_size / (end - steady_start[1])
            )
        results = {
            "step": step,
            "test_bits_per_dim": self._log_eval(step, writers["eval"]),
            "test_bits_per_dim_by_factor": self.factor_bits or None,
            "train_seconds": train_seconds,
            # after the first log window (tracing), including checkpoints and evaluations
            "images_per_second": steady_images_per_second,
            "resumed_from_step": start_step,
        }
        samples = self._write_samples(step, writers["eval"])
        if chief:
            if samples:
                shutil.copyfile(samples, os.path.join(self.workdir, "samples.png"))
                results["samples"] = os.path.join(self.workdir, "samples.png")
            results.update(self._write_final_model())
            with tf.io.gfile.GFile(os.path.join(self.workdir, "results.json"), "w") as f:
                json.dump(results, f, indent=2)
        else:
            tf.io.gfile.rmtree(manager.directory)
        for writer in writers.values():
            writer.flush()
        return results

    def _log_eval(self, step: int, writer) -> float:
        bits = self.evaluate()
        with writer.as_default(step=step):
            tf.summary.scalar("bits_per_dim", bits)
            for name, value in self.factor_bits.items():
                tf.summary.scalar(f"bits_per_dim/{name}", value)
        if self.chief:
            parts = "".join(f", {name} {value:.4f}" for name, value in self.factor_bits.items())
            print(f"step {step}: test bits/dim {bits:.4f}{parts}", flush=True)
        return bits

    def _write_final_model(self) -> Dict[str, str]:
        """`model.keras` and, when enabled, the SavedModel: the final weights, averaged when
        the config keeps an average (as evaluation uses them)."""
        # Rebuilt from the final checkpoint outside the strategy: plain variables save and
        # export the same way for every strategy.
        from tf_pixelcnn.serving.export_saved_model import export_saved_model
        from tf_pixelcnn.training.workdir_model import restore_from_workdir

        model = restore_from_workdir(self.workdir)
        if self.average is not None:
            average = WeightAverage(model.trainable_variables, self.average.decay)
            tf.train.Checkpoint(average=average).restore(
                tf.train.latest_checkpoint(self.checkpoint_dir)
            ).expect_partial()
            for weight, value in zip(model.trainable_variables, average.averages):
                weight.assign(value)
        paths = {"model": os.path.join(self.workdir, "model.keras")}
        model.save(paths["model"])
        export = self.config.get("export", {})
        if export.get("enabled"):
            paths["saved_model"] = export_saved_model(
                model,
                os.path.join(self.workdir, "export"),
                max_batch=export.get("max_batch") or None,
            )
            print(f"SavedModel: {paths['saved_model']}", flush=True)
        return paths
