"""k-means code grids of real images (`data/code_grids.py`) and their pipeline datasets."""

import numpy as np
import pytest

from tf_pixelcnn.data import code_grids, pipeline
from tf_pixelcnn.data.dataset_specs import get_spec
from tf_pixelcnn.data.pipeline import make_dataset

K = 16  # small: the fits take a second


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("code_grids"))


@pytest.fixture(scope="module")
def digit_grids(cache):
    return code_grids.load_code_grids("digits", K, patch_size=2, cache_dir=cache)


def nearest_centre_images(images, centres):
    """Brute force: every 2×2 patch replaced by the centre at the least squared distance."""
    p = centres.shape[1]
    out = np.empty(images.shape, np.float32)
    for n, image in enumerate(images.astype(np.float64)):
        for i in range(0, image.shape[0], p):
            for j in range(0, image.shape[1], p):
                patch = image[i : i + p, j : j + p]
                distances = ((centres - patch[None]) ** 2).sum(axis=(1, 2, 3))
                out[n, i : i + p, j : j + p] = centres[np.argmin(distances)]
    return out


def test_codes_have_the_grid_shape_and_range(digit_grids):
    for split, count in (("train", 1438), ("test", 359)):
        codes = digit_grids.codes[split]
        assert codes.shape == (count, 4, 4, 1) and codes.dtype == np.int32
        assert codes.min() >= 0 and codes.max() < K
        assert digit_grids.labels[split].shape == (count,)
    assert digit_grids.centres.shape == (K, 2, 2, 1)
    assert len(np.unique(digit_grids.codes["train"])) > K // 2  # not one code for all
    assert digit_grids.fit["patches"] == 1438 * 16


def test_the_fit_is_deterministic(digit_grids):
    images, _ = code_grids.source_images("digits", "train")
    centres, _ = code_grids.fit_centres(images, K, patch_size=2, seed=0)
    np.testing.assert_array_equal(centres, digit_grids.centres)
    np.testing.assert_array_equal(code_grids.encode(images, centres), digit_grids.codes["train"])


def test_decode_of_encode_is_the_nearest_centre_reconstruction(digit_grids):
    images, _ = code_grids.source_images("digits", "test")
    images = images[:20]
    centres = digit_grids.centres.astype(np.float64)
    decoded = code_grids.decode(code_grids.encode(images, digit_grids.centres), centres)
    np.testing.assert_allclose(decoded, nearest_centre_images(images, centres), atol=1e-5)
    # and it is a reconstruction: closer to the images than their mean is
    error = np.mean((decoded - images) ** 2)
    assert error < 0.5 * np.mean((images - images.mean()) ** 2)


def test_decode_places_each_centre_at_its_patch():
    centres = np.arange(3 * 2 * 2 * 3, dtype=np.float32).reshape(3, 2, 2, 3)
    codes = np.array([[[[2], [0]]]], np.int32)  # one 1×2 grid
    decoded = code_grids.decode(codes, centres)
    assert decoded.shape == (1, 2, 4, 3)
    np.testing.assert_array_equal(decoded[0, :, :2], centres[2])
    np.testing.assert_array_equal(decoded[0, :, 2:], centres[0])


def test_splits_are_the_sources_splits(digit_grids):
    """Train and test grids are codes of the source's own (disjoint) train and test images."""
    for split in ("train", "test"):
        images, labels = code_grids.source_images("digits", split)
        np.testing.assert_array_equal(labels, digit_grids.labels[split])
        np.testing.assert_array_equal(
            code_grids.encode(images, digit_grids.centres), digit_grids.codes[split]
        )
    train, _ = code_grids.source_images("digits", "train")
    test, _ = code_grids.source_images("digits", "test")
    train_rows = {image.tobytes() for image in train}
    assert sum(image.tobytes() in train_rows for image in test) <= 2  # sklearn's duplicates


def test_saved_grids_are_read_back(digit_grids, cache, tmp_path):
    code_grids.save_code_grids(digit_grids, str(tmp_path))
    read = code_grids.read_code_grids(str(tmp_path))
    for split in ("train", "test"):
        np.testing.assert_array_equal(read.codes[split], digit_grids.codes[split])
    np.testing.assert_array_equal(read.centres, digit_grids.centres)
    assert read.fit == digit_grids.fit


def test_more_codes_than_distinct_patches_is_an_error():
    images = np.zeros([4, 4, 4, 1], np.uint8)
    with pytest.raises(ValueError, match="distinct"):
        code_grids.fit_centres(images, 5, patch_size=2)


def test_make_dataset_yields_codes_labels_and_the_coarser_code_map(digit_grids, cache):
    batch = next(iter(make_dataset(
        "digit_codes", "test", global_batch_size=8, num_levels=K, patch_size=2,
        condition_num_codes=8, data_dir=cache, training=False,
    )))  # fmt: skip
    np.testing.assert_array_equal(batch["image"], digit_grids.codes["test"][:8])
    np.testing.assert_array_equal(batch["label"], digit_grids.labels["test"][:8])
    top = code_grids.load_code_grids("digits", 8, patch_size=4, cache_dir=cache)
    assert batch["condition"].shape == (8, 2, 2, 1)
    np.testing.assert_array_equal(batch["condition"], top.codes["test"][:8])


def test_codes_out_of_range_are_reported(digit_grids):
    """The example function checks every grid against K (here 4 < the grids' 16)."""
    to_example = pipeline._code_example_fn(get_spec("digit_codes"), "digit_codes/test", (4, 4), 4)
    record = {"image": digit_grids.codes["test"][0], "label": np.int32(0)}
    assert digit_grids.codes["test"][0].max() >= 4
    with pytest.raises(Exception, match=r"expected codes in \[0, 4\)"):
        to_example(np.int64(0), record, 1.0)


def test_image_datasets_refuse_code_options():
    with pytest.raises(ValueError, match="code-grid datasets"):
        make_dataset("digits", global_batch_size=8, num_levels=17, patch_size=2, num_steps=1)


def test_code_grid_dataset_yields_codes_and_condition(digit_grids, cache):
    codes, labels = next(iter(code_grids.code_grid_dataset(
        "digits", "train", K, batch_size=5, patch_size=2, condition="labels", cache_dir=cache
    )))  # fmt: skip
    np.testing.assert_array_equal(codes, digit_grids.codes["train"][:5])
    np.testing.assert_array_equal(labels, digit_grids.labels["train"][:5])


def test_grid_shape_needs_a_dividing_patch_size():
    assert code_grids.grid_shape("photo_patches", 4) == (4, 4)
    assert code_grids.grid_shape("digits", 2) == (4, 4)
    with pytest.raises(ValueError, match="divide"):
        code_grids.grid_shape("digits", 3)
