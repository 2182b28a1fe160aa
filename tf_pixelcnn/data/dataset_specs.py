"""What the pipelines know about each supported dataset: where images and labels live."""

import dataclasses
from typing import Dict, Optional, Tuple


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """One dataset the pipelines can read.

    Attributes:
        name: The name configs use (the tfds name where it is a tfds dataset).
        source: "tfds", "digits" or "photo_patches" (offline, ship with scikit-learn),
            "image_folder", or "code_grids" (k-means codes of `images`' patches,
            `code_grids.py`: the "image" is a grid of codes, `int32 [h, w, 1]` in [0, K)).
        image_size: `(height, width)` of the stored images, or None where they vary.
        channels: 1 or 3.
        max_value: Largest stored pixel value (255; 1 for binarized MNIST; 16 for digits).
        num_classes: Number of labels, or None where the dataset has none.
        train_split, test_split: Split names of the source.
        images: Of "code_grids": the image source coded ("photo_patches" or "digits").
    """

    name: str
    source: str
    image_size: Optional[Tuple[int, int]]
    channels: int
    max_value: int = 255
    num_classes: Optional[int] = None
    train_split: str = "train"
    test_split: str = "test"
    images: Optional[str] = None

    @property
    def has_labels(self) -> bool:
        return self.num_classes is not None


DATASETS: Dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("digits", "digits", (8, 8), 1, max_value=16, num_classes=10),
        DatasetSpec("photo_patches", "photo_patches", (16, 16), 3, num_classes=2),
        DatasetSpec("image_folder", "image_folder", None, 3),
        # Code grids: size (H/p, W/p) from data.patch_size, K = data.num_levels.
        DatasetSpec("photo_patch_codes", "code_grids", None, 1, num_classes=2,
                    images="photo_patches"),  # fmt: skip
        DatasetSpec("digit_codes", "code_grids", None, 1, num_classes=10, images="digits"),
        DatasetSpec("cifar10", "tfds", (32, 32), 3, num_classes=10),
        DatasetSpec("mnist", "tfds", (28, 28), 1, num_classes=10),
        DatasetSpec("binarized_mnist", "tfds", (28, 28), 1, max_value=1),
        DatasetSpec(
            "imagenet_resized/32x32", "tfds", (32, 32), 3, 255, 1000, test_split="validation"
        ),
        DatasetSpec(
            "imagenet_resized/64x64", "tfds", (64, 64), 3, 255, 1000, test_split="validation"
        ),
        # The PixelRNN / PixelCNN papers' ImageNet. tfds declares no fixed image shape; the
        # records are 32x32 / 64x64, and any other size is reported as a bad record.
        DatasetSpec("downsampled_imagenet/32x32", "tfds", (32, 32), 3, test_split="validation"),
        DatasetSpec("downsampled_imagenet/64x64", "tfds", (64, 64), 3, test_split="validation"),
        DatasetSpec("celeb_a", "tfds", (218, 178), 3),
    )
}


def get_spec(name: str) -> DatasetSpec:
    """The spec of dataset `name`; a clear error listing the choices otherwise."""
    if name not in DATASETS:
        raise ValueError(
            f"Unknown dataset. Expected one of {sorted(DATASETS)}. Received: {name!r}."
        )
    return DATASETS[name]
