"""A trained model in a workdir: `model.json` (its Keras config) and `checkpoints/`.

    workdir/
      model.json      keras.saving.serialize_keras_object(model)
      checkpoints/    tf.train.CheckpointManager of tf.train.Checkpoint(model=..., ...)

Binaries that load a trained model (export, sampling, evaluation) rebuild it from
`model.json` and restore the newest checkpoint, or a named one.
"""

import json
import os
from typing import Optional

import keras
import tensorflow as tf

MODEL_CONFIG_FILE = "model.json"
CHECKPOINT_DIRECTORY = "checkpoints"


def write_model_config(model, workdir: str) -> str:
    """Writes `workdir/model.json`, enough to rebuild `model` without its weights."""
    tf.io.gfile.makedirs(workdir)
    path = os.path.join(workdir, MODEL_CONFIG_FILE)
    with tf.io.gfile.GFile(path, "w") as f:
        json.dump(keras.saving.serialize_keras_object(model), f, indent=2)
    return path


def restore_model(model_config_path: str, checkpoint: str):
    """Rebuilds the model of `model_config_path` and restores its weights from `checkpoint`.

    Raises:
        FileNotFoundError: a missing file, named with what to do about it.
    """
    if not tf.io.gfile.exists(model_config_path):
        raise FileNotFoundError(
            f"No model config at {model_config_path}; the trainer writes it with "
            "tf_pixelcnn.training.workdir_model.write_model_config."
        )
    if not tf.io.gfile.exists(checkpoint + ".index"):
        raise FileNotFoundError(f"No checkpoint at {checkpoint} (expected {checkpoint}.index).")
    import tf_pixelcnn  # noqa: F401  (registers the Keras classes the config names)

    with tf.io.gfile.GFile(model_config_path) as f:
        model = keras.saving.deserialize_keras_object(json.load(f))
    status = tf.train.Checkpoint(model=model).restore(checkpoint).expect_partial()
    status.assert_existing_objects_matched()  # every model weight came from the checkpoint
    return model


def restore_from_workdir(workdir: str, checkpoint: Optional[str] = None):
    """The model of `workdir`, with the newest checkpoint of `workdir/checkpoints/` by default."""
    if checkpoint is None:
        checkpoint = tf.train.latest_checkpoint(os.path.join(workdir, CHECKPOINT_DIRECTORY))
        if checkpoint is None:
            raise FileNotFoundError(
                f"No checkpoint in {os.path.join(workdir, CHECKPOINT_DIRECTORY)}: train first, or "
                "pass --checkpoint."
            )
    return restore_model(os.path.join(workdir, MODEL_CONFIG_FILE), checkpoint)
