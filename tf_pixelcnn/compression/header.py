"""The header of a compressed batch: what `decompress` needs and what it checks.

    magic "TPCZ" | format version | model kind | batch | H | W | C | num_levels |
    config digest (8 bytes) | weights digest (8 bytes) | CRC-32 of the condition |
    CRC-32 of the images | bytes of side information (the auto-encoder's codes)

little-endian, 48 bytes. The digests tell a model of another configuration from one of
the same configuration with other weights; the image CRC catches a decode that went wrong
(corrupted data, or a model that computes differently) instead of returning garbage.
"""

import dataclasses
import hashlib
import json
import struct
import zlib

import numpy as np

MAGIC = b"TPCZ"
FORMAT_VERSION = 1
_LAYOUT = struct.Struct("<4sBBIHHBH8s8sIII")
SIZE = _LAYOUT.size

MODEL_KINDS = ("GatedPixelCNN", "GrayscalePixelCNN", "PyramidPixelCNN", "PixelCNNAutoencoder")


class CompressedDataError(ValueError):
    """The data is not a compressed batch of this model, or it is corrupted."""


@dataclasses.dataclass(frozen=True)
class Header:
    model_kind: str
    batch: int
    image_shape: tuple
    num_levels: int
    config_digest: bytes
    weights_digest: bytes
    condition_crc: int
    images_crc: int
    side_bytes: int = 0

    def pack(self) -> bytes:
        height, width, channels = self.image_shape
        return _LAYOUT.pack(
            MAGIC, FORMAT_VERSION, MODEL_KINDS.index(self.model_kind), self.batch, height,
            width, channels, self.num_levels, self.config_digest, self.weights_digest,
            self.condition_crc, self.images_crc, self.side_bytes,
        )  # fmt: skip

    @classmethod
    def unpack(cls, data: bytes) -> "Header":
        if len(data) < SIZE or data[:4] != MAGIC:
            raise CompressedDataError(
                f"Not tf_pixelcnn compressed data: expected the magic bytes {MAGIC!r} and a "
                f"{SIZE}-byte header. Received: {len(data)} bytes starting {bytes(data[:8])!r}."
            )
        fields = _LAYOUT.unpack(bytes(data[:SIZE]))
        version, kind = fields[1], fields[2]
        if version != FORMAT_VERSION:
            raise CompressedDataError(
                f"Compressed data of format version {version}; this tf_pixelcnn reads version "
                f"{FORMAT_VERSION}."
            )
        if kind >= len(MODEL_KINDS):
            raise CompressedDataError(f"Unknown model kind {kind} in the header (corrupted?).")
        return cls(
            MODEL_KINDS[kind], fields[3], tuple(fields[4:7]), fields[7], fields[8], fields[9],
            fields[10], fields[11], fields[12],
        )  # fmt: skip


def config_digest(model) -> bytes:
    """8 bytes of SHA-256 of the model's class and configuration (name and trainable
    flag left out: a model reloaded from a `.keras` file or a workdir matches)."""
    config = dict(model.get_config())
    config.pop("name", None), config.pop("trainable", None)
    text = json.dumps([type(model).__name__, config], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).digest()[:8]


def weights_digest(model) -> bytes:
    """8 bytes of SHA-256 of every weight of the model, in order."""
    digest = hashlib.sha256()
    for weight in model.weights:
        value = np.ascontiguousarray(weight.numpy())
        digest.update(str((value.dtype.str, value.shape)).encode())
        digest.update(value.tobytes())
    return digest.digest()[:8]


def crc(array) -> int:
    """CRC-32 of an array's dtype, shape and bytes (0 for None)."""
    if array is None:
        return 0
    array = np.ascontiguousarray(array)
    return zlib.crc32(array.tobytes(), zlib.crc32(str((array.dtype.str, array.shape)).encode()))
