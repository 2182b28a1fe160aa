"""make_dataset: deterministic, resumable, shardable streams; padded evaluation passes."""

import numpy as np
import pytest
import tensorflow as tf

from tf_pixelcnn import data


def _take(dataset, count):
    return [{k: v.numpy() for k, v in batch.items()} for batch in dataset.take(count)]


def _digits(**kwargs):
    kwargs.setdefault("num_levels", 17)
    kwargs.setdefault("num_steps", 100)
    return data.make_dataset("digits", global_batch_size=kwargs.pop("batch", 64), **kwargs)


def test_offline_digits_batches_are_labelled_integer_images():
    batch = _take(_digits(), 1)[0]
    assert batch["image"].shape == (64, 8, 8, 1) and batch["image"].dtype == np.int32
    assert batch["image"].min() >= 0 and batch["image"].max() <= 16
    assert batch["label"].shape == (64,) and set(batch["label"]) <= set(range(10))
    assert "weight" not in batch


def test_order_is_a_function_of_the_seed():
    a, b, c = (_take(_digits(seed=s), 3) for s in (1, 1, 2))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x["image"], y["image"])
    assert not np.array_equal(a[0]["label"], c[0]["label"])


@pytest.mark.parametrize("start_step", [1, 22, 23, 45])  # 1438 records: epochs end at 22.5, 45
def test_a_restarted_stream_continues_where_the_uninterrupted_one_is(start_step):
    full = _take(_digits(seed=3, num_steps=50), 50)
    resumed = _take(_digits(seed=3, num_steps=50, start_step=start_step), 50)
    assert len(resumed) == 50 - start_step
    for x, y in zip(full[start_step:], resumed):
        np.testing.assert_array_equal(x["image"], y["image"])
        np.testing.assert_array_equal(x["label"], y["label"])


def test_every_epoch_is_a_permutation_of_the_split():
    # 1438 train records, batches of 719: steps 0-1 are epoch 0, steps 2-3 epoch 1.
    batches = _take(_digits(batch=719, num_steps=4, seed=5), 4)
    train_images, _ = data.load_digits("train")
    for epoch in (batches[:2], batches[2:]):
        images = np.concatenate([b["image"] for b in epoch]).reshape(1438, -1)
        expected = train_images.reshape(1438, -1).astype(np.int32)
        np.testing.assert_array_equal(
            np.unique(images, axis=0, return_counts=True)[1],
            np.unique(expected, axis=0, return_counts=True)[1],
        )
    assert not np.array_equal(batches[0]["label"], batches[2]["label"])


@pytest.mark.parametrize("pipelines", [2, 4])
def test_sharded_pipelines_together_read_the_global_batch(pipelines):
    whole = _take(_digits(batch=16, seed=7, num_steps=5), 5)
    shards = []
    for index in range(pipelines):
        context = tf.distribute.InputContext(pipelines, index, pipelines)
        shards.append(_take(_digits(batch=16, seed=7, num_steps=5, input_context=context), 5))
    for step in range(5):
        for key in ("label", "image"):
            parts = np.stack([shards[i][step][key] for i in range(pipelines)], axis=1)
            np.testing.assert_array_equal(parts.reshape(whole[step][key].shape), whole[step][key])
        assert shards[0][step]["image"].shape[0] == 16 // pipelines


def test_evaluation_pass_is_padded_with_zero_weights_to_whole_batches():
    batches = _take(
        data.make_dataset("digits", "test", global_batch_size=100, training=False, num_levels=17),
        10,
    )
    assert len(batches) == 4  # 359 test images -> 400
    weights = np.concatenate([b["weight"] for b in batches])
    assert weights.sum() == 359 and np.all(weights[359:] == 0)
    test_images, test_labels = data.load_digits("test")
    images = np.concatenate([b["image"] for b in batches])
    np.testing.assert_array_equal(images[:359], test_images)  # record order
    np.testing.assert_array_equal(np.concatenate([b["label"] for b in batches])[:359], test_labels)


def test_evaluation_shards_cover_every_record_once_in_equal_batch_counts():
    test_images, _ = data.load_digits("test")
    counts, seen = [], []
    for index in range(3):
        context = tf.distribute.InputContext(3, index, 3)
        dataset = data.make_dataset(
            "digits",
            "test",
            global_batch_size=30,
            training=False,
            input_context=context,
            num_levels=17,
        )
        batches = _take(dataset, 100)
        counts.append(len(batches))
        for batch in batches:
            seen += [image for image, w in zip(batch["image"], batch["weight"]) if w > 0]
    assert counts == [12, 12, 12]  # 359 -> 360 records, 10 per batch per pipeline
    assert len(seen) == 359  # weights sum to the record count
    flat = lambda images: sorted(map(bytes, np.asarray(images, np.uint8).reshape(len(images), -1)))  # noqa: E731
    assert flat(seen) == flat(test_images)


def test_levels_and_grayscale_options(tmp_path):
    batch = _take(_digits(num_levels=2), 1)[0]
    assert set(np.unique(batch["image"])) == {0, 1}
    from tf_pixelcnn.utils.image_grid import write_png

    colour = np.zeros((4, 4, 3), np.uint8)
    colour[..., 0] = 200  # luma 0.2989 * 200 = 59.8
    write_png(str(tmp_path / "test" / "red.png"), colour)
    gray = data.make_dataset(
        "image_folder", "test", global_batch_size=1, data_dir=str(tmp_path), image_size=(4, 4),
        grayscale=True, num_levels=16, training=False,
    )  # fmt: skip
    image = next(iter(gray))["image"].numpy()
    assert image.shape == (1, 4, 4, 1) and np.all(image == 3)  # floor(59.8 * 16 / 256)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="Unknown dataset.*Received: 'cifar'"):
        data.make_dataset("cifar", global_batch_size=8, num_steps=1)
    with pytest.raises(ValueError, match="num_levels must be in"):
        _digits(num_levels=300)
    with pytest.raises(ValueError, match="needs num_steps"):
        data.make_dataset("digits", global_batch_size=8)
    with pytest.raises(ValueError, match="divisible by the 3 input pipelines"):
        _digits(batch=20, input_context=tf.distribute.InputContext(3, 0, 4))


def _all_images(split, **kwargs):
    dataset = data.make_dataset(
        "digits", split, global_batch_size=100, training=False, num_levels=17, **kwargs
    )
    batches = _take(dataset, 100)
    weights = np.concatenate([b["weight"] for b in batches])
    return np.concatenate([b["image"] for b in batches])[weights > 0]


def test_validation_is_held_out_of_train_and_never_the_test_split():
    train = data.load_digits("train")[0].astype(np.int32).reshape(-1, 8, 8, 1)
    validation = _all_images("validation", validation_size=138)
    rest = _all_images("train", validation_size=138)
    assert len(validation) == 138 and len(rest) == len(train) - 138
    keys = lambda images: sorted(image.tobytes() for image in images)  # noqa: E731
    assert keys(np.concatenate([validation, rest])) == keys(train)  # a partition of train
    again = _all_images("validation", validation_size=138)
    np.testing.assert_array_equal(validation, again)  # the same images every run
    assert len({label for label in np.concatenate(
        [b["label"] for b in _take(data.make_dataset(
            "digits", "validation", global_batch_size=138, training=False, num_levels=17,
            validation_size=138), 1)])}) == 10  # a permutation's sample: every class
    stream = _take(_digits(validation_size=138, num_steps=40), 40)  # 2,560 > 1 epoch
    held_out = set(keys(validation))
    assert not held_out & {i.tobytes() for b in stream for i in b["image"]}
    with pytest.raises(ValueError, match="validation_size=5000"):
        _all_images("validation", validation_size=5000)
