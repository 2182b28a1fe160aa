"""A folder of the user's own images: `root/<split>/<label>/<image>` or `root/<split>/<image>`.

    my_images/
      train/cats/001.png  train/dogs/002.jpg ...
      test/cats/101.png ...

Label ids are the sorted label folder names of the train split; images directly in the
split folder get no label. PNG, JPEG, GIF (first frame) and BMP are read.

A file is converted only where nothing is lost: a grayscale file in a colour folder
becomes R = G = B, a fully opaque alpha channel is dropped. A file with transparent
pixels (whose colour under the alpha is arbitrary), a file that does not decode and an
empty label folder are refused, naming the file or folder.
"""

import os
from typing import List, Optional, Tuple

import tensorflow as tf

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")


def list_image_folder(root: str, split: str) -> Tuple[List[str], Optional[List[int]], List[str]]:
    """Lists `root/split`: `(paths, label ids or None, label names)`, in sorted order.

    Raises:
        FileNotFoundError: no such folder, or no images in it.
        ValueError: images both directly in the split folder and in label folders; a
            label folder of this split without images (a class the model would never see).
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
        images = sorted(_images_in(label_dir))
        if not images:
            _refuse_empty_label_folder(label_dir)
        paths += images
        labels += [label] * len(images)
    return paths, labels, label_names


def decode_image_file(path: tf.Tensor, channels: int) -> tf.Tensor:
    """`uint8 [h, w, channels]` of the image file at `path` (first frame of a GIF).

    Converts only where nothing is lost: grayscale to R = G = B, a colour file with
    R = G = B to one channel, a fully opaque alpha channel dropped.

    Args:
        path: string scalar.
        channels: 1 or 3.

    Raises:
        tf.errors.InvalidArgumentError, when the image is read: the file does not decode
            (empty, truncated, corrupt, not an image), has transparent pixels, or is a
            colour image for one channel; the message names the file and what was expected.
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3. Received: channels={channels}.")
    contents = tf.io.read_file(path)
    image = _decoded_or_empty(contents)  # (h, w, c): c in 1..4 as stored; (0, 0, 0) if not
    stored = tf.shape(image)[2]
    has_alpha = tf.equal(stored % 2, 0)  # gray + alpha, RGBA
    colour = image[:, :, : stored - tf.cast(has_alpha, tf.int32)]  # (h, w, 1 or 3)
    opaque = tf.reduce_all(tf.equal(image[:, :, -1:], 255))
    # Few ops, and messages of constant strings, the path and a size (tf.debugging.Assert
    # then needs no tf.cond): for a small image, each op costs about as much as decoding.
    checks = [
        _assert(
            tf.size(image) > 0, path, "does not decode as a PNG, JPEG, GIF or BMP image: "
            "empty, truncated, corrupt or another format. Its size in bytes:",
            tf.strings.length(contents),
        ),
        _assert(
            tf.logical_or(tf.logical_not(has_alpha), opaque), path, "has transparent pixels "
            "(alpha below 255); the model has no alpha channel: flatten the image onto a "
            "background first.",
        ),
    ]  # fmt: skip
    if channels == 3:
        converted = tf.tile(colour, [1, 1, 3 // tf.maximum(tf.shape(colour)[2], 1)])
    else:
        converted = colour[:, :, :1]
        same = tf.reduce_all(tf.equal(colour, converted))
        checks.append(_assert(same, path, "is a colour image; expected 1 channel (R = G = B)."))
    with tf.control_dependencies(checks):
        converted = tf.identity(converted)
    return tf.ensure_shape(converted, [None, None, channels])


def _assert(condition: tf.Tensor, path: tf.Tensor, *problem) -> tf.Operation:
    """Fails with "[Image folder file] [<path>] [<problem>...]" unless `condition`."""
    return tf.debugging.Assert(condition, ["Image folder file", path, *problem])


def _decoded_or_empty(contents: tf.Tensor) -> tf.Tensor:
    """`uint8 [h, w, c]` as stored, or `[0, 0, 0]` when `contents` does not decode: the
    decoder's error is caught in the graph (it does not name the file) and replaced by one
    that does."""
    decoded = (
        tf.data.Dataset.from_tensors(contents)
        .map(lambda data: tf.io.decode_image(data, channels=0, expand_animations=False))
        .ignore_errors()
    )
    fallback = tf.data.Dataset.from_tensors(tf.zeros([0, 0, 0], tf.uint8))
    return decoded.concatenate(fallback).take(1).get_single_element()


def _refuse_empty_label_folder(label_dir: str) -> None:
    entries = sorted(tf.io.gfile.listdir(label_dir))
    found = "it is empty"
    if entries:
        found = f"it holds {len(entries)} other entries, e.g. {', '.join(entries[:3])}"
    raise ValueError(
        f"Label folder {label_dir} has no images ({', '.join(IMAGE_EXTENSIONS)}; images "
        f"are read one level deep): {found}. A class without images would get a label id "
        "the model never sees: add its images or remove the folder."
    )


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
