"""Builds the pieces of a training run from the plain nested dict of a config.

The config (`launch/configs/*.py`, written to `workdir/config.json`) has the sections
`data`, `model`, `train` and `eval`; each section's keys are the keyword arguments of
one library call (`make_dataset`, the model class, the optimizer), so the library never
depends on the config system.
"""

from typing import Any, Dict, Mapping, Tuple

import keras

from tf_pixelcnn.data.code_grids import DEFAULT_PATCH_SIZE, grid_shape
from tf_pixelcnn.data.dataset_specs import get_spec
from tf_pixelcnn.models.code_pixel_cnn import CodePixelCNN
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.models.grayscale_pixel_cnn import GrayscalePixelCNN
from tf_pixelcnn.models.pixel_cnn import PixelCNN
from tf_pixelcnn.models.pixel_cnn_autoencoder import PixelCNNAutoencoder
from tf_pixelcnn.models.pyramid_pixel_cnn import PyramidPixelCNN

MODELS = {
    "gated_pixel_cnn": GatedPixelCNN,
    "pixel_cnn": PixelCNN,
    "pixel_cnn_autoencoder": PixelCNNAutoencoder,
    "grayscale_pixel_cnn": GrayscalePixelCNN,
    "pyramid_pixel_cnn": PyramidPixelCNN,
    "code_pixel_cnn": CodePixelCNN,  # code-grid datasets (data.dataset "*_codes")
}
DATA_KEYS = (
    "dataset", "data_dir", "image_size", "num_levels", "grayscale", "crop", "resize_images",
    "shuffle_buffer", "validation_size", "perturbation_rate", "patch_size",
    "condition_num_codes",
)  # fmt: skip


def image_shape(data_config: Mapping[str, Any]) -> Tuple[int, int, int]:
    """`(H, W, C)` of the images the pipeline yields for `data_config`."""
    spec = get_spec(data_config["dataset"])
    if spec.source == "code_grids":  # a grid of codes, (H/p, W/p, 1)
        patch_size = data_config.get("patch_size") or DEFAULT_PATCH_SIZE
        return (*grid_shape(spec.images, int(patch_size)), 1)
    size = data_config.get("image_size") or spec.image_size
    if not size:
        raise ValueError(
            f"Dataset {spec.name!r} has no fixed image size: set data.image_size=(H, W)."
        )
    channels = 1 if data_config.get("grayscale") else spec.channels
    return (int(size[0]), int(size[1]), channels)


def dataset_kwargs(data_config: Mapping[str, Any]) -> Dict[str, Any]:
    """Keyword arguments of `make_dataset` from the `data` section."""
    unknown = sorted(set(data_config) - set(DATA_KEYS))
    if unknown:
        raise ValueError(f"Unknown data config keys {unknown}; expected some of {DATA_KEYS}.")
    kwargs = dict(data_config)
    for key in ("image_size", "crop"):
        if kwargs.get(key) is not None:
            kwargs[key] = tuple(int(v) for v in kwargs[key])
    return kwargs


def sample_picture(data_config: Mapping[str, Any]):
    """`(to_images, levels)`: how sample pictures show the data's "images" —
    `to_images(values int [N, H, W, C]) -> int [N, H', W', C']` and their levels. Images
    are shown as they are; a grid of codes as the patches its codes stand for
    (`code_grids.picture_decoder`)."""
    spec = get_spec(data_config["dataset"])
    if spec.source == "code_grids":
        from tf_pixelcnn.data.code_grids import picture_decoder

        patch_size = int(data_config.get("patch_size") or DEFAULT_PATCH_SIZE)
        return picture_decoder(
            spec.images, int(data_config["num_levels"]), patch_size,
            cache_dir=data_config.get("data_dir"),
        )  # fmt: skip
    return (lambda values: values), int(data_config["num_levels"])


def build_model(model_config: Mapping[str, Any], data_config: Mapping[str, Any]):
    """The model named by `model_config["name"]`, shaped by the data it trains on.

    `image_shape` and `num_levels` come from the data section; `class_conditional=True`
    conditions on the dataset's labels (`num_classes` from the dataset). A
    `code_pixel_cnn` takes `grid_shape` and `num_codes` (K = `num_levels`) instead, and
    with `data.condition_num_codes` is conditioned on the data's coarser code map.
    """
    kwargs = {k: v for k, v in model_config.items() if v is not None}  # None: the default
    name = kwargs.pop("name")
    if name not in MODELS:
        raise ValueError(f"model.name must be one of {sorted(MODELS)}. Received: {name!r}.")
    spec = get_spec(data_config["dataset"])
    if kwargs.pop("class_conditional", False):
        if spec.source == "image_folder":  # labels: the train split's folder names
            from tf_pixelcnn.data.image_folder import list_image_folder

            names = list_image_folder(data_config["data_dir"], spec.train_split)[2]
            if not names:
                raise ValueError(
                    f"model.class_conditional=True, but {data_config['data_dir']}/train has "
                    "no label folders."
                )
            kwargs["num_classes"] = len(names)
        elif not spec.has_labels:
            raise ValueError(
                f"model.class_conditional=True, but dataset {spec.name!r} has no labels."
            )
        else:
            kwargs["num_classes"] = spec.num_classes
    if name == "code_pixel_cnn":
        grid = image_shape(data_config)[:2]
        if data_config.get("condition_num_codes"):  # the code map of 2p×2p patches
            kwargs["condition_grid_shape"] = (grid[0] // 2, grid[1] // 2)
            kwargs["condition_num_codes"] = int(data_config["condition_num_codes"])
        return CodePixelCNN(grid_shape=grid, num_codes=data_config["num_levels"], **kwargs)
    return MODELS[name](
        image_shape=image_shape(data_config), num_levels=data_config["num_levels"], **kwargs
    )


def learning_rate_schedule(train_config: Mapping[str, Any]):
    """Linear warm-up to `learning_rate`, then cosine decay to
    `final_learning_rate_fraction` of it (or a constant with
    `learning_rate_schedule="constant"`)."""
    steps = int(train_config["num_steps"])
    warmup = int(train_config.get("warmup_steps", 0))
    peak = float(train_config["learning_rate"])
    kind = train_config.get("learning_rate_schedule", "cosine")
    if kind == "constant":
        return peak
    if kind != "cosine":
        raise ValueError(
            f"learning_rate_schedule must be 'cosine' or 'constant'. Received: {kind!r}."
        )
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak if warmup == 0 else 0.0,
        decay_steps=max(steps - warmup, 1),
        alpha=float(train_config.get("final_learning_rate_fraction", 0.0)),
        warmup_target=peak if warmup else None,
        warmup_steps=warmup,
    )


def build_optimizer(train_config: Mapping[str, Any]) -> keras.optimizers.Optimizer:
    """Adam on `learning_rate_schedule`, with a loss-scale wrapper under mixed_float16.
    (Gradient clipping is the train step's: `make_distributed_train_step`.)"""
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate_schedule(train_config))
    if train_config.get("mixed_precision") == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def current_learning_rate(optimizer) -> float:
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    rate = inner.learning_rate
    return float(rate.numpy() if hasattr(rate, "numpy") else rate)
