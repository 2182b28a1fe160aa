"""Compresses PNGs or arrays of values (code grids) losslessly with a trained PixelCNN, and back.

    python launch/compress.py --workdir=/tmp/tf_pixelcnn_demo --label=3 \
        --input='threes/*.png' --output=/tmp/codes             # -> /tmp/codes/<name>.tpcz
    python launch/compress.py --workdir=/tmp/tf_pixelcnn_demo --label=3 --decompress \
        --input='/tmp/codes/*.tpcz' --output=/tmp/decoded      # -> /tmp/decoded/<name>.png
    python launch/compress.py --model=model.keras --input=... --output=...
    python launch/compress.py --workdir=/tmp/codes_prior --input=grids.npy \
        --output=/tmp/packed                                   # -> /tmp/packed/grids.npy.tpcz
    python launch/compress.py --workdir=/tmp/codes_prior --decompress \
        --input='/tmp/packed/*.npy.tpcz' --output=/tmp/back    # -> /tmp/back/grids.npy

Every PNG becomes its own file (`tf_pixelcnn.compression`: a 49-byte header, then about
−log2 p(image) bits). A `.npy` input holds N grids of the model's values, integers
`[N, H, W, C]` or `[N, H, W]` where C = 1 — a `CodePixelCNN`'s code grids `[N, h, w]` as a
VQ-VAE encoder gives them — and becomes one `<name>.npy.tpcz` (one coded batch of N);
`--decompress` turns it back into `<name>.npy`, int32 `[N, H, W]` where C = 1, else
`[N, H, W, C]`.

Conditioning, as the model's `condition_spec` says: class-conditional models take
`--label`, the same both ways (every image or grid of a run gets it); models conditioned
on vectors or on an image / code map (a VQ-VAE-2 bottom prior's top codes) take
`--condition_npy`, one row per grid of the one `.npy` input (image conditions with C = 1
may leave out the channel axis), the same both ways.

PNG values are quantised to the model's levels as the training data are, and
decompressed images are written with level ℓ at round(ℓ·255/(L−1))
(`compression.png_levels`), so a PNG written by this tool (or by `launch/sample.py`)
compresses and decompresses to the same pixels. A PNG with more distinct values than
the model has levels would lose information in that quantisation: it is refused, unless
`--allow_lossy_quantization` (then the tool says how many values changed). Images must
have the model's height, width and channels (a grayscale model takes an RGB PNG whose
three channels are equal).

A flag error prints the usage; an error in the data (a file that does not match the
model, a corrupted .tpcz) prints one line naming the file and exits with status 1.
"""

import glob
import io
import os
import sys
from typing import NoReturn

from absl import app
from absl import flags
import numpy as np

import console

with console.quiet_tensorflow_import():
    import keras
    import tensorflow as tf

    import tf_pixelcnn  # noqa: F401  (registers the Keras objects)
    from tf_pixelcnn import compression
    from tf_pixelcnn.compression.header import Header
    from tf_pixelcnn.utils.png_levels import levels_to_png_values, read_png_levels
    from tf_pixelcnn.training import workdir_model
    from tf_pixelcnn.utils.image_grid import write_png
    from tf_pixelcnn.utils.progress_line import ProgressLine

_MODEL = flags.DEFINE_string("model", None, "A .keras file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "A training workdir (model.json, checkpoints/).")
_CHECKPOINT = flags.DEFINE_string(
    "checkpoint", None, "With --workdir: this checkpoint, not the newest."
)
_INPUT = flags.DEFINE_string(
    "input", None,
    "A glob: PNGs or .npy arrays of values (code grids) to compress, or .tpcz files with "
    "--decompress.",
)  # fmt: skip
_OUTPUT = flags.DEFINE_string("output", None, "Directory for the .tpcz (or .png) files.")
_DECOMPRESS = flags.DEFINE_bool(
    "decompress", False, "Turn .tpcz files back into PNGs (.npy.tpcz: into .npy arrays)."
)
_LABEL = flags.DEFINE_integer(
    "label", None, "Class-conditional models: the label of every image (same for both ways)."
)
_CONDITION_NPY = flags.DEFINE_string(
    "condition_npy", None,
    "Models conditioned on vectors or an image / code map: a .npy of one condition per "
    "grid of the one .npy --input (same for both ways).",
)  # fmt: skip
_LOSSY = flags.DEFINE_bool(
    "allow_lossy_quantization",
    False,
    "Compress PNGs with more values than the model's levels (quantised first: not lossless).",
)

SUFFIX = ".tpcz"
NPY = ".npy"


def fail(message: str) -> NoReturn:
    """An error in the data, not in the flags: one line on stderr, exit status 1."""
    sys.exit(f"compress.py: error: {' '.join(message.split())}")


def load_model():
    if (_MODEL.value is None) == (_WORKDIR.value is None):
        raise app.UsageError("Give exactly one of --model (.keras) and --workdir.")
    try:
        if _MODEL.value is not None:
            return keras.saving.load_model(_MODEL.value)
        return workdir_model.restore_from_workdir(_WORKDIR.value, _CHECKPOINT.value)
    except (ValueError, OSError, tf.errors.OpError) as error:
        source = _MODEL.value or _WORKDIR.value
        fail(f"cannot load a model from {source}: {type(error).__name__}: {error}")


def condition_for(model, inputs):
    """`condition(batch)`: the condition of a file of `batch` images or grids, or None,
    from the model's `condition_spec` and --label / --condition_npy."""
    spec = model.condition_spec
    if spec.kind in ("vectors", "image"):
        if _CONDITION_NPY.value is None or _LABEL.value is not None:
            raise app.UsageError(
                f"This model is conditioned on {spec.kind} (condition_spec {spec}): give "
                "--condition_npy (one row per grid of one .npy --input), not --label, or "
                "use tpc.compression.compress(model, images, condition) from Python."
            )
        if len(inputs) != 1 or not inputs[0].endswith((NPY, NPY + SUFFIX)):
            raise app.UsageError(
                "--condition_npy holds the conditions of one .npy input (or its .npy.tpcz). "
                f"Received --input matching {len(inputs)} files: {inputs[:3]}."
            )
        try:
            condition = np.load(_CONDITION_NPY.value)
        except (OSError, ValueError) as error:
            fail(f"{_CONDITION_NPY.value}: {error}")
        if spec.kind == "image" and condition.ndim == len(spec.image_shape):
            if spec.image_shape[-1] != 1:
                fail(f"{_CONDITION_NPY.value}: conditions of shape {condition.shape}; the "
                     f"model takes [N, {', '.join(map(str, spec.image_shape))}].")
            condition = condition[..., None]  # served without its channel axis
        return lambda batch: condition
    if _CONDITION_NPY.value is not None:
        raise app.UsageError(
            f"--condition_npy, but the model is conditioned on {spec.kind} (condition_spec "
            f"{spec})."
        )
    if spec.kind == "none":
        if _LABEL.value is not None:
            raise app.UsageError(f"--label={_LABEL.value}, but the model is unconditional.")
        return lambda batch: None
    if _LABEL.value is None or not 0 <= _LABEL.value < spec.num_classes:
        raise app.UsageError(
            f"The model is class-conditional: give --label in [0, {spec.num_classes}). "
            f"Received: --label={_LABEL.value}."
        )
    return lambda batch: np.full([batch], _LABEL.value, np.int32)


def output_name(path: str) -> str:
    """What `path` becomes: a.png -> a.tpcz, g.npy -> g.npy.tpcz, and back (a.tpcz ->
    a.png, g.npy.tpcz -> g.npy)."""
    name = os.path.basename(path)
    if _DECOMPRESS.value:
        stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else os.path.splitext(name)[0]
        return stem if stem.endswith(NPY) else stem + ".png"
    return name + SUFFIX if name.endswith(NPY) else os.path.splitext(name)[0] + SUFFIX


def output_paths(inputs):
    names = [output_name(p) for p in inputs]
    if len(set(names)) != len(names):
        same = sorted({name for name in names if names.count(name) > 1})
        fail(f"input files with the same name would overwrite each other: {same}.")
    tf.io.gfile.makedirs(_OUTPUT.value)
    return [os.path.join(_OUTPUT.value, name) for name in names]


def read_values(data: bytes, image_shape) -> np.ndarray:
    """The integer values `[N, H, W, C]` of a .npy file's bytes: `[N, H, W, C]`, or
    `[N, H, W]` where C = 1 (code grids)."""
    values = np.load(io.BytesIO(data), allow_pickle=False)
    shape = tuple(image_shape)
    if values.ndim == 3 and shape[-1] == 1:
        values = values[..., None]
    if values.shape[1:] != shape or len(values) < 1 or values.dtype.kind not in "iu":
        served = "" if shape[-1] != 1 else f" or [N, {', '.join(map(str, shape[:-1]))}]"
        raise ValueError(
            f"expected integers [N, {', '.join(map(str, shape))}]{served} with N >= 1. "
            f"Received: dtype {values.dtype.name}, shape {values.shape}."
        )
    return values.astype(np.int32)


def write_values(path: str, values: np.ndarray) -> None:
    """int32 `[N, H, W]` where C = 1, else `[N, H, W, C]`, as a .npy file."""
    values = values[..., 0] if values.shape[-1] == 1 else values
    with tf.io.gfile.GFile(path, "wb") as f:
        np.save(f, values.astype(np.int32))


def compress_file(model, path, data, output, condition_for_batch) -> tuple[int, int]:
    """Compresses one PNG or .npy file's `data` into `output`; `(bytes written, images)`."""
    if path.endswith(NPY):
        values = read_values(data, model.image_shape)
    else:
        levels, warning = read_png_levels(path, model.image_shape, model.num_levels, _LOSSY.value)
        if warning:
            print(f"warning: {warning}")
        values = levels[None]
    condition = condition_for_batch(len(values))
    if condition is not None and len(condition) != len(values):
        raise ValueError(
            f"holds {len(values)} grids but --condition_npy has {len(condition)} conditions."
        )
    packed = compression.compress(model, values, condition)
    with tf.io.gfile.GFile(output, "wb") as f:
        f.write(packed)
    return len(packed), len(values)


def decompress_file(model, data, output, condition_for_batch) -> int:
    """Decompresses one .tpcz file's `data` into `output` (.png or .npy); the images."""
    header, _ = Header.unpack(memoryview(data))  # checked: its batch sizes the condition
    values = compression.decompress(model, data, condition_for_batch(header.batch))
    if output.endswith(NPY):
        write_values(output, values)
        return len(values)
    if len(values) != 1:
        raise ValueError(
            f"holds a batch of {len(values)} images; this tool writes one PNG per file "
            "(name it <name>.npy.tpcz for a .npy, or use tpc.compression.decompress)."
        )
    write_png(output, levels_to_png_values(values[0], model.num_levels))
    return 1


def main(argv):
    del argv
    console.quiet_logs()
    if not _INPUT.value or not _OUTPUT.value:
        raise app.UsageError("Give --input (a glob) and --output (a directory).")
    inputs = sorted(glob.glob(_INPUT.value))
    if not inputs:
        fail(f"no files match --input={_INPUT.value!r}.")
    model = load_model()
    condition_for_batch = condition_for(model, inputs)
    height, width, channels = model.image_shape
    dims = height * width * channels
    progress = ProgressLine(total=len(inputs), items_per_step=1)
    coded, source, images = 0, 0, 0
    outputs = output_paths(inputs)
    for step, (path, output) in enumerate(zip(inputs, outputs), start=1):
        try:
            with tf.io.gfile.GFile(path, "rb") as f:
                data = f.read()
            if _DECOMPRESS.value:
                images += decompress_file(model, data, output, condition_for_batch)
                coded += len(data)
            else:
                size, count = compress_file(model, path, data, output, condition_for_batch)
                coded, images = coded + size, images + count
        except (ValueError, tf.errors.OpError) as error:  # the file's data, not the flags
            message = error.message if isinstance(error, tf.errors.OpError) else str(error)
            done = f" ({step - 1} files before it were written)" if step > 1 else ""
            fail(f"{path}: {message.removeprefix(f'{path}: ')}{done}")
        source += len(data)
        progress.update(step, **{"bits/dim": 8 * coded / (images * dims)})
    kind = "decompressed" if _DECOMPRESS.value else "compressed"
    print(
        f"{kind} {len(inputs)} files ({images} images or grids) into {_OUTPUT.value}: "
        f"{coded} bytes coded ({8 * coded / (images * dims):.3f} bits/dim with headers)"
        + ("" if _DECOMPRESS.value else f", input {source} bytes")
    )


if __name__ == "__main__":
    app.run(main)
