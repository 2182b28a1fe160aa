"""Lossless compression: exact round trips, coded size at the model's −log2 p(x), clear
errors for another model, another condition or corrupted data."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn import compression
from tf_pixelcnn.compression import header as header_lib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SMALL = dict(num_layers=2, filters=6, kernel_size=3)
# Range coding costs a few words on top of −log2 p: its end, and 1% for the tables' 24-bit
# fixed-point probabilities (far less in practice).
CODER_OVERHEAD_BITS = 64


def gated(shape=(5, 6, 3), **kwargs):
    model = tpc.GatedPixelCNN(shape, **SMALL, **kwargs)
    sharpen_output(model, scale=1.0)  # non-uniform, context-dependent tables
    return model


def make_case(kind):
    """(model, images, condition) of a tiny model: images drawn from it (typical data)."""
    rng = np.random.default_rng(7)
    condition = None
    if kind == "softmax":
        model = gated(num_levels=16)
    elif kind == "softmax_256_gray":
        model = gated((6, 5, 1), num_levels=256)
    elif kind == "mixture_rgb":
        model = gated(num_levels=256, num_mixture_components=3)
    elif kind == "mixture_gray":
        model = gated((6, 5, 1), num_levels=16, num_mixture_components=2)
    elif kind == "class":
        model, condition = gated(num_levels=8, num_classes=3), np.array([0, 2, 1, 2])
    elif kind == "vector":
        model = gated(num_levels=8, condition_dim=2, spatial_condition=True)
        condition = rng.normal(size=(4, 2)).astype(np.float32)
    elif kind == "class_mixture":
        model = gated(num_levels=32, num_classes=2, num_mixture_components=2)
        condition = np.array([1, 0, 0, 1])
    elif kind == "grayscale":
        model = tpc.GrayscalePixelCNN(
            (4, 6, 3), num_levels=32, grayscale_levels=4, grayscale_num_layers=2,
            grayscale_filters=6, num_mixture_components=2, condition_filters=4, **SMALL,
        )  # fmt: skip
        return model, model.sample(num_samples=3, seed=(3, 4)).numpy(), None
    elif kind.startswith("pyramid"):
        quarters = {"pyramid": {}, "pyramid_independent": {"quarters": "independent"}}[kind]
        model = tpc.PyramidPixelCNN(
            (8, 8, 3), num_levels=32, num_resolutions=3, base_num_layers=2, base_filters=6,
            num_mixture_components=2, condition_filters=4, **SMALL, **quarters,
        )  # fmt: skip
        return model, model.sample(num_samples=3, seed=(3, 4)).numpy(), None
    elif kind == "autoencoder":
        model = tpc.PixelCNNAutoencoder(
            (6, 6, 3), bottleneck_dim=3, num_levels=8, encoder_filters=4, **SMALL
        )
        return model, rng.integers(0, 8, (3, 6, 6, 3)).astype(np.int32), None
    images = tpc.sample(model, num_samples=4, condition=condition, seed=(1, 2)).numpy()
    return model, images, condition


def model_bits(model, images, condition):
    if isinstance(model, tpc.PixelCNNAutoencoder):
        log_p = model.log_prob(images)
    elif condition is None:
        log_p = model.log_prob(images)
    else:
        log_p = model.log_prob(images, condition=condition)
    return float(-np.sum(log_p) / np.log(2.0))


KINDS = [
    "softmax", "softmax_256_gray", "mixture_rgb", "mixture_gray", "class", "vector",
    "class_mixture", "grayscale", "pyramid", "pyramid_independent", "autoencoder",
]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_exact_round_trip_at_the_models_bits(kind):
    model, images, condition = make_case(kind)
    data = compression.compress(model, images, condition)
    decoded = compression.decompress(model, data, condition)
    assert decoded.dtype == np.int32
    np.testing.assert_array_equal(decoded, images)
    bits = compression.coded_bits(data)
    if kind == "autoencoder":  # the codes travel as float32
        bits -= 32 * images.shape[0] * model.bottleneck_dim
    expected = model_bits(model, images, condition)
    assert bits <= 1.01 * expected + CODER_OVERHEAD_BITS, (bits, expected)
    assert bits >= expected - CODER_OVERHEAD_BITS, (bits, expected)  # no hidden side channel


def test_images_that_are_unlikely_under_the_model_round_trip_too():
    model = gated(num_levels=16)
    images = np.random.default_rng(0).integers(0, 16, (3, 5, 6, 3)).astype(np.int32)
    data = compression.compress(model, images)
    np.testing.assert_array_equal(compression.decompress(model, data), images)
    expected = model_bits(model, images, None)
    assert compression.coded_bits(data) <= 1.01 * expected + CODER_OVERHEAD_BITS


def test_decompression_in_a_separate_process(tmp_path):
    """The child loads the models from .keras files and decodes the parent's bytes."""
    jobs = []
    for kind in ("class", "mixture_rgb"):
        model, images, condition = make_case(kind)
        model.save(tmp_path / f"{kind}.keras")
        (tmp_path / f"{kind}.bin").write_bytes(compression.compress(model, images, condition))
        np.save(tmp_path / f"{kind}_images.npy", images)
        if condition is not None:
            np.save(tmp_path / f"{kind}_condition.npy", condition)
        jobs.append(kind)
    script = (
        "import sys, os, numpy as np, keras\n"
        "import tf_pixelcnn as tpc\n"
        "d = sys.argv[1]\n"
        "for kind in sys.argv[2:]:\n"
        "    model = keras.saving.load_model(os.path.join(d, kind + '.keras'))\n"
        "    path = os.path.join(d, kind + '_condition.npy')\n"
        "    condition = np.load(path) if os.path.exists(path) else None\n"
        "    data = open(os.path.join(d, kind + '.bin'), 'rb').read()\n"
        "    np.save(os.path.join(d, kind + '_decoded.npy'),\n"
        "            tpc.compression.decompress(model, data, condition))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), *jobs],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    for kind in jobs:
        np.testing.assert_array_equal(
            np.load(tmp_path / f"{kind}_decoded.npy"), np.load(tmp_path / f"{kind}_images.npy")
        )


def test_a_wrong_model_condition_or_corrupted_data_is_rejected():
    model, images, condition = make_case("class")
    data = compression.compress(model, images, condition)
    other_weights = gated(num_levels=8, num_classes=3)
    other_weights.set_weights([w * 1.01 for w in model.get_weights()])
    with pytest.raises(compression.CompressedDataError, match="same configuration but other"):
        compression.decompress(other_weights, data, condition)
    with pytest.raises(compression.CompressedDataError, match="another configuration"):
        compression.decompress(gated(num_levels=8, num_classes=4), data, condition)
    with pytest.raises(compression.CompressedDataError, match=r"shape \(5, 6, 3\) with 8 levels"):
        compression.decompress(gated(num_levels=16, num_classes=3), data, condition)
    with pytest.raises(compression.CompressedDataError, match="compressed with a GatedPixelCNN"):
        compression.decompress(make_case("pyramid")[0], data)
    with pytest.raises(compression.CompressedDataError, match="condition differs"):
        compression.decompress(model, data, condition[::-1].copy())
    with pytest.raises(compression.CompressedDataError, match="magic bytes"):
        compression.decompress(model, b"PNG" + data, condition)
    with pytest.raises(compression.CompressedDataError, match="whole 32-bit words"):
        compression.decompress(model, data[:-1], condition)
    corrupted = bytearray(data)
    corrupted[header_lib.SIZE + 2] ^= 0x10
    with pytest.raises(compression.CompressedDataError, match="Corrupted data"):
        compression.decompress(model, bytes(corrupted), condition)
    version = bytearray(data)
    version[4] = 99
    with pytest.raises(compression.CompressedDataError, match="format version 99"):
        compression.decompress(model, bytes(version), condition)


def test_the_original_pixel_cnn_and_bad_inputs_are_refused_clearly():
    baseline = tpc.PixelCNN((3, 3, 1), num_layers=1, filters=2, num_levels=4)
    with pytest.raises(ValueError, match="original PixelCNN has no cached pass"):
        compression.compress(baseline, np.zeros([1, 3, 3, 1], np.int32))
    model = gated(num_levels=8, num_classes=3)
    with pytest.raises(ValueError, match="needs condition"):
        compression.compress(model, np.zeros([1, 5, 6, 3], np.int32))
    with pytest.raises(ValueError, match="images height must be 5"):
        compression.compress(model, np.zeros([1, 4, 6, 3], np.int32), np.array([0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_levels=8"):
        compression.compress(model, np.full([1, 5, 6, 3], 8, np.int32), np.array([0]))


def test_a_mixed_precision_model_codes_with_its_float32_copy():
    keras = pytest.importorskip("keras")
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = tpc.GatedPixelCNN((4, 5, 3), num_levels=8, **SMALL)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    images = np.random.default_rng(2).integers(0, 8, (2, 4, 5, 3)).astype(np.int32)
    data = compression.compress(model, images)
    np.testing.assert_array_equal(compression.decompress(model, data), images)
