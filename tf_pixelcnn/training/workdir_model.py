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
from typing import Any, Dict, List, Mapping, Optional

import keras
import tensorflow as tf

from tf_pixelcnn.models.head_width import STACK_WIDTH, SavedHeadWidth
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


def model_config_differences(model, workdir: str) -> List[str]:
    """The model arguments in which `model` differs from the one `workdir/model.json`
    describes, as `"name: <workdir's> → <this model's>"` (an argument missing from the
    file reads "(not saved)": saved before the option existed); [] when they agree or
    there is no readable `model.json`."""
    saved = _read_model_json(workdir)
    if saved is None:
        return []
    saved_class, saved = saved.get("class_name"), saved.get("config", {})
    current = json.loads(json.dumps(model.get_config(), default=str))  # as written
    differences = []
    if saved_class != type(model).__name__:
        differences.append(f"class: {saved_class} → {type(model).__name__}")
    for name in sorted(set(saved) | set(current)):
        if name in ("name", "trainable") or saved.get(name) == current.get(name):
            continue
        before = repr(saved[name]) if name in saved else "(not saved)"
        differences.append(f"{name}: {before} → {current.get(name)!r}")
    return differences


def with_saved_head_width(model_config: Mapping[str, Any], workdir: str) -> Mapping[str, Any]:
    """`model_config`, with `output_filters="filters"` (`models.head_width.STACK_WIDTH`)
    where it leaves the width to the default and `workdir/model.json` was written before
    the default widened: a run resumed with the config that started it keeps the head its
    checkpoints hold."""
    saved = _read_model_json(workdir)
    if saved is None:
        return model_config
    import tf_pixelcnn  # the model classes, by the names model.json gives

    model_class = getattr(tf_pixelcnn, str(saved.get("class_name")), None)
    return with_head_width_of(model_config, model_class, saved.get("config", {}))


def with_head_width_of(
    model_config: Mapping[str, Any], model_class, saved_config: Mapping[str, Any]
) -> Mapping[str, Any]:
    """`model_config`, with `output_filters="filters"` where it leaves the width to the
    default and `saved_config`, a config of `model_class`, predates the option (e.g. the
    `.keras` file `evaluate.py --model` checks against the config)."""
    if model_config.get("output_filters") is not None:
        return model_config
    if not (
        isinstance(model_class, type)
        and issubclass(model_class, SavedHeadWidth)
        and model_class.saved_without_head_width(saved_config)
    ):
        return model_config
    return {**dict(model_config), "output_filters": STACK_WIDTH}


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


def _read_model_json(workdir: str) -> Optional[Dict[str, Any]]:
    """`workdir/model.json` as a dict, or None where it is missing or unreadable."""
    try:
        with tf.io.gfile.GFile(os.path.join(workdir, MODEL_CONFIG_FILE)) as f:
            saved = json.load(f)
    except (tf.errors.OpError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


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
