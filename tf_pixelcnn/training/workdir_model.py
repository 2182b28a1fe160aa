"""A trained model in a workdir: `model.json` (its Keras config) and `checkpoints/`.

    workdir/
      model.json      keras.saving.serialize_keras_object(model)
      checkpoints/    tf.train.CheckpointManager of tf.train.Checkpoint(model=..., ...)

Binaries that load a trained model (export, sampling, evaluation) rebuild it from
`model.json` and restore the newest checkpoint that reads, or a named one; a checkpoint
file that cannot be read is named in the error (or warning, when an older one is used).
"""

import json
import os
from typing import Optional

import keras
import tensorflow as tf

from tf_pixelcnn.training.checkpoint_files import (
    checkpoint_candidates,
    naming_unreadable_files,
    restore_named,
    restore_newest,
)
from tf_pixelcnn.training.weight_average import restore_averages
from tf_pixelcnn.utils.text_file import write_text

MODEL_CONFIG_FILE = "model.json"
CHECKPOINT_DIRECTORY = "checkpoints"


def write_model_config(model, workdir: str) -> str:
    """Writes `workdir/model.json`, enough to rebuild `model` without its weights."""
    tf.io.gfile.makedirs(workdir)
    path = os.path.join(workdir, MODEL_CONFIG_FILE)
    return write_text(path, json.dumps(keras.saving.serialize_keras_object(model), indent=2))


def restore_model(model_config_path: str, checkpoint: str, use_average: bool = True):
    """Rebuilds the model of `model_config_path` and restores its weights from `checkpoint`:
    the Polyak-averaged ones where the checkpoint keeps an average (what the run
    evaluates and exports), unless `use_average=False`.

    Raises:
        FileNotFoundError: a missing file, named with what to do about it.
        UnreadableCheckpointError: a truncated or corrupt checkpoint file, named, with
            the directory's checkpoints that look intact.
    """
    model = _rebuild(model_config_path)
    if not tf.io.gfile.exists(checkpoint + ".index"):
        raise FileNotFoundError(f"No checkpoint at {checkpoint} (expected {checkpoint}.index).")
    restore_named(checkpoint, lambda prefix: _restore_weights(model, prefix, use_average))
    return model


def has_weight_average(checkpoint: str) -> bool:
    """Whether `checkpoint` holds Polyak averages (`train.polyak_decay` runs)."""
    reader = tf.compat.v1.train.NewCheckpointReader(checkpoint)  # any filesystem
    return any(name.startswith("average/") for name in reader.get_variable_to_shape_map())


def restore_from_workdir(
    workdir: str, checkpoint: Optional[str] = None, use_average: bool = True
):
    """The model of `workdir`, with the newest checkpoint of `workdir/checkpoints/` that
    reads by default (skipping unreadable ones with a warning; averaged weights where
    kept, as `restore_model`)."""
    model_config_path = os.path.join(workdir, MODEL_CONFIG_FILE)
    if checkpoint is not None:
        return restore_model(model_config_path, checkpoint, use_average)
    directory = os.path.join(workdir, CHECKPOINT_DIRECTORY)
    if not checkpoint_candidates(directory)[0]:
        raise FileNotFoundError(f"No checkpoint in {directory}: train first, or pass --checkpoint.")
    model = _rebuild(model_config_path)
    # A restore that failed part-way is overwritten whole by the next (older) one.
    restore_newest(directory, lambda prefix: _restore_weights(model, prefix, use_average))
    return model


def _rebuild(model_config_path: str):
    """The model of `model_config_path` (`model.json`), without its trained weights."""
    if not tf.io.gfile.exists(model_config_path):
        raise FileNotFoundError(
            f"No model config at {model_config_path}; the trainer writes it with "
            "tf_pixelcnn.training.workdir_model.write_model_config."
        )
    import tf_pixelcnn  # noqa: F401  (registers the Keras classes the config names)

    with tf.io.gfile.GFile(model_config_path) as f:
        return keras.saving.deserialize_keras_object(json.load(f))


def _restore_weights(model, checkpoint: str, use_average: bool) -> None:
    """Every weight of `model` from `checkpoint` (its averages when kept and wanted)."""
    with naming_unreadable_files(checkpoint):
        status = tf.train.Checkpoint(model=model).restore(checkpoint).expect_partial()
        status.assert_existing_objects_matched()  # every model weight came from it
        if use_average and has_weight_average(checkpoint):
            restore_averages(model.trainable_variables, checkpoint)
