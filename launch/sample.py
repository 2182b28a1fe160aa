"""Samples a `.keras` model or an exported SavedModel into a PNG grid, with progress.

    python launch/sample.py --workdir=/tmp/tf_pixelcnn_demo   # -> DIR/samples/sample_seed0.png
    python launch/sample.py --model=/tmp/tf_pixelcnn_demo/model.keras --output=grid.png \
        --rows=10 --samples_per_row=10 --seed=1
    python launch/sample.py --saved_model=/tmp/models/digits/1 --output=grid.png
    python launch/sample.py --model=vector_model.keras --interpolate=endpoints.npy
    python launch/sample.py --model=/tmp/pyramid/model.keras --mixture_mode=map
    python launch/sample.py --workdir=/tmp/tf_pixelcnn_demo --complete='digit*.png' \
        --known_rows=4 --label=3       # original | masked | 10 completions per image

The grid goes to `--output`, by default `samples/sample_seed<seed>.png` in the workdir
(or next to the .keras file; a SavedModel needs --output: its version directory is
served and stays untouched). Class-conditional models get one row per class (all
classes unless --rows says fewer); unconditional ones fill the grid;
`--interpolate` (a `.npy` of two condition vectors, `[2, D]`) gives rows that move from
the first to the second vector with one seed per row (paper Fig. 5). The same seed gives
the same images, whatever `--batch_size`, in-process or from the SavedModel (bit for bit
with `--nojit_compile`; XLA, the default, may round a logit differently in the last bit).
`--complete` (PNGs, comma-separated or a glob; `.keras` / workdir models) keeps the top
`--known_rows` of each image and draws the rest from the model's conditional
(`tpc.complete`, the paper's occlusion completions), `--samples_per_row` per image.
"""

import glob

import os

from absl import app
from absl import flags
import numpy as np

import console

with console.quiet_tensorflow_import():
    import keras
    import tensorflow as tf

    import tf_pixelcnn  # noqa: F401  (registers the Keras objects)
    from tf_pixelcnn.sampling.sample_grid import sample_grid
    from tf_pixelcnn.sampling.sample_in_batches import model_draw
    from tf_pixelcnn.serving.saved_model_sampler import saved_model_sampler
    from tf_pixelcnn.training import workdir_model
    from tf_pixelcnn.distributions import random_stream
    from tf_pixelcnn.sampling.complete import complete
    from tf_pixelcnn.sampling.completion_grid import completion_grid
    from tf_pixelcnn.utils.image_grid import image_grid
    from tf_pixelcnn.utils.image_grid import write_png
    from tf_pixelcnn.utils.png_levels import read_png_levels
    from tf_pixelcnn.utils.progress_line import ProgressLine

_MODEL = flags.DEFINE_string("model", None, "A .keras file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "A training workdir (model.json, checkpoints/).")
_CHECKPOINT = flags.DEFINE_string(
    "checkpoint", None, "With --workdir: this checkpoint, not the newest."
)
_SAVED_MODEL = flags.DEFINE_string("saved_model", None, "An exported version directory.")
_OUTPUT = flags.DEFINE_string(
    "output", None, "PNG to write; default: samples/sample_seed<seed>.png in the workdir."
)
_ROWS = flags.DEFINE_integer(
    "rows", None, "Rows of the grid; default: every class of a class-conditional model, else 4."
)
_PER_ROW = flags.DEFINE_integer("samples_per_row", 10, "Images per row.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed; split into one per image (or per row).")
_INTERPOLATE = flags.DEFINE_string("interpolate", None, ".npy with two condition vectors [2, D].")
_TEMPERATURE = flags.DEFINE_float("temperature", 1.0, "Softmax temperature (> 0; .keras only).")
_METHOD = flags.DEFINE_enum("method", "auto", ["auto", "cached", "naive"], "Sampler (.keras only).")
_REDUCTION = flags.DEFINE_float(
    "log_scale_reduction", 0.0, "Logistic mixtures: subtracted from the log-scales (.keras only)."
)
_MIXTURE_MODE = flags.DEFINE_enum(
    "mixture_mode", "sample", ["sample", "map"], "Logistic mixtures: 'map' sampling (.keras only)."
)
_BATCH = flags.DEFINE_integer("batch_size", 16, "Images per sampler call.")
_ZOOM = flags.DEFINE_integer("zoom", 1, "Magnification of the PNG.")
_XLA = flags.DEFINE_bool(
    "jit_compile", None, "Sampler under XLA (.keras only). Unset: tpc.sample's default, XLA "
    "with a fallback to the non-XLA graph where XLA cannot compile; --nojit_compile: the "
    "non-XLA graph, bit-exact with a SavedModel's; --jit_compile: XLA, no fallback "
    "(completion: XLA only with --jit_compile)."
)
_INTRA_OP_THREADS = flags.DEFINE_integer(
    "intra_op_threads", 0, "Threads each op may use (0: TensorFlow's default). 1 is faster "
    "for small batches on CPU: a step's tiny products are not split over threads "
    "(README, Sampling)."
)
_COMPLETE = flags.DEFINE_string(
    "complete", None, "PNGs to complete (comma-separated or a glob); .keras / workdir only."
)
_KNOWN_ROWS = flags.DEFINE_integer(
    "known_rows", None, "With --complete: rows kept from the top (default: half the height)."
)
_LABEL = flags.DEFINE_integer("label", None, "With --complete: the class of the images.")


def output_path() -> str:
    """--output, or `samples/sample_seed<seed>.png` in the workdir / next to the .keras."""
    if _OUTPUT.value:
        return _OUTPUT.value
    if _SAVED_MODEL.value is not None:
        raise app.UsageError(
            "Give --output with --saved_model (the version directory is served: nothing "
            "is written into it)."
        )
    home = _WORKDIR.value or os.path.dirname(os.path.abspath(_MODEL.value))
    kind = "completion" if _COMPLETE.value else "sample"
    return os.path.join(home, "samples", f"{kind}_seed{_SEED.value}.png")


def grid_rows(num_classes) -> int:
    """--rows, or one row per class of a class-conditional model (4 otherwise)."""
    if _ROWS.value is not None:
        if num_classes and _ROWS.value < num_classes:
            print(f"rows: classes 0..{_ROWS.value - 1} of {num_classes} (--rows={_ROWS.value})")
        return _ROWS.value
    return num_classes or 4


def load_model():
    if _MODEL.value is not None:
        return keras.saving.load_model(_MODEL.value)
    return workdir_model.restore_from_workdir(_WORKDIR.value, _CHECKPOINT.value)


def completion_picture(model) -> np.ndarray:
    """original | masked | `--samples_per_row` completions, one row per --complete PNG."""
    paths = sorted(p for pattern in _COMPLETE.value.split(",") for p in glob.glob(pattern))
    if not paths:
        raise app.UsageError(f"--complete matches no file. Received: {_COMPLETE.value!r}.")
    originals = []
    for path in paths:
        try:  # completion does not have to be lossless: quantise as the training data
            levels, warning = read_png_levels(
                path, model.image_shape, model.num_levels, allow_lossy=True
            )
        except ValueError as error:
            raise app.UsageError(str(error)) from error
        if warning:
            print(f"note: {warning}")
        originals.append(levels)
    originals = np.stack(originals)
    per_image = _PER_ROW.value
    known = model.image_shape[0] // 2 if _KNOWN_ROWS.value is None else _KNOWN_ROWS.value
    images = np.repeat(originals, per_image, axis=0)
    labels = None
    if model.condition_spec.kind == "labels":
        if _LABEL.value is None:
            raise app.UsageError(f"The model is class-conditional: give --label in "
                                 f"[0, {model.condition_spec.num_classes}).")  # fmt: skip
        labels = np.full([len(images)], _LABEL.value, np.int32)
    seeds = random_stream.per_image_seeds((_SEED.value, 0), len(images)).numpy()
    batch = _BATCH.value
    progress = ProgressLine(-(-len(images) // batch), items_per_step=batch, unit="batch")
    chunks = []
    for step, start in enumerate(range(0, len(images), batch), start=1):
        stop = min(start + batch, len(images))
        condition = None if labels is None else labels[start:stop]
        try:
            chunks.append(complete(model, images[start:stop], known, seed=seeds[start:stop],
                                   condition=condition, temperature=_TEMPERATURE.value,
                                   jit_compile=bool(_XLA.value)).numpy())  # fmt: skip
        except ValueError as error:
            raise app.UsageError(str(error)) from error
        progress.update(step, images=stop)
    completions = np.concatenate(chunks).reshape(len(originals), per_image, *originals.shape[1:])
    return completion_grid(originals, completions, known, model.num_levels, zoom=_ZOOM.value)


def main(argv):
    del argv
    console.quiet_logs()
    if _INTRA_OP_THREADS.value < 0:
        raise app.UsageError(
            f"--intra_op_threads must be >= 0. Received: {_INTRA_OP_THREADS.value}."
        )
    if _INTRA_OP_THREADS.value:
        tf.config.threading.set_intra_op_parallelism_threads(_INTRA_OP_THREADS.value)
    sources = [_MODEL.value, _WORKDIR.value, _SAVED_MODEL.value]
    if sum(source is not None for source in sources) != 1:
        raise app.UsageError("Give exactly one of --model (.keras), --workdir and --saved_model.")
    output = output_path()
    if _COMPLETE.value:
        if _SAVED_MODEL.value is not None:
            raise app.UsageError("--complete takes --model or --workdir (served models "
                                 "have a `complete` signature instead).")  # fmt: skip
        print(f"wrote {write_png(output, completion_picture(load_model()))}")
        return
    if _SAVED_MODEL.value is None:
        model = load_model()
        draw = model_draw(
            model, _TEMPERATURE.value, _METHOD.value, _XLA.value, _REDUCTION.value,
            _MIXTURE_MODE.value,
        )  # fmt: skip
        spec = model.condition_spec
        info = {
            "num_classes": spec.num_classes, "condition_dim": spec.dim,
            "num_levels": model.num_levels,
        }  # fmt: skip
    else:
        draw, info = saved_model_sampler(_SAVED_MODEL.value)
    try:
        images = sample_grid(
            draw,
            grid_rows(info["num_classes"]),
            _PER_ROW.value,
            num_classes=info["num_classes"],
            condition_dim=info["condition_dim"],
            endpoints=np.load(_INTERPOLATE.value) if _INTERPOLATE.value else None,
            seed=_SEED.value,
            batch_size=_BATCH.value,
        )
    except ValueError as error:
        raise app.UsageError(str(error)) from error
    grid = image_grid(images, info["num_levels"], columns=_PER_ROW.value, zoom=_ZOOM.value)
    print(f"wrote {write_png(output, grid)}")


if __name__ == "__main__":
    app.run(main)
