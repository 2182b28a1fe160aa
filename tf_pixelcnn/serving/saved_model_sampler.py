"""Sampling from an exported SavedModel in Python, through its `sample` signature."""

import json
import os
from typing import Tuple

import numpy as np
import tensorflow as tf

from tf_pixelcnn.serving.export_saved_model import METADATA_FILE


def read_metadata(saved_model_dir: str) -> dict:
    """The model description written by `export_saved_model` (`assets.extra/`)."""
    with tf.io.gfile.GFile(os.path.join(saved_model_dir, "assets.extra", METADATA_FILE)) as f:
        return json.load(f)


def saved_model_sampler(saved_model_dir: str) -> Tuple[callable, dict]:
    """`(draw, metadata)`: `draw(seeds, condition)` calls the `sample` signature.

    `condition` is fed as `labels` or `condition` as the metadata says; the same seeds
    give the same images as `tpc.sample` on the original model.
    """
    metadata = read_metadata(saved_model_dir)
    if "sample" not in metadata["signatures"]:
        raise ValueError(
            f"{saved_model_dir} has no `sample` signature (signatures: {metadata['signatures']}); "
            "auto-encoders sample through `decode`."
        )
    signature = tf.saved_model.load(saved_model_dir).signatures["sample"]
    condition_name = (
        "labels"
        if metadata["num_classes"] is not None
        else "condition"
        if metadata["condition_dim"] is not None
        else None
    )

    def draw(seeds, condition):
        inputs = {"seed": tf.constant(seeds, tf.int32)}
        if condition_name == "labels":
            inputs["labels"] = tf.constant(condition, tf.int32)
        elif condition_name == "condition":
            inputs["condition"] = tf.constant(condition, tf.float32)
        return signature(**inputs)["images"].numpy().astype(np.int32)

    return draw, metadata
