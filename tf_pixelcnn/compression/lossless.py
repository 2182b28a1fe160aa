"""Lossless compression of images with a PixelCNN and a range coder.

A PixelCNN gives every sub-pixel a probability table given the sub-pixels before it; a
range coder (`constriction`) spends about −log2 p of the true value on each, so a batch
compresses to about −log2 p(x) bits plus a small header. The tables come from the cached
sampler's incremental pass, teacher-forced when compressing and fed the decoded values
when decompressing: the same compiled graph in both directions (`coded_pass`), so the
decoder sees the encoder's tables bit for bit and the round trip is exact. Decompressing
costs about what sampling costs (one pass, plus a Python call per sub-pixel that hands
its table to the coder); so does compressing.

Model kinds:

- `GatedPixelCNN`, softmax output: every sub-pixel with its softmax;
- `GatedPixelCNN`, logistic-mixture output: R, then G given R, then B given R, G, with
  the exact conditionals of the mixture (`compression.coded_pass`);
- conditional `GatedPixelCNN`s: the same `condition` must be given to both functions
  (its CRC is in the header);
- `CodePixelCNN` (a VQ-VAE prior): code grids `int [B, h, w, 1]` with the K-way softmax
  of every code, K up to 65,535 (the header's num_levels field); conditioned on labels or
  on a code map `int [B, h', w', 1]`, given to both functions like any condition;
- `GrayscalePixelCNN`: x̂ with the grayscale model, then x given x̂ with the truncated
  mixture (values outside a channel's interval cost nothing);
- `PyramidPixelCNN`: level by level, lowest first; the quarter of a level copied from
  the level below is not coded (`quarters="independent"`: the three new quarters in one
  pass of the level's model, as it samples them);
- `PixelCNNAutoencoder`: the code h = encode(x) is stored as float32 (4·m bytes per
  image), then x given h with the decoder.

The original `PixelCNN` has no cached pass: it is refused with a clear error. A
mixed-precision model codes with its float32 copy (`models.float32_copy`), as
`tpc.sample` samples with it.

Compress and decompress on the same platform (the same TensorFlow build, device kind and
number of CPU threads): the tables must be bit-identical, and other kernels (or another
split of a matrix product across threads) may round differently. A mismatch is detected
(CRC of the images) and reported, not returned. A batch is one coded stream, decoded
with the batch size it was coded with.
"""

from typing import Optional

import numpy as np
import tensorflow as tf

from tf_pixelcnn.compression import header as header_lib
from tf_pixelcnn.compression.coded_pass import coded_pass
from tf_pixelcnn.compression.handlers import CodingHandler, SymbolStream
from tf_pixelcnn.compression.header import CompressedDataError, Header
from tf_pixelcnn.sampling.two_stack_model import supports_cached_sampling
from tf_pixelcnn.utils.float32_copy import float32_copy


def compress(model, images, condition=None) -> bytes:
    """Compresses integer images losslessly with `model`'s probabilities.

    Args:
        model: a `GatedPixelCNN` (softmax or logistic mixture, any conditioning),
            `CodePixelCNN`, `GrayscalePixelCNN`, `PyramidPixelCNN` or
            `PixelCNNAutoencoder`.
        images: integer `[batch, H, W, C]` in `[0, num_levels)` (a `CodePixelCNN`'s
            codes: `[batch, h, w, 1]`).
        condition: what the model's `condition_spec` says: labels `[batch]`, vectors
            `[batch, D]` or an image / code map `[batch, h', w', c]` (give the same to
            `decompress`).

    Returns:
        The header (`compression.header.SIZE` bytes), the auto-encoder's codes if any,
        then the range coder's words: about −log2 p(images) bits in all.

    Example:
        >>> data = tpc.compression.compress(model, images)
        >>> np.array_equal(tpc.compression.decompress(model, data), images)
        True
    """
    kind = _model_kind(model)
    images = np.asarray(model.check_images(images), np.int32)
    condition = _checked_condition(model, condition, kind)
    batch = images.shape[0]
    stream = SymbolStream()
    side = b""
    side_spec = model.side_information_spec
    if side_spec is not None:  # e.g. an auto-encoder's code: stored, then conditioned on
        code = model.side_information(images).numpy()
        code = np.ascontiguousarray(code, side_spec.tensor_spec.dtype.as_numpy_dtype)
        side = code.tobytes()
        condition = code
    decoded = _run_passes(model, stream, batch, condition, truth=images)
    if not np.array_equal(decoded, images):  # the pass returns what the handler gave it
        raise AssertionError("compress: the teacher-forced pass changed the images.")
    header = Header(
        kind, batch, tuple(model.image_shape), model.num_levels,
        header_lib.config_digest(model), header_lib.weights_digest(model),
        header_lib.crc(None if side_spec is not None else condition),
        header_lib.crc(images), len(side),
    )  # fmt: skip
    return header.seal(side + stream.compressed().tobytes())


def decompress(model, data: bytes, condition=None) -> np.ndarray:
    """The images of `compress(model, images, condition)`, `int32 [batch, H, W, C]`.

    Every header field is checked against the data (lengths, CRC-32 of the header and
    payload), the model and the condition before anything sized by the header is
    allocated; the decoded images are checked against their CRC.

    Raises:
        CompressedDataError (a ValueError): data of another format, model or condition,
            or corrupted data, naming the field, the value read and what was expected.
    """
    kind = _model_kind(model)
    header, body = Header.unpack(memoryview(bytes(data)))
    _check_model(model, kind, header)
    batch = header.batch
    side, payload = body[: header.side_bytes], body[header.side_bytes :]
    side_spec = model.side_information_spec
    if side_spec is not None:
        if condition is not None:
            raise ValueError(f"A {kind}'s data carries its codes: give no condition.")
        dtype, dim = side_spec.tensor_spec.dtype.as_numpy_dtype, side_spec.dim
        size = np.dtype(dtype).itemsize * batch * dim
        if len(side) != size:
            raise CompressedDataError(
                f"Header fields side_bytes={len(side)}, batch={batch}: expected "
                f"{size} bytes of {np.dtype(dtype).name} codes for {batch} images of a "
                f"bottleneck of {dim}."
            )
        condition = np.frombuffer(side, dtype).reshape(batch, dim)
    else:
        if len(side):
            raise CompressedDataError(
                f"Header field side_bytes={len(side)}; a {kind} has no side information "
                "(expected 0)."
            )
        condition = _checked_condition(model, condition, kind)
        if condition is not None and len(condition) != batch:
            raise CompressedDataError(
                f"Header field batch={batch}, but the condition has {len(condition)} rows: "
                "give decompress the condition the images were compressed with."
            )
        if header_lib.crc(condition) != header.condition_crc:
            raise CompressedDataError(
                "The condition differs from the one the images were compressed with (its "
                f"CRC {header_lib.crc(condition):#010x}, header field condition_crc="
                f"{header.condition_crc:#010x}): give decompress the same condition (labels, "
                "vectors or image) as compress."
            )
    if condition is None:
        header.check_legacy_batch()  # format 1: nothing else bounds its batch
    stream = SymbolStream(np.frombuffer(payload, np.uint32).copy())
    try:
        images = _run_passes(model, stream, batch, condition, truth=None)
    except Exception as error:  # the coder's own errors on a corrupted stream, any type
        raise CompressedDataError(
            f"Decoding failed (corrupted data?): {type(error).__name__}: {error}"
        ) from error
    if header_lib.crc(images) != header.images_crc:
        raise CompressedDataError(
            "The decoded images do not match the header field images_crc, though the data "
            "passed its CRC: this model computes other probabilities than the one that "
            "compressed them (another platform or TensorFlow build)."
        )
    return images


def coded_bits(data: bytes) -> int:
    """Bits of the compressed data without the header (side information included)."""
    legacy = len(data) > 4 and data[4] == header_lib.LEGACY_FORMAT_VERSION
    return 8 * (len(data) - (header_lib.LEGACY_SIZE if legacy else header_lib.SIZE))


# --- The model's factorisation (`models.factorisation`) ----------------------------------


def _model_kind(model) -> str:
    """The header's name of `model` (`model.model_kind`), once every factor has a cached
    pass."""
    kind = model.model_kind
    factors = model.factors()
    if kind not in header_lib.MODEL_KINDS or not all(
        supports_cached_sampling(factor.network) for factor in factors
    ):
        raise ValueError(
            "Compression needs a model with a cached pass: a GatedPixelCNN, CodePixelCNN, "
            "GrayscalePixelCNN, PyramidPixelCNN or PixelCNNAutoencoder. Received: "
            f"{type(model).__name__}"
            + (" (the original PixelCNN has no cached pass)." if kind == "PixelCNN" else ".")
        )
    return kind


def _checked_condition(model, condition, kind):
    spec = model.condition_spec
    if not spec.is_conditional:
        if condition is not None:
            raise ValueError(
                f"A {kind} takes no condition. Received a condition of shape {np.shape(condition)}."
            )
        return None
    model.checked_condition(condition)  # a missing or malformed condition fails clearly
    return np.asarray(tf.cast(condition, spec.tensor_spec.dtype))
def _check_model(model, kind, header: Header) -> None:
    """The header's model fields against `model` (kind, shape, levels, digests)."""
    if header.model_kind != kind:
        raise CompressedDataError(
            f"The data was compressed with a {header.model_kind} (header field model_kind). "
            f"Received a {kind}."
        )
    shape, levels = tuple(model.image_shape), model.num_levels
    if header.image_shape != shape or header.num_levels != levels:
        raise CompressedDataError(
            f"The data holds images of shape {header.image_shape} with "
            f"{header.num_levels} levels (header fields height, width, channels, "
            f"num_levels). Received a model of image_shape={shape}, num_levels={levels}."
        )
    if header.config_digest != header_lib.config_digest(model):
        raise CompressedDataError(
            f"The data was compressed with a {kind} of another configuration (header field "
            f"config_digest={header.config_digest.hex()}, this model's "
            f"{header_lib.config_digest(model).hex()})."
        )
    if header.weights_digest != header_lib.weights_digest(model):
        raise CompressedDataError(
            f"The data was compressed with a {kind} of the same configuration but other "
            f"weights (header field weights_digest={header.weights_digest.hex()}, this "
            f"model's {header_lib.weights_digest(model).hex()}): load the same checkpoint."
        )


def _run_passes(model, stream, batch, condition, truth: Optional[np.ndarray]):
    """Codes (truth given) or decodes (truth None) a batch, factor by factor in sampling
    order (`model.factors()`); returns the images."""
    model = float32_copy(model)  # mixed precision: the tables of its float32 copy
    images = None  # the model's images after each factor
    for factor in model.factors():
        factor_truth = None
        if truth is not None:
            factor_truth = np.asarray(factor.values_of(truth), np.int32)
        if factor.conditions_on == "nothing":
            factor_condition = None
        elif factor.conditions_on == "condition":
            factor_condition = condition
        else:  # conditioned on the factor before
            dtype = factor.network.condition_spec.tensor_spec.dtype.as_numpy_dtype
            factor_condition = np.asarray(factor.condition_from(images), dtype)
        known = None if factor.known_from is None else factor.known_from(images)
        handler = CodingHandler(stream, factor_truth, known)
        values = coded_pass(factor.network, factor.truncation_levels).run(
            handler, factor.batch_multiple * batch, factor_condition
        )
        images = np.asarray(factor.joined(images, values), np.int32)
    return images
