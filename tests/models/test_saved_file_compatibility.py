"""Files saved by earlier code still load, with the same weights and log p.

The `.tpcz` fixtures were written by commit 765f432 (compressed-data format 1) from the
`.keras` fixtures and their images. The other fixtures (`fixtures/make_fixtures.py`) were
written before `checked_condition` and
the `spatial_condition_network` / `image_condition_network` properties existed: a
`.keras` file and a `tf.train.Checkpoint` of a GatedPixelCNN with s = m(h) and of a
GrayscalePixelCNN (s = f_w(x̂) in its colour model), and their log p on fixed images.
"""

import json
import pathlib
import zipfile

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
KWARGS = json.loads((FIXTURES / "kwargs.json").read_text())
MODELS = {"gated_spatial": tpc.GatedPixelCNN, "grayscale": tpc.GrayscalePixelCNN}
# Every fixture was written when the output head was as wide as the stacks: code that
# rebuilds those models says so (`.keras` files and workdirs need nothing: a config
# without `output_filters` loads with that width).
STACK_HEAD = {"output_filters": tpc.models.head_width.STACK_WIDTH}


def _kwargs(name):
    return {**KWARGS[name], **STACK_HEAD}


def _log_prob(model, name):
    images = np.load(FIXTURES / f"{name}_images.npy")
    condition_file = FIXTURES / f"{name}_condition.npy"
    condition = np.load(condition_file) if condition_file.exists() else None
    return model.log_prob(images, condition=condition).numpy()


def _expected(name):
    return np.load(FIXTURES / f"{name}_log_prob.npy")


def _weight_paths(keras_file):
    """Every dataset path in the archive's `model.weights.h5`, sorted."""
    paths = []
    with zipfile.ZipFile(keras_file) as archive, archive.open("model.weights.h5") as weights:
        with h5py.File(weights, "r") as store:
            store.visititems(
                lambda path, item: paths.append(path) if isinstance(item, h5py.Dataset) else None
            )
    return sorted(paths)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_file_loads_with_the_same_log_prob(name):
    model = keras.saving.load_model(FIXTURES / f"{name}.keras")
    assert isinstance(model, MODELS[name])
    np.testing.assert_allclose(_log_prob(model, name), _expected(name), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_file_layout_is_unchanged(name, tmp_path):
    """A file saved now keeps every weight at its old path (so older code loads it)."""
    model = MODELS[name](**_kwargs(name), name=name)
    model.save(tmp_path / "model.keras")
    assert _weight_paths(tmp_path / "model.keras") == _weight_paths(FIXTURES / f"{name}.keras")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_checkpoint_restores_with_the_same_log_prob_and_keys(name, tmp_path):
    model = MODELS[name](**_kwargs(name), name=name)
    prefix = str(FIXTURES / f"{name}_checkpoint")
    tf.train.Checkpoint(model=model).restore(prefix).assert_existing_objects_matched()
    np.testing.assert_allclose(_log_prob(model, name), _expected(name), rtol=1e-6, atol=1e-6)
    checkpoint = tf.train.Checkpoint(model=model)
    checkpoint.save_counter  # noqa: B018  (created, as the fixture's)
    written = checkpoint.write(str(tmp_path / "checkpoint"))
    keys = lambda path: sorted(key for key, _ in tf.train.list_variables(path))  # noqa: E731
    assert keys(written) == keys(prefix)


ORDERED = json.loads((FIXTURES / "weight_paths.json").read_text())


@pytest.mark.parametrize("name", sorted(ORDERED))
def test_weights_keep_their_paths_shapes_and_order(name):
    """`model.weights` as before: `float32_copy` and the compression weights digest go by
    this order, variable paths by the layers' names."""
    entry = ORDERED[name]
    model_class = getattr(tpc, entry["class"])
    kwargs = entry["kwargs"]
    if issubclass(model_class, tpc.models.head_width.SavedHeadWidth):
        kwargs = {**kwargs, **STACK_HEAD}
    model = model_class(**kwargs, name=name)
    assert [[w.path, list(w.shape)] for w in model.weights] == entry["weights"]


def test_checkpoint_into_a_model_of_todays_default_width_is_refused():
    """Built without `output_filters`, today's colour head is wider than the fixture's:
    restoring fails on the head's shapes instead of loading part of the weights."""
    model = tpc.GrayscalePixelCNN(**KWARGS["grayscale"], name="grayscale")
    assert model.colour_model.head_width > KWARGS["grayscale"]["filters"]
    prefix = str(FIXTURES / "grayscale_checkpoint")
    with pytest.raises(ValueError, match="output_head"):
        tf.train.Checkpoint(model=model).restore(prefix).assert_existing_objects_matched()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_data_compressed_by_the_earlier_format_decodes(name):
    """`{name}_format1.tpcz`: the fixture images compressed by commit 765f432 (format 1,
    45-byte header without a CRC) decode to the same images with today's code."""
    model = keras.saving.load_model(FIXTURES / f"{name}.keras")
    data = (FIXTURES / f"{name}_format1.tpcz").read_bytes()
    assert data[4] == 1  # the format-version byte
    condition_file = FIXTURES / f"{name}_condition.npy"
    condition = np.load(condition_file) if condition_file.exists() else None
    decoded = tpc.compression.decompress(model, data, condition=condition)
    np.testing.assert_array_equal(decoded, np.load(FIXTURES / f"{name}_images.npy"))
