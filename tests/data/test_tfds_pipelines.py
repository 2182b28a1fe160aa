"""Every tfds pipeline through tfds.testing.mock_data (no network, no files)."""

import re
import time

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tf_pixelcnn import data

# name -> (make_dataset options, expected (H, W, C), labelled)
PIPELINES = {
    "cifar10": ({}, (32, 32, 3), True),
    "mnist": ({}, (28, 28, 1), True),
    "binarized_mnist": ({"num_levels": 2}, (28, 28, 1), False),
    "imagenet_resized/32x32": ({}, (32, 32, 3), True),
    "imagenet_resized/64x64": ({"num_levels": 16, "grayscale": True}, (64, 64, 1), True),
    # mock records are 43x33 (tfds declares no size); the real ones are 32x32 / 64x64.
    "downsampled_imagenet/32x32": ({"image_size": (32, 32), "resize_images": True}, (32, 32, 3), False),
    "downsampled_imagenet/64x64": ({"image_size": (64, 64), "resize_images": True}, (64, 64, 3), False),
    "celeb_a": (
        {"crop": (40, 15, 148, 148), "image_size": (32, 32), "resize_images": True},
        (32, 32, 3),
        False,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PIPELINES))
@pytest.mark.parametrize("split", ["train", "test"])
def test_tfds_pipeline_yields_quantised_images(name, split, tmp_path):
    options, shape, labelled = PIPELINES[name]
    num_levels = options.pop("num_levels", 256) if "num_levels" in options else 256
    with tfds.testing.mock_data(num_examples=10):
        dataset = data.make_dataset(
            name,
            split,
            global_batch_size=4,
            num_levels=num_levels,
            data_dir=str(tmp_path),
            num_steps=3,
            training=split == "train",
            **options,
        )
        batches = [{k: v.numpy() for k, v in b.items()} for b in dataset]
    assert len(batches) == 3
    for batch in batches:
        assert batch["image"].shape == (4, *shape) and batch["image"].dtype == np.int32
        assert 0 <= batch["image"].min() and batch["image"].max() < num_levels
        assert ("label" in batch) == labelled
        if labelled:
            assert batch["label"].dtype == np.int32
            assert np.all(
                (batch["label"] >= 0) & (batch["label"] < data.get_spec(name).num_classes)
            )
    if split == "test":
        assert sum(b["weight"].sum() for b in batches) == 10  # 10 records padded to 12


def test_wrongly_sized_record_is_reported_with_its_index(tmp_path):
    with tfds.testing.mock_data(num_examples=5):
        dataset = data.make_dataset(
            "downsampled_imagenet/32x32", global_batch_size=2, data_dir=str(tmp_path), num_steps=1
        )
        with pytest.raises(tf.errors.InvalidArgumentError) as error:
            next(iter(dataset))
    message = str(error.value)
    assert "expected images of 32x32" in message and "record index" in message
    assert re.search(r"record index\] \[\d+\] \[shape\] \[\d+ \d+ 3\]", message), message


def test_missing_dataset_fails_at_once_and_says_how_to_prepare(tmp_path):
    start = time.monotonic()
    with pytest.raises(data.DatasetNotPreparedError) as error:
        data.make_dataset("cifar10", global_batch_size=8, data_dir=str(tmp_path), num_steps=1)
    assert time.monotonic() - start < 30
    message = str(error.value)
    assert "download_and_prepare()" in message and str(tmp_path) in message
    assert "--config.data.data_dir" in message


@pytest.mark.parametrize("in_memory_bytes", [0, 10**9])  # streamed, then held in memory
def test_tfds_stream_resumes_and_shards_like_one_pipeline(tmp_path, in_memory_bytes):
    def batches(start_step=0, context=None):
        dataset = data.make_dataset(
            "cifar10", global_batch_size=4, data_dir=str(tmp_path), num_steps=8, seed=2,
            start_step=start_step, input_context=context, shuffle_buffer=5,
            in_memory_bytes=in_memory_bytes,
        )  # fmt: skip
        return [b["image"].numpy() for b in dataset]

    with tfds.testing.mock_data(num_examples=10):  # 10 records: epochs end mid-batch
        whole = batches()
        np.testing.assert_array_equal(np.stack(batches(start_step=5)), np.stack(whole[5:]))
        halves = [batches(context=tf.distribute.InputContext(2, i, 2)) for i in range(2)]
    assert len(whole) == 8
    for step in range(8):
        interleaved = np.stack([halves[0][step], halves[1][step]], axis=1).reshape(4, 32, 32, 3)
        np.testing.assert_array_equal(interleaved, whole[step])
    epoch = np.concatenate(whole)[:10].reshape(10, -1)
    assert len(np.unique(epoch, axis=0)) == 10  # an epoch is a permutation of the 10 records
