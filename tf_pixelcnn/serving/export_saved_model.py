"""Export a model as a versioned SavedModel for TensorFlow Serving."""

import json
from typing import Any, Mapping, Optional, Sequence, Tuple

import keras
import tensorflow as tf

from tf_pixelcnn.utils.float32_copy import float32_copy
from tf_pixelcnn.serving import signatures
from tf_pixelcnn.serving import versioned_directory

METADATA_FILE = "tf_pixelcnn.json"
# Largest request batch by default (as config.export.max_batch): an unbounded batch lets
# one request allocate without limit (200,000 images took 4.8 GB).
DEFAULT_MAX_BATCH = 64


def model_metadata(model, signature_names, max_batch: Optional[int], values=None) -> dict:
    """What a client needs to call the model, readable without this package; `values`,
    the `log_prob` signature's first input spec (`images` uint8 [B, H, W, C], `codes`
    int32 [B, h, w]), is recorded as `"values": {"name", "dtype", "shape"}`."""
    side_information = model.side_information_spec  # the auto-encoder's code
    factors = model.factors()
    auxiliary = len(factors) > 1
    if auxiliary:
        auxiliary_shape = model.auxiliary(tf.zeros([1, *model.image_shape], tf.int32)).shape[1:]
    condition = model.condition_spec
    return {
        "model_kind": type(model).__name__,
        "image_shape": list(model.image_shape),
        "num_levels": model.num_levels,
        "num_classes": condition.num_classes,
        "condition_dim": condition.dim,
        "condition_image_shape": (
            None if condition.image_shape is None else list(condition.image_shape)
        ),
        "spatial_condition": getattr(model, "spatial_condition", False),
        "num_mixture_components": getattr(model, "num_mixture_components", None),
        "bottleneck_dim": None if side_information is None else side_information.dim,
        "factors": [factor.name for factor in factors] if auxiliary else None,
        "auxiliary_shape": list(auxiliary_shape) if auxiliary else None,
        "max_batch": max_batch,
        "signatures": list(signature_names),
        "values": None if values is None else {
            "name": values.name, "dtype": values.dtype.name,
            "shape": [-1 if d is None else d for d in values.shape],
        },
        "config": model.get_config(),
    }


def export_saved_model(
    model,
    export_base: str,
    version: Optional[int] = None,
    max_batch: Optional[int] = DEFAULT_MAX_BATCH,
    overwrite: bool = False,
) -> str:
    """Writes `model` as `export_base/<version>/`, a SavedModel that TF Serving loads.

    Signatures (see `tf_pixelcnn.serving.signatures`): `serving_default` = `log_prob`,
    `sample` and `complete` (density models; a `CodePixelCNN`'s take and give int32
    `codes` [B, h, w]), `encode` / `decode` / `reconstruct` (auto-encoder),
    `sample_given` (Grayscale / Pyramid PixelCNN). A mixed-precision model is exported
    as its float32 copy (same weights): served likelihoods and samples are float32. The
    graph holds only core TensorFlow ops (stateless random numbers, `while` loops; the
    cached sampler where the model supports it). `assets.extra/tf_pixelcnn.json` holds the
    image shape, levels, conditioning and model kind.

    Args:
        model: a `GatedPixelCNN` (softmax or logistic mixture, any conditioning),
            `CodePixelCNN`, `PixelCNN`, `PixelCNNAutoencoder`, `GrayscalePixelCNN` or
            `PyramidPixelCNN`.
        export_base: the directory TF Serving's `--model_base_path` points at, on any
            filesystem TensorFlow supports (`gs://...`: see `versioned_directory`).
        version: a positive integer; by default the next free version when the export
            is published (exports racing to one base get different versions).
        max_batch: the largest batch a request may carry (default 64); a larger batch
            fails with `InvalidArgument`. None accepts any batch, so one request can
            exhaust the server's memory.
        overwrite: replace an existing `version` (otherwise `FileExistsError`, also when
            another export publishes that version first).

    Returns:
        The path of the new version. It appears atomically (written to a hidden directory
        next to it, then published in one step that also checks the version is free: see
        `versioned_directory`); a failed export leaves no version behind.

    Example:
        >>> path = tpc.serving.export_saved_model(model, "/tmp/models/digits")  # .../1
    """
    if max_batch is not None and (
        isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1
    ):
        raise ValueError(
            f"max_batch must be a positive integer or None (no limit). "
            f"Received: max_batch={max_batch!r}."
        )
    model = float32_copy(model)  # served in float32 whatever the training policy
    endpoints = signatures.endpoints(model, max_batch)

    def write(directory: str) -> None:
        values = endpoints["log_prob"][1][0]  # images / codes, as served
        description = model_metadata(model, ["serving_default", *endpoints], max_batch, values)
        write_archive(directory, [model], endpoints, description)

    return versioned_directory.write_version_atomically(export_base, version, write, overwrite)


def write_archive(
    directory: str,
    models: Sequence[keras.Model],
    endpoints: Mapping[str, Tuple[Any, Any]],
    description: Mapping[str, Any],
) -> None:
    """Writes a SavedModel of `endpoints` (`{name: (fn, input_signature)}`) to `directory`,
    one `keras.export.ExportArchive` tracking every model's variables, then `description`
    as `assets.extra/tf_pixelcnn.json`."""
    archive = keras.export.ExportArchive()
    for model in models:
        archive.track(model)
    for name, (fn, input_signature) in endpoints.items():
        archive.add_endpoint(name, fn, input_signature=input_signature)
    archive.write_out(directory, verbose=False)
    extra = directory + "/assets.extra"
    tf.io.gfile.makedirs(extra)
    with tf.io.gfile.GFile(f"{extra}/{METADATA_FILE}", "w") as f:
        json.dump(description, f, indent=2)
