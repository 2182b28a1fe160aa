"""The training run: one custom loop for one device, MirroredStrategy and
MultiWorkerMirroredStrategy, with checkpoints, evaluation, summaries and samples.

    workdir/             any filesystem TensorFlow supports (local, gs://, hdfs://, ram://)
      config.json        the resolved config (written once the checkpoint matched it)
      trainer_lock.<token>.json  while a trainer runs: one trainer per workdir
      model.json         the model's Keras config (export / sampling rebuild it)
      checkpoints/       tf.train.CheckpointManager: model, optimizer, step, weight average
      checkpoints/best/  with data.validation_size: the lowest validation bits/dim so far
      train/  eval/      TensorBoard summaries
      samples/           PNG grids of samples during training; samples.png at the end
      model.keras        the final model (Polyak-averaged weights when kept; the best
                         checkpoint's when a validation split is held out)
      export/<version>/  the SavedModel of the same, when config.export.enabled
      results.json       final test bits/dim and timings, written last

Only the chief writes these; other workers checkpoint into `workdir/tmp_worker_<i>/`
(deleted at the end) because MultiWorkerMirroredStrategy wants every worker to save.
A run restarted with the same config resumes from the newest checkpoint that reads at
the same step and the same data position (the input stream is a function of seed and
step); a loss that becomes NaN or explodes stops the run before it is checkpointed. A
run restarted after it finished only evaluates: it writes nothing (no new export
version, results.json keeps the run's own figures).
"""

import contextlib
import math
import os
import time
from typing import Any, Dict, Mapping, Optional

import keras
import tensorflow as tf

from tf_pixelcnn.training import experiment, run_outputs, summaries
from tf_pixelcnn.training.best_checkpoint import BEST_DIRECTORY, BestCheckpoint, read_best
from tf_pixelcnn.training.checkpoint_files import (
    UnreadableCheckpointError,
    restore_named,
    restore_newest,
)
from tf_pixelcnn.training.distributed_steps import make_distributed_train_step
from tf_pixelcnn.training.divergence_guard import (
    DEFAULT_FACTOR,
    DivergenceGuard,
    LossDivergedError,
)
from tf_pixelcnn.training.run_config import write_run_config
from tf_pixelcnn.training.strategies import is_chief, make_strategy
from tf_pixelcnn.training.training_run import CheckpointMismatchError, TrainingRun
from tf_pixelcnn.training.workdir_lock import WorkdirLock, WorkdirLockedError
from tf_pixelcnn.training.workdir_model import with_head_width_of
from tf_pixelcnn.training.workdir_model import write_model_config
from tf_pixelcnn.utils.progress_line import ProgressLine

__all__ = [
    "CheckpointMismatchError",
    "LossDivergedError",
    "NonFiniteLossError",
    "UnreadableCheckpointError",
    "WorkdirLockedError",
    "evaluate_checkpoint",
    "evaluate_model",
    "train_and_evaluate",
]


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; no checkpoint was written after it."""


@contextlib.contextmanager
def _run_environment(config: Mapping[str, Any]):
    """Seeds, op determinism and the mixed-precision policy of `config` (restored after)."""
    keras.utils.set_random_seed(int(config["seed"]))
    if config.get("deterministic", True):
        tf.config.experimental.enable_op_determinism()
    policy = config["train"].get("mixed_precision") or None
    previous_policy = keras.mixed_precision.global_policy()
    if policy:
        keras.mixed_precision.set_global_policy(policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def train_and_evaluate(config: Mapping[str, Any], workdir: str) -> Dict[str, Any]:
    """Trains the model of `config` in `workdir` (resuming from its newest checkpoint).

    Args:
        config: The nested dict of a `launch/configs` config (`config.to_dict()`).
        workdir: Output directory on any `tf.io.gfile` filesystem; shared storage for
            multi-worker runs.

    Returns:
        On the chief, `{"step", "test_bits_per_dim", "train_seconds", "images_per_second",
        ...}` (also written to `workdir/results.json`); on other workers the same without
        files written. A finished run returns its results.json with a fresh
        `test_bits_per_dim_now` and writes nothing.

    Raises:
        NonFiniteLossError: the loss became NaN or infinite (the message names the step;
            the checkpoints written before it are intact).
        LossDivergedError: the loss exploded while finite (see `DivergenceGuard`); as
            above, with the last good checkpoint named.
        WorkdirLockedError: another trainer holds `workdir` (nothing was written).
        CheckpointMismatchError: the workdir's checkpoint is another model's (nothing
            was written; config.json stays the workdir's own).
        UnreadableCheckpointError: no checkpoint of the workdir can be read (each file
            at fault named); a newest one that cannot be read is skipped with a warning.
    """
    strategy = make_strategy(config["strategy"], config.get("num_cpu_devices") or None)
    # One trainer per workdir; the workers of a multi-worker run share the chief's.
    lock = WorkdirLock(workdir) if is_chief(strategy) else contextlib.nullcontext()
    with lock, _run_environment(config):
        return _Trainer(TrainingRun(config, workdir, strategy)).run()


def evaluate_checkpoint(
    config: Mapping[str, Any], workdir: str, checkpoint: Optional[str] = None
) -> Dict[str, Any]:
    """Test-split bits/dim of a checkpoint (the newest in `workdir/checkpoints/` that
    reads by default, skipping unreadable ones with a warning), with the Polyak-averaged
    weights when the config keeps them."""
    strategy = make_strategy(config["strategy"], config.get("num_cpu_devices") or None)
    with _run_environment(config):
        run = TrainingRun(config, workdir, strategy)
        if checkpoint:
            restore_named(checkpoint, run.restore)
        else:
            checkpoint = restore_newest(run.checkpoint_dir, run.restore)
        if checkpoint is None:
            raise FileNotFoundError(f"No checkpoint in {run.checkpoint_dir}: train first.")
        results = {"checkpoint": checkpoint, "step": int(run.step.numpy())}
        results["test_bits_per_dim"] = run.evaluate()
        if run.factor_bits:
            results["test_bits_per_dim_by_factor"] = run.factor_bits
        return results


def evaluate_model(config: Mapping[str, Any], model) -> Dict[str, Any]:
    """Test-split bits/dim of an in-memory model (e.g. a `.keras` file, or factors trained
    in separate runs and combined) with `config`'s data and evaluation settings, on one
    device; `model` must have the configuration `config["model"]` builds."""
    keras.utils.set_random_seed(int(config["seed"]))
    # A model saved before the head's default widened is checked against its own width.
    model_config = with_head_width_of(config["model"], type(model), model.get_config())
    config = {**dict(config), "model": model_config}
    run = TrainingRun(config, "/nonexistent-workdir-never-written", make_strategy("default"))
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


class _Trainer:
    """The loop of one `TrainingRun`: steps, logs, checkpoints, evaluations, outputs."""

    def __init__(self, run: TrainingRun):
        self.run_state = run
        train = run.train_config
        self.log_every = int(train.get("log_every", 100))
        self.checkpoint_every = int(train.get("checkpoint_every", 1000))
        self.eval_every = int(train.get("eval_every", 0))
        self.sample_every = int(train.get("sample_every", 0))
        self.writers = {}  # opened once the run is known to train or finish (not a rerun)

    def say(self, message: str) -> None:
        if self.run_state.chief:
            print(message, flush=True)

    # --- The whole run --------------------------------------------------------------

    def run(self) -> Dict[str, Any]:
        run = self.run_state
        # Every worker reads the chief's newest checkpoint that reads; the chief writes
        # the state file again if it was lost or named an unreadable checkpoint.
        latest = restore_newest(run.checkpoint_dir, run.restore, repair_state=run.chief)
        start_step = int(run.step.numpy())
        finished = run_outputs.read_results(run.workdir)  # every worker: shared storage
        if start_step >= run.num_steps and finished and finished.get("step") == start_step:
            return self._evaluate_finished_run(finished)
        self.writers = {
            name: tf.summary.create_file_writer(os.path.join(run.workdir, name))
            if run.chief
            else tf.summary.create_noop_writer()
            for name in ("train", "eval")
        }
        manager = run.checkpoint_manager(latest=latest)
        best = None
        if run.validation_size:
            best = BestCheckpoint(
                run.checkpoint_manager(BEST_DIRECTORY, max_to_keep=1, latest=latest),
                os.path.join(run.checkpoint_dir, BEST_DIRECTORY),
                run.chief,
            )
        if run.chief:  # the checkpoint (if any) matched: the config is the workdir's now
            write_run_config(run.config, run.workdir, self.say)
            write_model_config(run.model, run.workdir)
        self.say(
            f"{'Resuming at' if start_step else 'Starting at'} step {start_step} of "
            f"{run.num_steps}: {run.strategy.num_replicas_in_sync} replica(s), global "
            f"batch {run.global_batch_size}, workdir {run.workdir}"
        )
        timing = self._train(start_step, manager, best)
        results = self._finish(start_step, timing, best)
        if not run.chief:
            tf.io.gfile.rmtree(run.worker_directory)
        for writer in self.writers.values():
            writer.flush()
        return results

    def _evaluate_finished_run(self, finished: Dict[str, Any]) -> Dict[str, Any]:
        run = self.run_state
        self.say(
            f"The run in {run.workdir} finished at step {run.num_steps}; evaluating only "
            "(nothing is written: delete results.json to write the outputs again)."
        )
        checkpoint = finished.get("model_checkpoint")
        if checkpoint and checkpoint != tf.train.latest_checkpoint(run.checkpoint_dir):
            run.restore(checkpoint)  # the selected (best) checkpoint
        bits = self._report_eval(int(run.step.numpy()), "test", write_summary=False)
        return {**finished, "test_bits_per_dim_now": bits}

    # --- Training -------------------------------------------------------------------

    def _checkpointing(self, manager, guard: DivergenceGuard):
        """`save(step)` (refuses a non-finite or diverged state) and the preemption
        handler."""
        run = self.run_state
        state = [v for v in run.checkpoint_variables() if tf.as_dtype(v.dtype).is_floating]
        all_finite = tf.function(
            lambda: tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in state])
        )

        def save(step: int) -> None:
            if not bool(all_finite()):  # never checkpoint a state that went inf/NaN
                raise NonFiniteLossError(
                    f"The model or optimizer state became NaN or infinite at step {step}. "
                    f"Stopped without checkpointing it; {self._last_good()}. Lower "
                    "train.learning_rate or set train.gradient_clip_norm, then restart."
                )
            # Nor one whose loss exploded: rotation would delete the good ones.
            self._check_divergence(guard.end_window(), step)
            manager.save(checkpoint_number=step)

        def save_on_preemption() -> None:
            step = int(run.step.numpy())
            self.say(f"Preemption notice: saving a checkpoint at step {step}, then exiting.")
            save(step)

        # A preemption notice (SIGTERM on any worker) makes every worker save at the same
        # step, named by the step, then exit (code 42 outside GCP: TensorFlow's default).
        handler = tf.distribute.experimental.PreemptionCheckpointHandler(
            getattr(run.strategy, "cluster_resolver", None),
            manager,
            termination_config=tf.distribute.experimental.TerminationConfig(
                save_fn=save_on_preemption
            ),
        )
        return save, handler

    def _train(self, start_step: int, manager, best: Optional[BestCheckpoint]) -> Dict:
        """Steps from `start_step` to the end; returns timing figures."""
        run, train = self.run_state, self.run_state.train_config
        guard = DivergenceGuard(
            int(run.data_config["num_levels"]), train.get("divergence_factor", DEFAULT_FACTOR)
        )
        save, handler = self._checkpointing(manager, guard)
        train_step = make_distributed_train_step(
            run.model,
            run.optimizer,
            run.strategy,
            run.global_batch_size,
            weight_average=run.average,
            step_counter=run.step,
            gradient_clip_norm=train.get("gradient_clip_norm") or None,
            jit_compile=bool(train.get("jit_compile", False)),
            factors=run.factors,
        )
        iterator = iter(run.distributed_dataset("train", True, start_step=start_step))
        progress = ProgressLine(
            run.num_steps, items_per_step=run.global_batch_size, start_step=start_step
        )
        window = _Window()
        train_start, step, steady_start = time.monotonic(), start_step, None
        while step < run.num_steps:
            loss = float(handler.run(train_step, iterator))
            step += 1
            self._check_finite(loss, step)
            self._check_divergence(guard.add(loss), step)
            window.add(loss)
            if step % self.log_every == 0 or step == run.num_steps:
                self._log_window(step, window, progress)  # shows the window, then checks it
                self._check_divergence(guard.end_window(), step)
                steady_start = steady_start or (step, window.start)
            if step % self.checkpoint_every == 0 or step == run.num_steps:
                save(step)
            if self.eval_every and step % self.eval_every == 0 and step < run.num_steps:
                self._periodic_eval(step, best)
            if self.sample_every and step % self.sample_every == 0 and step < run.num_steps:
                self._samples(step)
        end = time.monotonic()
        steady = None  # after the first log window (tracing), with checkpoints and evals
        if steady_start and step > steady_start[0]:
            steady = (step - steady_start[0]) * run.global_batch_size / (end - steady_start[1])
        return {"step": step, "train_seconds": end - train_start, "images_per_second": steady}

    def _check_finite(self, loss: float, step: int) -> None:
        if not math.isfinite(loss):
            raise NonFiniteLossError(
                f"The training loss became {loss} at step {step} (bits/dim of that step's "
                f"batch). Stopped without checkpointing it; {self._last_good()}. Lower "
                "train.learning_rate or set train.gradient_clip_norm, then restart."
            )

    def _check_divergence(self, reason: Optional[str], step: int) -> None:
        """Stops the run as a NaN does when `reason` (a `DivergenceGuard` answer) says
        the loss exploded."""
        if reason is None:
            return
        factor = self.run_state.train_config.get("divergence_factor", DEFAULT_FACTOR)
        raise LossDivergedError(
            f"{reason}, at step {step}. Stopped without checkpointing it; "
            f"{self._last_good()}; results.json and model.keras are left as they were. "
            "Lower train.learning_rate or set train.gradient_clip_norm, then restart: the "
            f"run resumes from that checkpoint (train.divergence_factor={factor} sets the "
            "limit; 0 switches it off)."
        )

    def _last_good(self) -> str:
        """The checkpoint a stopped run resumes from (and the best validation one)."""
        run = self.run_state
        newest = tf.train.latest_checkpoint(run.checkpoint_dir)
        text = f"the last good checkpoint is {newest}" if newest else "no checkpoint was written"
        record = read_best(os.path.join(run.checkpoint_dir, BEST_DIRECTORY))
        if run.validation_size and record:
            text += (
                f" (the best validation one: {record['checkpoint']}, "
                f"{record['validation_bits_per_dim']:.4f} bits/dim at step {record['step']})"
            )
        return text

    def _log_window(self, step: int, window: "_Window", progress: ProgressLine) -> None:
        run = self.run_state
        seconds = time.monotonic() - window.start
        images_per_second = window.steps * run.global_batch_size / max(seconds, 1e-9)
        mean_loss = window.mean()
        with self.writers["train"].as_default(step=step):
            tf.summary.scalar("bits_per_dim", mean_loss)
            tf.summary.scalar("learning_rate", experiment.current_learning_rate(run.optimizer))
            tf.summary.scalar("images_per_second", images_per_second)
        if run.chief:
            progress.update(step, **{"bits/dim": mean_loss})
        window.reset()

    # --- Evaluation and outputs -----------------------------------------------------

    def _report_eval(self, step: int, split: str, write_summary: bool = True) -> float:
        """Bits/dim of `split`, printed and (by default) summarised under eval/."""
        run = self.run_state
        self.say(f"step {step}: evaluating the {split} split...")
        bits = run.evaluate(split)
        if write_summary:
            prefix = "" if split == "test" else f"{split}/"
            with self.writers["eval"].as_default(step=step):
                tf.summary.scalar(f"{prefix}bits_per_dim", bits)
                for name, value in run.factor_bits.items():
                    tf.summary.scalar(f"{prefix}bits_per_dim/{name}", value)
            if run.chief:  # the per-pixel map of the split's first records
                summaries.write_split_map(self.writers["eval"], step, run, split)
        parts = "".join(f", {name} {value:.4f}" for name, value in run.factor_bits.items())
        self.say(f"step {step}: {split} bits/dim {bits:.4f}{parts}")
        return bits

    def _periodic_eval(self, step: int, best: Optional[BestCheckpoint]) -> None:
        """Validation bits/dim (keeping the best checkpoint) when a split is held out,
        else test bits/dim."""
        if best is None:
            self._report_eval(step, "test")
            return
        if best.update(step, self._report_eval(step, "validation")):
            self.say(f"step {step}: the best validation bits/dim so far: checkpoint kept")

    def _samples(self, step: int) -> Optional[str]:
        run = self.run_state
        num_samples = int(run.train_config.get("num_samples", 0))
        if not run.chief or num_samples <= 0:
            return None
        self.say(f"step {step}: sampling {num_samples} images...")
        test_batch = None
        if run.model.side_information_spec is not None or run.model.condition_spec.kind == "image":
            test_batch = run.local_batch("test", num_samples)  # reconstructed / conditions
        seed = (int(run.config["seed"]), step)
        picture = run_outputs.sample_images(run.model, num_samples, seed, test_batch)
        to_images, levels = experiment.sample_picture(run.data_config)  # codes: decoded
        picture = picture._replace(images=to_images(picture.images))
        grid = run_outputs.picture_grid(picture.images, picture.columns, levels)
        summaries.write_sample_images(self.writers["eval"], step, run.model, picture, grid, levels)
        return run_outputs.write_samples(run.workdir, step, grid)

    def _finish(self, start_step: int, timing: Dict, best: Optional[BestCheckpoint]) -> Dict:
        """Final evaluation(s), samples, model.keras, export and results.json (last)."""
        run = self.run_state
        step = timing["step"]
        results = {"step": step, "resumed_from_step": start_step, **timing}
        selected = tf.train.latest_checkpoint(run.checkpoint_dir)
        if best is not None:
            self._periodic_eval(step, best)
            results["test_bits_per_dim_final_step"] = self._report_eval(step, "test")
            record = read_best(best.record_directory)
            if record is None:  # no finite validation figure: keep the final checkpoint
                self.say("No validation evaluation was finite: keeping the final checkpoint.")
            else:
                results["best_step"] = record["step"]
                results["validation_bits_per_dim"] = record["validation_bits_per_dim"]
                selected = record["checkpoint"]
                run.restore(selected)  # the run is over: evaluate and write the best model
                self.say(f"Selected the best validation checkpoint: {selected}")
        results["test_bits_per_dim"] = self._report_eval(int(run.step.numpy()), "test")
        results["test_bits_per_dim_by_factor"] = run.factor_bits or None
        samples = self._samples(step)
        if run.chief:
            if samples:
                path = os.path.join(run.workdir, run_outputs.SAMPLES_FILE)
                tf.io.gfile.copy(samples, path, overwrite=True)
                results["samples"] = path
            results.update(
                run_outputs.write_final_model(
                    run_outputs.trained_copy(run.model, run.average),  # `selected`'s weights
                    run.workdir, selected, run.config.get("export", {}), self.say,
                )  # fmt: skip
            )
            summaries.write_run_summary(
                self.writers["eval"], step, run.config, results, run.workdir
            )
            run_outputs.write_results(run.workdir, results)
        return results


class _Window:
    """Losses since the last progress line."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.total, self.steps, self.start = 0.0, 0, time.monotonic()

    def add(self, loss: float) -> None:
        self.total, self.steps = self.total + loss, self.steps + 1

    def mean(self) -> float:
        return self.total / max(self.steps, 1)
