"""Compresses PNGs losslessly with a trained PixelCNN, and back.

    python launch/compress.py --workdir=/tmp/tf_pixelcnn_demo --label=3 \
        --input='threes/*.png' --output=/tmp/codes             # -> /tmp/codes/<name>.tpcz
    python launch/compress.py --workdir=/tmp/tf_pixelcnn_demo --label=3 --decompress \
        --input='/tmp/codes/*.tpcz' --output=/tmp/decoded      # -> /tmp/decoded/<name>.png
    python launch/compress.py --model=model.keras --input=... --output=...

Every image becomes its own file (`tf_pixelcnn.compression`: a 49-byte header, then about
−log2 p(image) bits). Class-conditional models (the demo's) take `--label`, the same both
ways. PNG values are quantised to the model's levels as the training data are, and
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
    "input", None, "A glob: PNGs to compress, or .tpcz files with --decompress."
)
_OUTPUT = flags.DEFINE_string("output", None, "Directory for the .tpcz (or .png) files.")
_DECOMPRESS = flags.DEFINE_bool("decompress", False, "Turn .tpcz files back into PNGs.")
_LABEL = flags.DEFINE_integer(
    "label", None, "Class-conditional models: the label of every image (same for both ways)."
)
_LOSSY = flags.DEFINE_bool(
    "allow_lossy_quantization",
    False,
    "Compress PNGs with more values than the model's levels (quantised first: not lossless).",
)

SUFFIX = ".tpcz"


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


def condition_for(model):
    """The label array of one image, or None; other conditions are library-only."""
    for name in ("condition_dim", "condition_image_shape"):
        if getattr(model, name, None) is not None:
            raise app.UsageError(
                f"This model is conditioned on vectors or images ({name}="
                f"{getattr(model, name)}): use tpc.compression.compress(model, images, "
                "condition) from Python."
            )
    classes = getattr(model, "num_classes", None)
    if classes is None:
        if _LABEL.value is not None:
            raise app.UsageError(f"--label={_LABEL.value}, but the model is unconditional.")
        return None
    if _LABEL.value is None or not 0 <= _LABEL.value < classes:
        raise app.UsageError(
            f"The model is class-conditional: give --label in [0, {classes}). Received: "
            f"--label={_LABEL.value}."
        )
    return np.array([_LABEL.value], np.int32)


def output_paths(inputs, suffix):
    names = [os.path.splitext(os.path.basename(p))[0] + suffix for p in inputs]
    if len(set(names)) != len(names):
        same = sorted({name for name in names if names.count(name) > 1})
        fail(f"input files with the same name would overwrite each other: {same}.")
    tf.io.gfile.makedirs(_OUTPUT.value)
    return [os.path.join(_OUTPUT.value, name) for name in names]


def main(argv):
    del argv
    console.quiet_logs()
    if not _INPUT.value or not _OUTPUT.value:
        raise app.UsageError("Give --input (a glob) and --output (a directory).")
    inputs = sorted(glob.glob(_INPUT.value))
    if not inputs:
        fail(f"no files match --input={_INPUT.value!r}.")
    model = load_model()
    condition = condition_for(model)
    height, width, channels = model.image_shape
    dims = height * width * channels
    progress = ProgressLine(total=len(inputs), items_per_step=1)
    coded, source = 0, 0
    outputs = output_paths(inputs, ".png" if _DECOMPRESS.value else SUFFIX)
    for step, (path, output) in enumerate(zip(inputs, outputs), start=1):
        try:
            with tf.io.gfile.GFile(path, "rb") as f:
                data = f.read()
            if _DECOMPRESS.value:
                images = compression.decompress(model, data, condition)
                if len(images) != 1:
                    raise ValueError(
                        f"holds a batch of {len(images)} images; this tool writes one PNG "
                        "per file (decompress it with tpc.compression.decompress)."
                    )
                write_png(output, levels_to_png_values(images[0], model.num_levels))
                coded += len(data)
            else:
                levels, warning = read_png_levels(
                    path, model.image_shape, model.num_levels, _LOSSY.value
                )
                if warning:
                    print(f"warning: {warning}")
                packed = compression.compress(model, levels[None], condition)
                with tf.io.gfile.GFile(output, "wb") as f:
                    f.write(packed)
                coded += len(packed)
        except (ValueError, tf.errors.OpError) as error:  # the file's data, not the flags
            message = error.message if isinstance(error, tf.errors.OpError) else str(error)
            done = f" ({step - 1} files before it were written)" if step > 1 else ""
            fail(f"{path}: {message.removeprefix(f'{path}: ')}{done}")
        source += len(data)
        progress.update(step, **{"bits/dim": 8 * coded / (step * dims)})
    kind = "decompressed" if _DECOMPRESS.value else "compressed"
    print(
        f"{kind} {len(inputs)} files into {_OUTPUT.value}: {coded} bytes coded "
        f"({8 * coded / (len(inputs) * dims):.3f} bits/dim with headers)"
        + ("" if _DECOMPRESS.value else f", PNG input {source} bytes")
    )


if __name__ == "__main__":
    app.run(main)
