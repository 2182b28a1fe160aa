"""The header of a compressed batch: what `decompress` needs and what it checks.

    magic "TPCZ" | format version | model kind | batch | H | W | C | num_levels |
    config digest (8 bytes) | weights digest (8 bytes) | CRC-32 of the condition |
    CRC-32 of the images | bytes of side information (the auto-encoder's codes) |
    CRC-32 of everything else (the fields before it, the side information, the coded words)

little-endian, `SIZE` = 49 bytes; num_levels is a uint16 (a `CodePixelCNN`'s K up to
65,535). The last CRC is checked before any field is used: a
corrupted or missing byte anywhere is reported before anything sized by the header (the
batch) is allocated. The digests tell a model of another configuration from one of
the same configuration with other weights; the image CRC catches a decode that went wrong
(a model that computes differently) instead of returning garbage.

Format 1 (45 bytes, written before the data CRC existed) is still read: its fields are
checked against the data's length, the model and the condition like format 2's, and,
having no CRC, its batch is also bounded where nothing else checks it (no condition, no
side information): at most `LEGACY_MAX_SUBPIXELS` sub-pixels, so a corrupted batch field
is refused instead of allocating millions of images.
"""

import dataclasses
import hashlib
import json
import struct
import zlib
from typing import Tuple

import numpy as np

MAGIC = b"TPCZ"
FORMAT_VERSION = 2
LEGACY_FORMAT_VERSION = 1
# Format 1's batch, where no condition or side information checks it: batch·H·W·C at
# most this (2^24 sub-pixels: 64 MiB of int32 images; e.g. 5,461 CIFAR-size images).
LEGACY_MAX_SUBPIXELS = 2**24
_FIELDS = struct.Struct("<4sBBIHHBH8s8sIII")  # everything before the data CRC
_DATA_CRC = struct.Struct("<I")
SIZE = _FIELDS.size + _DATA_CRC.size
LEGACY_SIZE = _FIELDS.size  # format 1: the fields alone
_VERSION_OFFSET = len(MAGIC)

MODEL_KINDS = (
    "GatedPixelCNN", "GrayscalePixelCNN", "PyramidPixelCNN", "PixelCNNAutoencoder", "CodePixelCNN"
)  # fmt: skip


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
    format_version: int = FORMAT_VERSION

    def seal(self, body: bytes) -> bytes:
        """The compressed data: this header, sealed by the CRC-32 of its fields and of
        `body` (the side information, then the coded words), followed by `body`."""
        height, width, channels = self.image_shape
        fields = _FIELDS.pack(
            MAGIC, FORMAT_VERSION, MODEL_KINDS.index(self.model_kind), self.batch, height,
            width, channels, self.num_levels, self.config_digest, self.weights_digest,
            self.condition_crc, self.images_crc, self.side_bytes,
        )  # fmt: skip
        return fields + _DATA_CRC.pack(zlib.crc32(body, zlib.crc32(fields))) + body

    @classmethod
    def unpack(cls, data: memoryview) -> Tuple["Header", memoryview]:
        """`(header, body)` of compressed data, checked against the data itself: the
        magic bytes, the version, the lengths the fields give, then the CRC-32 of all.

        Raises:
            CompressedDataError: naming the field, the value read and what was expected.
        """
        if data[: len(MAGIC)] != MAGIC:
            raise CompressedDataError(
                f"Not tf_pixelcnn compressed data: expected the magic bytes {MAGIC!r} and a "
                f"{SIZE}-byte header. Received: {len(data)} bytes starting {bytes(data[:8])!r}."
            )
        version = data[_VERSION_OFFSET] if len(data) > _VERSION_OFFSET else None
        if version not in (FORMAT_VERSION, LEGACY_FORMAT_VERSION):
            raise CompressedDataError(_version_message(version))
        size = SIZE if version == FORMAT_VERSION else LEGACY_SIZE
        if len(data) < size:
            raise CompressedDataError(
                f"Truncated data: {len(data)} bytes, expected at least the {size}-byte header "
                f"of format version {version}."
            )
        fields = _FIELDS.unpack(data[: _FIELDS.size])
        body = data[size:]
        side_bytes = fields[12]
        if side_bytes > len(body):
            raise CompressedDataError(
                f"Header field side_bytes={side_bytes}, but only {len(body)} bytes follow the "
                f"{size}-byte header (truncated or corrupted data)."
            )
        if (len(body) - side_bytes) % 4:
            raise CompressedDataError(
                f"The coded part must be whole 32-bit words. Received: "
                f"{len(body) - side_bytes} bytes after side_bytes={side_bytes} bytes of side "
                "information (truncated data?)."
            )
        if version == FORMAT_VERSION:
            _check_data_crc(data, fields, body)
        kind = fields[2]
        if kind >= len(MODEL_KINDS):  # intact data of a newer tf_pixelcnn
            raise CompressedDataError(
                f"Header field model_kind={kind}; this tf_pixelcnn knows 0 to "
                f"{len(MODEL_KINDS) - 1} ({', '.join(MODEL_KINDS)})."
            )
        header = cls(
            MODEL_KINDS[kind], fields[3], tuple(fields[4:7]), fields[7], fields[8], fields[9],
            fields[10], fields[11], side_bytes, version,
        )  # fmt: skip
        return header, body

    def check_legacy_batch(self) -> None:
        """Format 1 has no CRC: where nothing else checks its batch (no condition, no side
        information), refuse one of more than `LEGACY_MAX_SUBPIXELS` sub-pixels."""
        if self.format_version != LEGACY_FORMAT_VERSION:
            return
        subpixels = self.batch * int(np.prod(self.image_shape))
        if subpixels > LEGACY_MAX_SUBPIXELS:
            raise CompressedDataError(
                f"Header field batch={self.batch} of format-1 data (no CRC) would decode "
                f"{subpixels} sub-pixels, more than {LEGACY_MAX_SUBPIXELS}: the field is "
                "probably corrupted. (Format 1 cannot prove it; data compressed now carries a "
                "CRC.)"
            )


def _check_data_crc(data: memoryview, fields, body: memoryview) -> None:
    """Format 2: the CRC-32 of the header's fields and the body against its data_crc."""
    (stored_crc,) = _DATA_CRC.unpack(data[_FIELDS.size : SIZE])
    side_bytes = fields[12]
    computed = zlib.crc32(body, zlib.crc32(data[: _FIELDS.size]))
    if computed != stored_crc:
        raise CompressedDataError(
            f"Corrupted data: the CRC-32 of its header and {len(body)} following bytes is "
            f"{computed:#010x}, the header's data_crc field says {stored_crc:#010x}. The "
            f"header reads model_kind={_kind_name(fields[2])}, batch={fields[3]}, "
            f"image_shape={tuple(fields[4:7])}, num_levels={fields[7]}, "
            f"side_bytes={side_bytes}; one of these, or a byte after the header, changed."
        )


def _kind_name(kind: int):
    return MODEL_KINDS[kind] if kind < len(MODEL_KINDS) else kind


def _version_message(version) -> str:
    return (
        f"Compressed data of format version {version}; this tf_pixelcnn reads versions "
        f"{LEGACY_FORMAT_VERSION} and {FORMAT_VERSION} (data of a newer tf_pixelcnn, or a "
        "corrupted header)."
    )


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
