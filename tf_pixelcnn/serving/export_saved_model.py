"""Export a model as a versioned SavedModel for TensorFlow Serving."""

import json
import os
from typing import Optional

import keras

from tf_pixelcnn.models.pixel_cnn_autoencoder import PixelCNNAutoencoder
from tf_pixelcnn.serving import signatures
from tf_pixelcnn.serving import versioned_directory

METADATA_FILE = "tf_pixelcnn.json"


def model_metadata(model, signature_names, max_batch: Optional[int]) -> dict:
    """What a client needs to call the model, readable without this package."""
    autoencoder = isinstance(model, PixelCNNAutoencoder)
    return {
        "model_kind": type(model).__name__,
        "image_shape": list(model.image_shape),
        "num_levels": model.num_levels,
        "num_classes": None if autoencoder else model.num_classes,
        "condition_dim": None if autoencoder else model.condition_dim,
        "spatial_condition": model.spatial_condition,
        "bottleneck_dim": model.bottleneck_dim if autoencoder else None,
        "max_batch": max_batch,
        "signatures": list(signature_names),
        "config": model.get_config(),
    }


def export_saved_model(
    model,
    export_base: str,
    version: Optional[int] = None,
    max_batch: Optional[int] = None,
    overwrite: bool = False,
) -> str:
    """Writes `model` as `export_base/<version>/`, a SavedModel that TF Serving loads.

    Signatures (see `tf_pixelcnn.serving.signatures`): `serving_default` = `log_prob`,
    `sample` (density models), `encode` / `decode` / `reconstruct` (auto-encoder). The
    graph holds only core TensorFlow ops (stateless random numbers, `while` loops; the
    cached sampler where the model supports it). `assets.extra/tf_pixelcnn.json` holds the
    image shape, levels, conditioning and model kind.

    Args:
        model: a `GatedPixelCNN`, `PixelCNN` or `PixelCNNAutoencoder`.
        export_base: the directory TF Serving's `--model_base_path` points at.
        version: a positive integer; by default one more than the newest version.
        max_batch: requests with a larger batch fail with `InvalidArgument`.
        overwrite: replace an existing `version` (otherwise that is an error).

    Returns:
        The path of the new version. It appears atomically (written to a hidden directory
        next to it, then renamed); a failed export leaves no version behind.

    Example:
        >>> path = tpc.serving.export_saved_model(model, "/tmp/models/digits")  # .../1
    """
    if getattr(model, "num_mixture_components", None):
        raise ValueError(
            "Exporting logistic-mixture models is not supported yet (their log_prob is per "
            "pixel and their sampler is not in the signatures). Received: a "
            f"{type(model).__name__} with num_mixture_components="
            f"{model.num_mixture_components}."
        )
    if getattr(model, "condition_image_shape", None) is not None:
        raise ValueError(
            "Exporting models conditioned on an auxiliary image is not supported yet (no "
            "signature takes the image). Received: a model with condition_image_shape="
            f"{model.condition_image_shape}."
        )
    endpoints = signatures.endpoints(model, max_batch)
    version = versioned_directory.resolve_version(export_base, version)

    def write(directory: str) -> None:
        archive = keras.export.ExportArchive()
        archive.track(model)
        for name, (fn, input_signature) in endpoints.items():
            archive.add_endpoint(name, fn, input_signature=input_signature)
        archive.write_out(directory, verbose=False)
        extra = os.path.join(directory, "assets.extra")
        os.makedirs(extra, exist_ok=True)
        with open(os.path.join(extra, METADATA_FILE), "w") as f:
            json.dump(
                model_metadata(model, ["serving_default", *endpoints], max_batch), f, indent=2
            )

    return versioned_directory.write_version_atomically(export_base, version, write, overwrite)
