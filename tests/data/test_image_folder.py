"""A folder of the user's own images through the same pipeline."""

import numpy as np
import pytest
import tensorflow as tf

from tf_pixelcnn import data
from tf_pixelcnn.data.image_folder import list_image_folder
from tf_pixelcnn.utils.image_grid import write_png


def _write(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(str(path), image.astype(np.uint8))


@pytest.fixture
def folder(tmp_path):
    """Real digits as 8x8 RGB PNGs: train/{zero,one}/ and test/{one}/."""
    images, labels = data.load_digits("all", num_levels=256)
    rgb = np.repeat(images, 3, axis=-1)
    for i in range(12):
        label = int(labels[i] % 2)
        _write(tmp_path / "train" / ("one" if label else "zero") / f"{i:03d}.png", rgb[i])
    for i in range(12, 15):
        _write(tmp_path / "test" / "one" / f"{i:03d}.png", rgb[i])
    return tmp_path, rgb, labels


def test_labels_are_the_sorted_folder_names_of_the_train_split(folder):
    root, _, _ = folder
    paths, labels, names = list_image_folder(str(root), "test")
    assert names == ["one", "zero"] and labels == [0, 0, 0] and len(paths) == 3


def test_folder_pipeline_yields_the_images_quantised(folder):
    root, rgb, _ = folder
    dataset = data.make_dataset(
        "image_folder",
        "test",
        global_batch_size=3,
        data_dir=str(root),
        image_size=(8, 8),
        num_levels=16,
        training=False,
    )
    batch = next(iter(dataset))
    np.testing.assert_array_equal(batch["image"].numpy(), rgb[12:15] // 16)
    np.testing.assert_array_equal(batch["label"].numpy(), [0, 0, 0])
    stream = data.make_dataset(
        "image_folder",
        global_batch_size=4,
        data_dir=str(root),
        image_size=(4, 4),
        resize_images=True,
        grayscale=True,
        num_steps=2,
    )
    assert next(iter(stream))["image"].shape == (4, 4, 4, 1)


def test_wrong_size_and_corrupt_files_are_errors_not_drops(folder):
    root, _, _ = folder
    _write(root / "train" / "zero" / "big.png", np.zeros((9, 8, 3)))
    dataset = data.make_dataset(
        "image_folder", global_batch_size=13, data_dir=str(root), image_size=(8, 8), num_steps=1
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"big\.png.*\[9 8 3\]"):
        next(iter(dataset))
    (root / "train" / "zero" / "big.png").write_bytes(b"not an image")
    dataset = data.make_dataset(
        "image_folder", global_batch_size=13, data_dir=str(root), image_size=(8, 8), num_steps=1
    )
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"big\.png\] \[does not decode as a PNG"
    ):
        next(iter(dataset))


def _first_test_batch(root):
    dataset = data.make_dataset(
        "image_folder", "test", global_batch_size=4, data_dir=str(root), image_size=(8, 8),
        training=False,
    )  # fmt: skip
    return next(iter(dataset))


@pytest.mark.parametrize(
    "contents, expected",
    [
        (b"", r"empty\.png\] \[does not decode as a PNG, JPEG, GIF or BMP.*bytes:\] \[0\]"),
        (b"just some text\n", r"empty\.png\] \[does not decode.*bytes:\] \[15\]"),
        ("truncated", r"empty\.png\] \[does not decode.*bytes:\] \[\d+\]"),
    ],
)
def test_a_file_that_does_not_decode_is_named(folder, contents, expected):
    """The probe: an empty, a non-image and a truncated file gave the decoder's error
    ("Input is empty", "Unknown image file format", "Invalid PNG data") without the path."""
    root, rgb, _ = folder
    if contents == "truncated":
        contents = tf.io.encode_png(rgb[0]).numpy()[:-12]
    (root / "test" / "one" / "empty.png").write_bytes(contents)
    with pytest.raises(tf.errors.InvalidArgumentError, match=expected):
        _first_test_batch(root)


def test_an_empty_label_folder_is_refused(folder):
    """The probe: an empty class folder became a class with 0 images, silently."""
    root, _, _ = folder
    (root / "train" / "two").mkdir()
    with pytest.raises(ValueError, match=r"Label folder .*train/two has no images.*it is empty"):
        list_image_folder(str(root), "train")
    (root / "train" / "two" / "a.webp").write_bytes(b"RIFF")
    with pytest.raises(
        ValueError, match=r"train/two has no images.*1 other entries, e\.g\. a\.webp"
    ):
        data.make_dataset("image_folder", global_batch_size=2, data_dir=str(root), num_steps=1)
    (root / "test" / "one").rename(root / "test" / "zero")  # a class absent from test: fine
    (root / "test" / "two").mkdir()  # present but empty: refused in any split
    with pytest.raises(ValueError, match=r"test/two has no images"):
        list_image_folder(str(root), "test")


def test_grayscale_and_opaque_files_convert_without_loss_and_transparent_ones_are_refused(folder):
    """Gray becomes R = G = B and an opaque alpha is dropped (nothing lost); an image with
    transparent pixels is refused by name (the probe: RGBA was converted silently)."""
    root, rgb, _ = folder
    gray = rgb[12, :, :, :1]
    opaque = np.concatenate([rgb[13], np.full((8, 8, 1), 255, np.uint8)], axis=-1)
    _write(root / "test" / "one" / "012.png", gray)  # the same pixels as the RGB file
    _write(root / "test" / "one" / "013.png", opaque)
    batch = _first_test_batch(root)
    np.testing.assert_array_equal(batch["image"].numpy()[:3], rgb[12:15])
    transparent = opaque.copy()
    transparent[3, 4, 3] = 128
    _write(root / "test" / "one" / "013.png", transparent)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"013\.png\] \[has transparent pixels"
    ):
        _first_test_batch(root)


def test_folder_layout_errors(folder, tmp_path):
    root, rgb, _ = folder
    with pytest.raises(FileNotFoundError, match="No image folder at .*valid"):
        list_image_folder(str(root), "valid")
    _write(root / "test" / "two" / "x.png", rgb[0])
    with pytest.raises(ValueError, match=r"label folders \['two'\] that the train split lacks"):
        list_image_folder(str(root), "test")
    _write(root / "train" / "loose.png", rgb[0])
    with pytest.raises(ValueError, match="both in label folders"):
        list_image_folder(str(root), "train")
    with pytest.raises(ValueError, match="needs data_dir"):
        data.make_dataset("image_folder", global_batch_size=2, num_steps=1)
