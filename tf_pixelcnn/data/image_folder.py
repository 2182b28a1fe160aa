"""A folder of the user's own images: `root/<split>/<label>/<image>` or `root/<split>/<image>`.

    my_images/
      train/cats/001.png  train/dogs/002.jpg ...
      test/cats/101.png ...

Label ids are the sorted label folder names of the train split; images directly in the
split folder get no label. PNG, JPEG, GIF (first frame) and BMP are read.
"""

import os
from typing import List, Optional, Tuple

import tensorflow as tf

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")


def list_image_folder(root: str, split: str) -> Tuple[List[str], Optional[List[int]], List[str]]:
    """Lists `root/split`: `(paths, label ids or None, label names)`, in sorted order.

    Raises:
        FileNotFoundError: no such folder, or no images in it.
        ValueError: images both directly in the split folder and in label folders.
    """
    split_dir = os.path.join(root, split)
    if not tf.io.gfile.isdir(split_dir):
        raise FileNotFoundError(
            f"No image folder at {split_dir}. Expected {root}/<split>/<label>/<image> "
            f"(or {root}/<split>/<image> without labels). Received: data_dir={root!r}, "
            f"split={split!r}."
        )
    label_names = _label_folders(split_dir)
    train_dir = os.path.join(root, "train")
    if split != "train" and tf.io.gfile.isdir(train_dir):
        train_labels = _label_folders(train_dir)
        unknown = sorted(set(label_names) - set(train_labels))
        if unknown:
            raise ValueError(
                f"{split_dir} has label folders {unknown} that the train split lacks; label "
                f"ids come from the train split's folders {train_labels}."
            )
        label_names = train_labels
    loose = sorted(_images_in(split_dir))
    if loose and label_names:
        raise ValueError(
            f"{split_dir} has images both in label folders {label_names} and directly in it "
            f"({len(loose)} files, e.g. {loose[0]}); put every image in a label folder or none."
        )
    if not label_names:
        if not loose:
            raise FileNotFoundError(f"No images ({', '.join(IMAGE_EXTENSIONS)}) in {split_dir}.")
        return loose, None, []
    paths, labels = [], []
    for label, name in enumerate(label_names):
        label_dir = os.path.join(split_dir, name)
        if not tf.io.gfile.isdir(label_dir):  # a class this split has no images of
            continue
        for path in sorted(_images_in(label_dir)):
            paths.append(path)
            labels.append(label)
    if not paths:
        raise FileNotFoundError(f"No images ({', '.join(IMAGE_EXTENSIONS)}) under {split_dir}.")
    return paths, labels, label_names


def decode_image_file(path: tf.Tensor, channels: int) -> tf.Tensor:
    """`uint8 [h, w, channels]` of the image file at `path` (first frame of a GIF)."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    return tf.ensure_shape(image, [None, None, channels])


def _images_in(directory: str) -> List[str]:
    return [
        os.path.join(directory, entry)
        for entry in tf.io.gfile.listdir(directory)
        if entry.lower().endswith(IMAGE_EXTENSIONS)
    ]


def _label_folders(directory: str) -> List[str]:
    return sorted(
        entry.rstrip("/")
        for entry in tf.io.gfile.listdir(directory)
        if tf.io.gfile.isdir(os.path.join(directory, entry))
    )
