"""Lossless compression of code grids with a `CodePixelCNN` (a VQ-VAE prior): exact round
trips at −log2 p(codes) bits, K up to the header's 65,535, and refusals of corrupted data,
another model or another condition."""

import numpy as np
import pytest

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn import compression
from tf_pixelcnn.compression import header as header_lib

SMALL = dict(embedding_dim=6, num_layers=2, filters=8, kernel_size=3)
GRID, BATCH = (5, 6), 4
# As tests/compression/test_lossless.py: the coder's end words, and at most 1% for its
# 24-bit fixed-point tables.
CODER_OVERHEAD_BITS = 64


def prior(condition_kind="none", num_codes=512, **kwargs):
    """A tiny prior with sharp, context-dependent tables, and a condition of `BATCH`."""
    rng = np.random.default_rng(5)
    condition = None
    if condition_kind == "labels":
        kwargs["num_classes"] = 3
        condition = np.array([0, 2, 1, 2], np.int32)
    if condition_kind == "code_map":
        kwargs.update(condition_grid_shape=(3, 3), condition_num_codes=40)
        condition = rng.integers(0, 40, (BATCH, 3, 3, 1)).astype(np.int32)
    model = tpc.CodePixelCNN(grid_shape=GRID, num_codes=num_codes, **SMALL, **kwargs)
    sharpen_output(model, scale=1.0)
    return model, condition


def model_bits(model, codes, condition):
    return float(-np.sum(model.log_prob(codes, condition=condition)) / np.log(2.0))


def assert_coded_at_the_models_bits(data, model, codes, condition):
    bits, expected = compression.coded_bits(data), model_bits(model, codes, condition)
    assert bits <= 1.01 * expected + CODER_OVERHEAD_BITS, (bits, expected)
    assert bits >= expected - CODER_OVERHEAD_BITS, (bits, expected)  # no hidden side channel


@pytest.mark.parametrize("condition_kind", ["none", "labels", "code_map"])
def test_codes_drawn_from_the_prior_round_trip_at_its_bits(condition_kind):
    model, condition = prior(condition_kind)
    codes = tpc.sample(
        model, BATCH, condition=condition, seed=(1, 2), jit_compile=False
    ).numpy()  # typical data: the size is −log2 p, not the worst case
    data = compression.compress(model, codes, condition)
    decoded = compression.decompress(model, data, condition)
    assert decoded.dtype == np.int32 and decoded.shape == (BATCH, *GRID, 1)
    np.testing.assert_array_equal(decoded, codes)
    assert_coded_at_the_models_bits(data, model, codes, condition)
    header, _ = header_lib.Header.unpack(memoryview(data))
    assert (header.model_kind, header.num_levels) == ("CodePixelCNN", 512)
    assert header.image_shape == (*GRID, 1) and header.batch == BATCH


def test_a_4096_code_grid_round_trips():
    """K = 4096 (a common VQ-VAE codebook): tables of 4,096 entries per code through the
    range coder's Categorical; uniformly random codes, unlikely under the prior."""
    model, _ = prior(num_codes=4096)
    codes = np.random.default_rng(0).integers(0, 4096, (2, *GRID, 1)).astype(np.int32)
    data = compression.compress(model, codes)
    np.testing.assert_array_equal(compression.decompress(model, data), codes)
    assert_coded_at_the_models_bits(data, model, codes, None)


def test_the_largest_codebook_the_header_holds_round_trips():
    model = tpc.CodePixelCNN(grid_shape=(2, 3), num_codes=65535, **SMALL)
    codes = np.array([0, 65534, 1, 40000, 65533, 7], np.int32).reshape(1, 2, 3, 1)
    data = compression.compress(model, codes)
    assert header_lib.Header.unpack(memoryview(data))[0].num_levels == 65535
    np.testing.assert_array_equal(compression.decompress(model, data), codes)


def test_corrupted_data_another_model_or_another_code_map_is_refused():
    model, condition = prior("code_map")
    codes = np.random.default_rng(1).integers(0, 512, (BATCH, *GRID, 1)).astype(np.int32)
    data = compression.compress(model, codes, condition)
    for offset in (6, header_lib.SIZE, len(data) - 1):  # the batch field, the payload
        corrupted = bytearray(data)
        corrupted[offset] ^= 0x01
        with pytest.raises(compression.CompressedDataError, match="Corrupted data"):
            compression.decompress(model, bytes(corrupted), condition)
    other_map = condition.copy()
    other_map[0, 0, 0, 0] = (other_map[0, 0, 0, 0] + 1) % 40
    with pytest.raises(compression.CompressedDataError, match="condition differs"):
        compression.decompress(model, data, other_map)
    other_config = tpc.CodePixelCNN(
        grid_shape=GRID, num_codes=512, condition_grid_shape=(3, 3), condition_num_codes=40,
        **{**SMALL, "embedding_dim": 7},
    )  # fmt: skip
    with pytest.raises(compression.CompressedDataError, match="another configuration"):
        compression.decompress(other_config, data, condition)
    other_weights, _ = prior("code_map")
    other_weights.set_weights([w * 1.01 for w in model.get_weights()])
    with pytest.raises(compression.CompressedDataError, match="same configuration but other"):
        compression.decompress(other_weights, data, condition)
    image_model = tpc.GatedPixelCNN((*GRID, 1), num_levels=256, num_layers=2, filters=8,
                                    kernel_size=3)  # fmt: skip
    with pytest.raises(compression.CompressedDataError, match="compressed with a CodePixelCNN"):
        compression.decompress(image_model, data)
    with pytest.raises(Exception, match="condition image values must be in \\[0, 40\\)"):
        compression.compress(model, codes, np.full_like(condition, 40))
