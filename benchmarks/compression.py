"""Lossless compression with a PixelCNN vs PNG and WebP lossless, and its speed.

    python benchmarks/compression.py [--datasets=digits,photo_patches] [--train_steps=600]
        [--digits_workdir=/tmp/tf_pixelcnn_demo] [--batch_size=64] [--output_dir=/tmp/...]

On the test split of each offline dataset (`digits`: 359 images 8×8, 17 levels;
`photo_patches`: 350 images 16×16×3, 256 levels), with a model trained briefly here
(`--train_steps` of Adam; digits: a softmax Gated PixelCNN, photo patches: a logistic-
mixture Gated PixelCNN) or the model of a workdir (`--digits_workdir`, e.g. the README
demo's: class-conditional, so the labels are the condition of both ways), in one run:

- bits/dim of the model, −log2 p(x) / (H·W·C), averaged over the test images;
- bits/dim of `tpc.compression.compress` in batches of `--batch_size` (every file's
  48-byte header included), after checking that `decompress` returns the images;
- PNG (Pillow, `optimize=True`) and WebP lossless (Pillow, `lossless=True, quality=100,
  method=6`) of the same images, holding the levels as bytes, one file per image and
  all images in one tiled file (fewer headers);
- images/s of compress and decompress (after one untimed batch: tracing), against
  `tpc.sample` (cached sampler) at the same batch size.

Writes `compression.json` and `compression.md`.
"""

import io
import math
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from report import write_report  # benchmarks/report.py, next to this script
from tf_pixelcnn.data.digits import load_digits
from tf_pixelcnn.data.photo_patches import load_photo_patches
from tf_pixelcnn.training import workdir_model

_DATASETS = flags.DEFINE_list("datasets", ["digits", "photo_patches"], "Offline datasets.")
_STEPS = flags.DEFINE_integer("train_steps", 600, "Adam steps of the briefly trained models.")
_DIGITS_WORKDIR = flags.DEFINE_string(
    "digits_workdir", None, "Use this workdir's model for digits (e.g. /tmp/tf_pixelcnn_demo)."
)
_BATCH = flags.DEFINE_integer("batch_size", 64, "Images per compressed file / sampler call.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")


def load(name):
    """(train, test, test labels, levels, model kwargs)."""
    if name == "digits":
        train, _ = load_digits("train")
        test, labels = load_digits("test")
        model = dict(num_layers=8, filters=64, kernel_size=3, num_levels=17)
        return train, test, labels, 17, model
    train, _ = load_photo_patches("train")
    test, labels = load_photo_patches("test")
    model = dict(num_layers=6, filters=64, kernel_size=5, num_levels=256,
                 num_mixture_components=5)  # fmt: skip
    return train, test, labels, 256, model


def train_briefly(model, train, steps: int, batch: int = 32):
    optimizer = tf.keras.optimizers.Adam(1e-3, global_clipnorm=1.0)  # steady in few steps
    optimizer.build(model.trainable_variables)
    dims = math.prod(model.image_shape)

    @tf.function
    def step(images):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(model.log_prob(images, training=True)) / dims
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    rng = np.random.default_rng(0)
    for i in range(steps):
        loss = step(tf.constant(train[rng.integers(0, len(train), batch)], tf.int32))
        if (i + 1) % 100 == 0:
            print(f"  step {i + 1}/{steps}: {float(loss) / math.log(2):.3f} bits/dim (train)")


def pillow_bytes(images: np.ndarray, fmt: str) -> int:
    from PIL import Image  # the benchmarks extra

    options = {"PNG": dict(optimize=True),
               "WEBP": dict(lossless=True, quality=100, method=6)}[fmt]  # fmt: skip
    buffer = io.BytesIO()
    pixels = images.astype(np.uint8)
    if pixels.shape[-1] == 1:
        picture = Image.fromarray(pixels[..., 0], mode="L")
    else:
        picture = Image.fromarray(pixels, mode="RGB")
    if fmt == "WEBP" and pixels.shape[-1] == 1:
        picture = picture.convert("RGB")  # WebP has no grayscale mode
    picture.save(buffer, format=fmt, **options)
    return len(buffer.getvalue())


def tiled(images: np.ndarray) -> np.ndarray:
    """All images in one picture, `columns = ceil(sqrt(N))`, zero-padded."""
    count, height, width, channels = images.shape
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.zeros([rows * height, columns * width, channels], images.dtype)
    for i, image in enumerate(images):
        top, left = (i // columns) * height, (i % columns) * width
        grid[top : top + height, left : left + width] = image
    return grid


def batches(array, size):
    return [array[i : i + size] for i in range(0, len(array), size)]


def run_dataset(name):
    train, test, labels, levels, kwargs = load(name)
    test = test.astype(np.int32)
    if name == "digits" and _DIGITS_WORKDIR.value:
        model = workdir_model.restore_from_workdir(_DIGITS_WORKDIR.value)
        source = f"workdir {_DIGITS_WORKDIR.value}"
    else:
        model = tpc.GatedPixelCNN(test.shape[1:], **kwargs)
        print(f"{name}: training {_STEPS.value} steps")
        train_briefly(model, train.astype(np.int32), _STEPS.value)
        source = f"trained {_STEPS.value} steps"
    if model.num_levels != levels:
        raise ValueError(f"The model has {model.num_levels} levels; {name} has {levels}.")
    conditional = getattr(model, "num_classes", None) is not None
    dims = math.prod(test.shape[1:])
    size = _BATCH.value
    image_batches = batches(test, size)
    condition_batches = batches(labels, size) if conditional else [None] * len(image_batches)

    log_p = np.concatenate([
        model.log_prob(x, condition=c).numpy() if conditional else model.log_prob(x).numpy()
        for x, c in zip(image_batches, condition_batches)
    ])  # fmt: skip
    model_bpd = float(-log_p.mean() / (dims * math.log(2)))

    tpc.compression.compress(model, image_batches[0][:2], *(  # tracing, untimed
        [condition_batches[0][:2]] if conditional else []))
    start = time.perf_counter()
    files = [tpc.compression.compress(model, x, c)
             for x, c in zip(image_batches, condition_batches)]  # fmt: skip
    encode_seconds = time.perf_counter() - start
    start = time.perf_counter()
    decoded = [tpc.compression.decompress(model, data, c)
               for data, c in zip(files, condition_batches)]  # fmt: skip
    decode_seconds = time.perf_counter() - start
    if not np.array_equal(np.concatenate(decoded), test):
        raise AssertionError(f"{name}: decompress did not return the images.")
    coded_bytes = sum(len(f) for f in files)
    header_bytes = len(files) * tpc.compression.header.SIZE

    def sample_kwargs(condition, count):
        return dict(condition=condition) if conditional else dict(num_samples=count)

    for x, c in {len(x): (x, c) for x, c in zip(image_batches, condition_batches)}.values():
        tpc.sample(model, seed=(0, 0), **sample_kwargs(c, len(x)))  # tracing per batch size
    start = time.perf_counter()
    for i, (x, c) in enumerate(zip(image_batches, condition_batches)):
        np.asarray(tpc.sample(model, seed=(1, i), **sample_kwargs(c, len(x))))
    sample_seconds = time.perf_counter() - start

    count = len(test)
    per_image = {fmt: sum(pillow_bytes(x, fmt) for x in test) for fmt in ("PNG", "WEBP")}
    grid = {fmt: pillow_bytes(tiled(test), fmt) for fmt in ("PNG", "WEBP")}
    bpd = lambda n_bytes: 8 * n_bytes / (count * dims)  # noqa: E731
    return {
        "dataset": f"{name} test ({count} × {'×'.join(map(str, test.shape[1:]))}, "
                   f"{levels} levels)",  # fmt: skip
        "model": f"{type(model).__name__}{' (class-conditional)' if conditional else ''}, "
                 f"{source}",  # fmt: skip
        "model_bpd": model_bpd,
        "coded_bpd": bpd(coded_bytes),
        "coded_bpd_without_headers": bpd(coded_bytes - header_bytes),
        "png_bpd_per_image": bpd(per_image["PNG"]),
        "png_bpd_tiled": bpd(grid["PNG"]),
        "webp_bpd_per_image": bpd(per_image["WEBP"]),
        "webp_bpd_tiled": bpd(grid["WEBP"]),
        "encode_images_per_s": count / encode_seconds,
        "decode_images_per_s": count / decode_seconds,
        "sample_images_per_s": count / sample_seconds,
        "batch_size": size,
    }


def main(argv):
    del argv
    results = [run_dataset(name) for name in _DATASETS.value]
    lines = [
        "| dataset | model | model bits/dim | coded bits/dim (headers; without) | PNG per image; "
        "tiled | WebP lossless per image; tiled | compress img/s | decompress img/s | "
        "sample img/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['model_bpd']:.3f} | "
            f"{r['coded_bpd']:.3f}; {r['coded_bpd_without_headers']:.3f} | "
            f"{r['png_bpd_per_image']:.3f}; {r['png_bpd_tiled']:.3f} | "
            f"{r['webp_bpd_per_image']:.3f}; {r['webp_bpd_tiled']:.3f} | "
            f"{r['encode_images_per_s']:.0f} | {r['decode_images_per_s']:.0f} | "
            f"{r['sample_images_per_s']:.0f} |"
        )
    lines.append(
        f"\nBatches of {results[0]['batch_size']} images per compressed file and sampler call; "
        "one run, one machine (CPU)."
    )
    write_report(_OUTPUT_DIR.value, "compression", results, "\n".join(lines))


if __name__ == "__main__":
    app.run(main)
