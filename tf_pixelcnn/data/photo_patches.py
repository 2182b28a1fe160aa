"""An offline colour dataset: patches of the two photographs that ship with scikit-learn.

`china.jpg` and `flower.jpg` (427x640, CC BY 2.0, see sklearn/datasets/images/README.txt)
are area-downsampled by 2 (213x320) and cut into 16x16 patches: the train split from
columns 0-255 (stride 4, 6,100 patches), the test split from columns 256-319 (stride 8,
350 patches) — disjoint regions of each photo, so the test patches are unseen pixels.
The label is the photo (0: china, 1: flower). Real natural-image colour statistics for the
offline demos and tests of colour models (the Grayscale PixelCNN); far too small to say
anything about a model's quality on natural images.
"""

import os
from typing import Tuple

import numpy as np

PATCH_SIZE = 16
PHOTOS = ("china.jpg", "flower.jpg")
TRAIN_COLUMNS, TRAIN_STRIDE, TEST_STRIDE = 256, 4, 8
SPLITS = ("train", "test")


def _photo(name: str) -> np.ndarray:
    import sklearn.datasets  # deferred: importing sklearn is slow
    import tensorflow as tf

    path = os.path.join(os.path.dirname(sklearn.datasets.__file__), "images", name)
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)  # (427, 640, 3)
    half = (image.shape[0] // 2, image.shape[1] // 2)
    small = tf.image.resize(tf.cast(image, tf.float32), half, method="area")
    return np.clip(np.round(small.numpy()), 0, 255).astype(np.uint8)


def load_photo_patches(split: str = "train") -> Tuple[np.ndarray, np.ndarray]:
    """`(images uint8 [N, 16, 16, 3], labels int32 [N])` of `split` ("train" or "test").

    Example:
        >>> images, labels = load_photo_patches("test")
        >>> images.shape, sorted(set(labels.tolist()))
        ((350, 16, 16, 3), [0, 1])
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}. Received: split={split!r}.")
    patches, labels = [], []
    for label, name in enumerate(PHOTOS):
        photo = _photo(name)
        if split == "train":
            region, stride = photo[:, :TRAIN_COLUMNS], TRAIN_STRIDE
        else:
            region, stride = photo[:, TRAIN_COLUMNS:], TEST_STRIDE
        height, width, _ = region.shape
        for top in range(0, height - PATCH_SIZE + 1, stride):
            for left in range(0, width - PATCH_SIZE + 1, stride):
                patches.append(region[top : top + PATCH_SIZE, left : left + PATCH_SIZE])
                labels.append(label)
    return np.stack(patches), np.array(labels, np.int32)
