"""Corrupted or inconsistent compressed data is refused before anything sized by its header
is allocated (issue 19 §1.5: flipping one bit of the batch field of a 109-byte `.tpcz` made
the decoder allocate 16,777,217 images, 22.6 GB, before it failed)."""

import struct
import time
import tracemalloc

import numpy as np
import pytest

import tf_pixelcnn as tpc
from tf_pixelcnn import compression
from tf_pixelcnn.compression import header as header_lib
from tf_pixelcnn.compression import lossless

BATCH_OFFSET = 6  # magic (4) + version (1) + model kind (1)
SMALL = {"num_layers": 2, "filters": 8, "kernel_size": 3}
MAX_TRACED_BYTES = 4 * 2**20  # numpy and Python allocations of one refused decode


class DecoderRan(BaseException):
    """Raised by the spy on the decoder: a BaseException, so that decompress's
    `except Exception` (which wraps the coder's errors) cannot turn it into a refusal."""


@pytest.fixture(scope="module")
def probe():
    """The probe's file: one 8x8x1 image of 17 levels, compressed (85 bytes here)."""
    model = tpc.GatedPixelCNN((8, 8, 1), num_levels=17, **SMALL)
    images = np.random.default_rng(0).integers(0, 17, (1, 8, 8, 1))
    return model, images, compression.compress(model, images)


@pytest.fixture
def decoder_calls(monkeypatch):
    return spy_on_decoder(monkeypatch)


def spy_on_decoder(monkeypatch):
    """Records every batch the decoder is started with, and stops it there."""
    calls = []

    def spy(model, kind, stream, batch, condition, truth):
        calls.append(batch)
        raise DecoderRan(f"the decoder was started with batch={batch}")

    monkeypatch.setattr(lossless, "_run_passes", spy)
    return calls


def refusal(model, data, condition=None):
    """The CompressedDataError of decompressing `data`; checks that it came quickly,
    with little memory, before the decoder started."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(compression.CompressedDataError) as raised:
            compression.decompress(model, data, condition)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2.0
    assert peak < MAX_TRACED_BYTES, peak
    return str(raised.value)


def flipped(data, offset, mask):
    corrupted = bytearray(data)
    corrupted[offset] ^= mask
    return bytes(corrupted)


def test_every_flipped_header_byte_is_refused_before_decoding(probe, monkeypatch):
    model, images, data = probe
    assert header_lib.SIZE == 49 and len(data) > header_lib.SIZE
    np.testing.assert_array_equal(compression.decompress(model, data), images)  # intact
    decoder_calls = spy_on_decoder(monkeypatch)
    for offset in range(header_lib.SIZE):
        for mask in (0x01, 0x80, 0xFF):
            message = refusal(model, flipped(data, offset, mask))
            assert any(
                phrase in message
                for phrase in ("magic bytes", "format version", "Corrupted data", "side_bytes=")
            ), (offset, mask, message)
    # The probe's flip: the batch read is named, with the CRC that exposes it.
    message = refusal(model, flipped(data, BATCH_OFFSET + 3, 0x01))
    assert "batch=16777217" in message and "data_crc" in message
    assert decoder_calls == []


def test_flipped_payload_bytes_and_truncated_or_extended_data_are_refused(probe, decoder_calls):
    model, _, data = probe
    for offset in (header_lib.SIZE, (header_lib.SIZE + len(data)) // 2, len(data) - 1):
        for mask in (0x01, 0xFF):
            assert "Corrupted data" in refusal(model, flipped(data, offset, mask))
    for length in range(len(data)):
        refusal(model, data[:length])
    assert "Corrupted data" in refusal(model, data + bytes(4))
    assert decoder_calls == []


def seal(model, kind, batch, body=b"", side_bytes=0, condition_crc=0):
    """Data with a valid CRC whose fields disagree with the model or the condition."""
    header = header_lib.Header(
        kind, batch, tuple(model.image_shape), model.num_levels,
        header_lib.config_digest(model), header_lib.weights_digest(model), condition_crc,
        0, side_bytes,
    )  # fmt: skip
    return header.seal(body)


def test_fields_are_checked_against_the_model_and_condition_before_decoding(decoder_calls):
    """Intact data (valid CRC) whose batch or side information the model and the
    condition contradict: refused by field, before the decoder starts."""
    classes = tpc.GatedPixelCNN((4, 4, 1), num_levels=4, num_classes=3, **SMALL)
    labels = np.array([2], np.int32)
    data = seal(classes, "GatedPixelCNN", 2**24 + 1, bytes(8), 0, header_lib.crc(labels))
    message = refusal(classes, data, labels)
    assert "Header field batch=16777217, but the condition has 1 rows" in message
    data = seal(classes, "GatedPixelCNN", 1, bytes(8), 4, header_lib.crc(labels))
    assert "Header field side_bytes=4; a GatedPixelCNN has no side information" in refusal(
        classes, data, labels
    )
    autoencoder = tpc.PixelCNNAutoencoder(
        (4, 4, 1), bottleneck_dim=2, num_levels=4, encoder_filters=4, **SMALL
    )
    data = seal(autoencoder, "PixelCNNAutoencoder", 2**24 + 1, bytes(12), side_bytes=8)
    message = refusal(autoencoder, data)
    assert "side_bytes=8, batch=16777217: expected 134217736 bytes of float32 codes" in message
    assert decoder_calls == []


def test_format_1_data_decodes_and_its_flipped_batch_is_refused(probe, decoder_calls):
    """Format 1 (45-byte header, no CRC of header and payload, written before format 2)
    still decodes; the probe's flip of its batch field is refused by the format-1 batch
    bound before the decoder starts."""
    model, images, data = probe
    fields = struct.unpack("<4sBBIHHBH8s8sIII", data[:45])
    version_1 = struct.pack("<4sBBIHHBH8s8sIII", fields[0], 1, *fields[2:])
    version_1 += data[header_lib.SIZE :]
    message = refusal(model, flipped(version_1, BATCH_OFFSET + 3, 0x01))
    assert "batch=16777217 of format-1 data (no CRC)" in message
    assert decoder_calls == []
    header, body = header_lib.Header.unpack(memoryview(version_1))
    assert header.format_version == 1 and header.batch == 1
    assert bytes(body) == data[header_lib.SIZE :]  # the same coded words


def test_format_1_data_decodes(probe):
    model, images, data = probe
    fields = struct.unpack("<4sBBIHHBH8s8sIII", data[:45])
    version_1 = struct.pack("<4sBBIHHBH8s8sIII", fields[0], 1, *fields[2:])
    version_1 += data[header_lib.SIZE :]
    np.testing.assert_array_equal(compression.decompress(model, version_1), images)
