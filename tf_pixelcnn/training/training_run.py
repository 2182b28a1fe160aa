"""The state of one training run: model, optimizer, average, step, checkpoint and data."""

import os
from typing import Any, Dict, Mapping, Optional

import tensorflow as tf

from tf_pixelcnn.data.pipeline import make_dataset
from tf_pixelcnn.training import experiment
from tf_pixelcnn.training.checkpoint_files import naming_unreadable_files
from tf_pixelcnn.training.distributed_steps import (
    check_factors,
    evaluate_distributed,
    make_distributed_eval_step,
)
from tf_pixelcnn.training.strategies import is_chief, worker_index
from tf_pixelcnn.training.weight_average import WeightAverage
from tf_pixelcnn.training.workdir_model import CHECKPOINT_DIRECTORY
from tf_pixelcnn.training.workdir_model import model_config_differences
from tf_pixelcnn.training.workdir_model import with_saved_head_width


class CheckpointMismatchError(ValueError):
    """A workdir's checkpoint belongs to another model or optimizer than the config's."""


class TrainingRun:
    """Everything a run checkpoints, built under the strategy's scope, and its data.

    Args:
        config: The nested dict of a `launch/configs` config.
        workdir: The run's directory (any `tf.io.gfile` filesystem).
        strategy: The `tf.distribute` strategy of the run.
    """

    def __init__(
        self, config: Mapping[str, Any], workdir: str, strategy: tf.distribute.Strategy
    ):
        self.config, self.workdir, self.strategy = config, workdir, strategy
        self.train_config, self.data_config = config["train"], config["data"]
        self.eval_config = config.get("eval", {})
        self.chief = is_chief(strategy)
        self.checkpoint_dir = os.path.join(workdir, CHECKPOINT_DIRECTORY)
        self.global_batch_size = int(self.train_config["global_batch_size"])
        self.num_steps = int(self.train_config["num_steps"])
        # Records of the train split held out for validation (never the test split).
        self.validation_size = int(self.data_config.get("validation_size") or 0)
        with strategy.scope():
            model_config = with_saved_head_width(config["model"], workdir)
            self.model = experiment.build_model(model_config, self.data_config)
            self.optimizer = experiment.build_optimizer(self.train_config)
            self.optimizer.build(self.model.trainable_variables)
            decay = self.train_config.get("polyak_decay")
            self.average = (
                WeightAverage(self.model.trainable_variables, float(decay)) if decay else None
            )
            # Training steps taken: names checkpoints, and fixes the data position on
            # resume (a loss-scale optimizer's own counter skips overflowing steps).
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        _check_mixed_float16_replicas(self.train_config, strategy)
        parts = {"model": self.model, "optimizer": self.optimizer, "step": self.step}
        if self.average is not None:
            parts["average"] = self.average
        random_state = random_state_variables(self.model)
        if random_state:  # dropout's generators: a resumed run draws the same masks
            parts["random_state"] = random_state
        self.checkpoint = tf.train.Checkpoint(**parts)
        self.eval_step = make_distributed_eval_step(self.model, strategy)
        self.factor_bits: Dict[str, float] = {}
        factors = self.train_config.get("factors")
        self.factors = check_factors(
            self.model, [f.strip() for f in factors.split(",")] if factors else None
        )

    # --- Data -----------------------------------------------------------------------

    def distributed_dataset(
        self, split: str, training: bool, start_step: int = 0, batch_size: Optional[int] = None
    ):
        """`make_dataset` per input pipeline of the strategy: "train", "validation"
        (held out from train) or "test"."""
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

    def local_batch(self, split: str, batch_size: int) -> Dict[str, tf.Tensor]:
        """The first `batch_size` records of `split` in record order, on this process."""
        dataset = make_dataset(
            split=split,
            global_batch_size=batch_size,
            training=False,
            **experiment.dataset_kwargs(self.data_config),
        )
        return next(iter(dataset))

    # --- Evaluation -----------------------------------------------------------------

    def evaluate(self, split: str = "test") -> float:
        """Bits/dim of `split` (averaged weights when kept); per factor or resolution of
        auxiliary-variable models in `self.factor_bits`."""
        batch_size = int(self.eval_config.get("global_batch_size") or self.global_batch_size)
        dataset = self.distributed_dataset(split, training=False, batch_size=batch_size)
        if self.average is None:
            means = evaluate_distributed(self.eval_step, dataset)
        else:
            with self.average.swapped_in():
                means = evaluate_distributed(self.eval_step, dataset)
        bits = means.pop("bits_per_dim")
        self.factor_bits = means
        return bits

    # --- Checkpoints ----------------------------------------------------------------

    def restore(self, path: str) -> None:
        """Restores every model, optimizer and average value from `path`, or says why not.

        Raises:
            CheckpointMismatchError: the checkpoint holds another model or optimizer.
            UnreadableCheckpointError: a file of `path` is missing, truncated or corrupt
                (the message names it).
        """
        try:
            with naming_unreadable_files(path):
                self.checkpoint.restore(path).expect_partial().assert_existing_objects_matched()
        except (AssertionError, ValueError) as error:
            raise CheckpointMismatchError(
                f"Checkpoint {path} does not match this config's model and optimizer (was "
                "the workdir trained with another config?). Use a new --workdir, or the "
                "config that wrote it (config.json, or an earlier config.<n>.json in "
                f"{self.workdir}).{self._model_differences()} ({error})"
            ) from None

    def _model_differences(self) -> str:
        """Where the workdir's `model.json` and this config's model differ, named."""
        differences = model_config_differences(self.model, self.workdir)
        if not differences:
            return ""
        return " The workdir's model.json and this config's model differ in: " + "; ".join(
            differences
        ) + "."

    def checkpoint_variables(self):
        variables = list(self.model.variables) + list(self.optimizer.variables)
        if self.average is not None:
            variables += list(self.average.averages)
        return variables

    @property
    def worker_directory(self) -> str:
        """Where a non-chief worker saves its (discarded) checkpoints."""
        return os.path.join(self.workdir, f"tmp_worker_{worker_index(self.strategy)}")

    def checkpoint_manager(
        self, subdirectory: str = "", max_to_keep: Optional[int] = None, latest: str = None
    ) -> tf.train.CheckpointManager:
        """A manager of `checkpoints/<subdirectory>` on the chief; other workers save into
        `tmp_worker_<i>/` (MultiWorkerMirroredStrategy wants every worker to save)."""
        directory = os.path.join(self.checkpoint_dir, subdirectory)
        if not self.chief:
            directory = os.path.join(self.worker_directory, subdirectory)
            if tf.io.gfile.exists(directory):
                tf.io.gfile.rmtree(directory)
        if max_to_keep is None:
            max_to_keep = int(self.train_config.get("max_checkpoints", 3))
        return tf.train.CheckpointManager(
            self.checkpoint,
            directory,
            max_to_keep=max_to_keep,
            step_counter=self.step,
            # Non-chief workers start from an empty directory: they (and the preemption
            # handler's counter) load the chief's newest checkpoint instead.
            init_fn=(lambda: self.checkpoint.restore(latest).expect_partial())
            if latest and not self.chief
            else None,
        )


def random_state_variables(model) -> list:
    """The states of the model's random generators (`keras.random.SeedGenerator`, e.g. of
    dropout layers): Keras keeps them out of `model.weights`, so `tf.train.Checkpoint`
    would not save them and a resumed run would draw other dropout masks. Keras 3 lists
    them in `model.variables` (with the weights), so they are the variables that are not
    weights."""
    weights = {id(weight) for weight in model.weights}
    return [
        variable.value  # the tf.Variable under the Keras one
        for variable in model.variables
        if id(variable) not in weights
    ]


def _check_mixed_float16_replicas(train_config, strategy) -> None:
    if train_config.get("mixed_precision") == "mixed_float16" and (
        strategy.num_replicas_in_sync > 1
    ):
        raise ValueError(
            "mixed_float16 runs on one replica only: Keras' loss-scale optimizer decides "
            "to skip a step from one replica's gradients, so replicas could disagree. "
            "Use mixed_bfloat16 (no loss scaling; A100/H100/TPU) for distributed runs. "
            f"Received: mixed_precision='mixed_float16' with "
            f"{strategy.num_replicas_in_sync} replicas."
        )
