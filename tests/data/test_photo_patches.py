"""The offline colour dataset: real photo patches, disjoint splits, through the pipeline."""

import numpy as np
import pytest

from tf_pixelcnn.data.photo_patches import load_photo_patches
from tf_pixelcnn.data.pipeline import make_dataset


def test_splits_are_real_colour_patches_of_both_photos():
    train, train_labels = load_photo_patches("train")
    test, test_labels = load_photo_patches("test")
    assert train.shape == (6100, 16, 16, 3) and test.shape == (350, 16, 16, 3)
    assert train.dtype == np.uint8
    assert np.bincount(train_labels).tolist() == [3050, 3050]
    assert np.bincount(test_labels).tolist() == [175, 175]
    # Colour: the channels differ; natural images: neighbouring pixels correlate.
    assert np.abs(train[..., 0].astype(int) - train[..., 2]).mean() > 10
    flat = train.astype(np.float64)
    right = np.corrcoef(flat[:, :, :-1].ravel(), flat[:, :, 1:].ravel())[0, 1]
    assert right > 0.8
    # No test patch occurs in the train split.
    train_keys = {p.tobytes() for p in train}
    assert not any(p.tobytes() in train_keys for p in test)
    with pytest.raises(ValueError, match="Received: split='validation'"):
        load_photo_patches("validation")


def test_pipeline_yields_labelled_batches():
    batch = next(
        iter(make_dataset("photo_patches", "train", global_batch_size=8, seed=1, num_steps=2))
    )
    assert batch["image"].shape == (8, 16, 16, 3) and batch["label"].shape == (8,)
    assert int(batch["image"].numpy().max()) < 256
