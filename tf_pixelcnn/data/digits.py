"""The offline default dataset: the 8×8 handwritten digits that ship with scikit-learn.

1,797 grayscale images of the digits 0-9 (UCI "Optical Recognition of Handwritten
Digits"), values 0-16, with labels. They install with scikit-learn's wheel, so the demo
and the tests train on real images with no network.
"""

from typing import Tuple

import numpy as np

from tf_pixelcnn.data.image_preprocessing import quantize

DIGITS_MAX_VALUE = 16
DIGITS_NUM_CLASSES = 10
SPLITS = ("train", "test", "all")


def load_digits(
    split: str = "train", num_levels: int = 17, test_fraction: float = 0.2, seed: int = 0
) -> Tuple[np.ndarray, np.ndarray]:
    """Loads scikit-learn's digits as integer images.

    Args:
        split: "train", "test" or "all". The split is a fixed permutation by `seed`.
        num_levels: Values per pixel of the returned images; the original 17 values are
            requantised as every pipeline does (`image_preprocessing.quantize`:
            `floor(v * num_levels / 17)`; 17 keeps them as they are, 2 binarises).
        test_fraction: Fraction of the images in the test split.
        seed: Seed of the split permutation.

    Returns:
        `(images, labels)`: `uint8 [N, 8, 8, 1]` in `[0, num_levels)` and `int32 [N]`.

    Example:
        >>> images, labels = load_digits("test")
        >>> images.shape, int(images.max()) <= 16
        ((359, 8, 8, 1), True)
    """
    from sklearn import (
        datasets as sklearn_datasets,  # deferred: importing sklearn is slow
    )

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}. Received: split={split!r}.")
    if not 2 <= num_levels <= 256:
        raise ValueError(f"num_levels must be in [2, 256]. Received: num_levels={num_levels}.")
    bunch = sklearn_datasets.load_digits()
    values = bunch.images  # (1797, 8, 8), 0..16
    images = quantize(values, num_levels, DIGITS_MAX_VALUE).numpy().astype(np.uint8)[..., None]
    labels = bunch.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(labels))
    num_test = int(round(test_fraction * len(labels)))
    if split == "test":
        order = order[:num_test]
    elif split == "train":
        order = order[num_test:]
    return images[order], labels[order]
