"""Lossless compression with a PixelCNN vs PNG and WebP lossless, and its speed.

    python benchmarks/compression.py [--datasets=digits,photo_patches,photo_tiles,
        photo_regions,skimage_photos] [--train_steps=600] [--photo_train_steps=600]
        [--photo_model=/tmp/photo_model.keras] [--max_photo_side=0]
        [--digits_workdir=/tmp/tf_pixelcnn_demo] [--batch_size=64] [--output_dir=/tmp/...]

Datasets, each coded by a model trained here (`--train_steps` of Adam; digits: a softmax
Gated PixelCNN) or a workdir's (`--digits_workdir`, e.g. the README demo's: class-
conditional, so the labels are the condition of both ways). Every photo set is coded by
one 5-logistic-mixture Gated PixelCNN trained on the 16×16×3 train patches of
`photo_patches` (`--photo_train_steps`, cosine-decayed Adam and horizontal flips; with
`--photo_model=FILE.keras` it is loaded from FILE if that exists, else trained and saved
there with a `FILE.json` of how):

- `digits`: 359 test images 8×8, 17 levels;
- `photo_patches`: the 350 test patches 16×16×3 (stride 8: they overlap);
- `photo_tiles`: the 104 non-overlapping 16×16 tiles of the held-out region (columns
  256–319 of each downsampled photo; rows 0–207, the rows the test patches cover);
- `photo_regions`: that held-out region of each photo as one 208×64×3 image;
- `skimage_photos`: whole photos never trained on, the colour photos that ship in
  scikit-image's wheel (astronaut, chelsea, coffee; no download), area-downsampled by 2
  as the training photos are (`--max_photo_side`: centre-crop to at most that).

The first three are coded in batches of `--batch_size` (one file each); the whole images
one file per image, by the patch model's weights in a model of the same configuration
at the image's shape (the convolutions do not depend on the image size). Reported:

- bits/dim of the model, −log2 p(x) / (H·W·C);
- bits/dim (and bytes) of `tpc.compression.compress`, every file's header
  (`compression.header.SIZE` bytes) included, after checking that `decompress` returns
  the images; for whole images, the coded size against −log2 p(x) (`coded_over_model`);
- PNG (Pillow, `optimize=True`) and WebP lossless (Pillow, `lossless=True, quality=100,
  method=6`) of the same images, holding the levels as bytes, one file per image and
  (batched sets) all images in one tiled file (fewer headers);
- speed: batched sets, images/s of compress and decompress (after one untimed batch:
  tracing) against `tpc.sample` (cached sampler) at the same batch size; whole images,
  seconds of compress (tracing included: a new shape is a new graph) and decompress.

Writes `compression.json` and `compression.md`.
"""

import importlib.resources
import importlib.util
import io
import json
import math
import os
import time

import numpy as np
import tensorflow as tf
from absl import app, flags
from report import write_report  # benchmarks/report.py, next to this script

import tf_pixelcnn as tpc
from tf_pixelcnn.data.digits import load_digits
from tf_pixelcnn.data.photo_patches import PATCH_SIZE, TEST_STRIDE, load_photo_patches
from tf_pixelcnn.training import workdir_model

BATCHED = ("digits", "photo_patches", "photo_tiles")
WHOLE_IMAGES = ("photo_regions", "skimage_photos")
HELD_OUT_WIDTH = 64  # photo_patches' test columns 256-319 of each 213×320 photo
SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee")  # shipped in the wheel, CC0 / public domain
PHOTO_MODEL = {"num_layers": 6, "filters": 64, "kernel_size": 5, "num_levels": 256,
               "num_mixture_components": 5}  # fmt: skip

_DATASETS = flags.DEFINE_list("datasets", [*BATCHED, *WHOLE_IMAGES], "Datasets to code.")
_STEPS = flags.DEFINE_integer("train_steps", 600, "Adam steps of the briefly trained models.")
_PHOTO_STEPS = flags.DEFINE_integer(
    "photo_train_steps", None, "Adam steps of the photo model (default: --train_steps)."
)
_PHOTO_MODEL = flags.DEFINE_string(
    "photo_model", None, "A .keras file: the photo model is loaded from it if it exists, "
    "else trained and saved there."
)  # fmt: skip
_MAX_SIDE = flags.DEFINE_integer(
    "max_photo_side", 0, "Centre-crop the scikit-image photos to at most this many rows and "
    "columns after downsampling (0: whole)."
)  # fmt: skip
_DIGITS_WORKDIR = flags.DEFINE_string(
    "digits_workdir", None, "Use this workdir's model for digits (e.g. /tmp/tf_pixelcnn_demo)."
)
_BATCH = flags.DEFINE_integer("batch_size", 64, "Images per compressed file / sampler call.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", "/tmp/tf_pixelcnn_benchmarks", "Where results go.")


# --- Data ---------------------------------------------------------------------------------


def held_out_regions() -> list:
    """The held-out region of each photo, `uint8 [208, 64, 3]`, from the test patches.

    The test split holds 16×16 patches at stride 8 of each photo's columns 256-319, in
    raster order: laid back in place they give rows 0-207 of that region (rows 208-212
    are in no patch). Where patches overlap they must agree, which checks the layout.
    """
    patches, labels = load_photo_patches("test")
    columns = (HELD_OUT_WIDTH - PATCH_SIZE) // TEST_STRIDE + 1
    regions = []
    for label in np.unique(labels):
        own = patches[labels == label]
        if len(own) % columns:
            raise ValueError(
                f"Expected rows of {columns} test patches per photo. Received {len(own)} "
                f"patches of photo {label}."
            )
        height = (len(own) // columns - 1) * TEST_STRIDE + PATCH_SIZE
        region = np.zeros([height, HELD_OUT_WIDTH, 3], np.uint8)
        seen = np.zeros([height, HELD_OUT_WIDTH], bool)
        for i, patch in enumerate(own):
            top, left = (i // columns) * TEST_STRIDE, (i % columns) * TEST_STRIDE
            rows, cols = slice(top, top + PATCH_SIZE), slice(left, left + PATCH_SIZE)
            overlap = seen[rows, cols]
            if not np.array_equal(region[rows, cols][overlap], patch[overlap]):
                raise ValueError(f"Test patch {i} of photo {label} disagrees with its neighbours.")
            region[rows, cols], seen[rows, cols] = patch, True
        regions.append(region)
    return regions


def tiles(regions: list) -> np.ndarray:
    """Non-overlapping 16×16 tiles of each region, raster order: `uint8 [N, 16, 16, 3]`."""
    size = PATCH_SIZE
    return np.stack([
        region[top : top + size, left : left + size]
        for region in regions
        for top in range(0, region.shape[0] - size + 1, size)
        for left in range(0, region.shape[1] - size + 1, size)
    ])  # fmt: skip


def downsampled(photo: np.ndarray) -> np.ndarray:
    """Area-downsampled by 2, rounded: the preprocessing of the photo_patches photos."""
    half = (photo.shape[0] // 2, photo.shape[1] // 2)
    small = tf.image.resize(tf.cast(photo, tf.float32), half, method="area")
    return np.clip(np.round(small.numpy()), 0, 255).astype(np.uint8)


def centre_crop(image: np.ndarray, side: int) -> np.ndarray:
    if side <= 0:
        return image
    top, left = max(0, (image.shape[0] - side) // 2), max(0, (image.shape[1] - side) // 2)
    return image[top : top + side, left : left + side]


def skimage_photos() -> dict:
    """`{name: uint8 [H, W, 3]}`: scikit-image's bundled colour photos, downsampled by 2."""
    from PIL import Image  # the benchmarks extra, as scikit-image is

    # The files themselves: skimage.data's loaders import skimage.io, whose tifffile
    # imports a package named `compression`, and finds this script first.
    if importlib.util.find_spec("skimage") is None:
        raise ImportError("scikit-image is needed: pip install -e '.[benchmarks]'")
    folder = importlib.resources.files("skimage") / "data"
    photos = {}
    for name in SKIMAGE_PHOTOS:
        with (folder / f"{name}.png").open("rb") as f:
            photo = np.asarray(Image.open(f).convert("RGB"))
        photos[name] = centre_crop(downsampled(photo), _MAX_SIDE.value)
    return photos


def batched_dataset(name):
    """(train, test, test labels, levels)."""
    if name == "digits":
        train, _ = load_digits("train")
        test, labels = load_digits("test")
        return train, test, labels, 17
    train, _ = load_photo_patches("train")
    if name == "photo_patches":
        test, labels = load_photo_patches("test")
    else:
        test = tiles(held_out_regions())
        labels = np.repeat([0, 1], len(test) // 2).astype(np.int32)
    return train, test, labels, 256


# --- Models -------------------------------------------------------------------------------


def train_briefly(model, train, steps: int, batch: int = 32, cosine=False, flips=False,
                  held_out=None):  # fmt: skip
    """Adam (1e-3, cosine-decayed to 0 over `steps` if `cosine`), random horizontal flips
    if `flips`; prints the train bits/dim every 100 steps and `held_out`'s every 500."""
    rate = tf.keras.optimizers.schedules.CosineDecay(1e-3, steps) if cosine else 1e-3
    optimizer = tf.keras.optimizers.Adam(rate, global_clipnorm=1.0)  # steady in few steps
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
    start = time.perf_counter()
    for i in range(steps):
        images = train[rng.integers(0, len(train), batch)]
        if flips:
            flip = rng.random(batch) < 0.5
            images = np.where(flip[:, None, None, None], images[:, :, ::-1], images)
        loss = step(tf.constant(images, tf.int32))
        if (i + 1) % 100 == 0:
            line = f"  step {i + 1}/{steps}: {float(loss) / math.log(2):.3f} bits/dim (train)"
            if held_out is not None and (i + 1) % 500 == 0:
                line += f", {model_bpd(model, held_out):.3f} (held out)"
            print(f"{line}, {time.perf_counter() - start:.0f} s", flush=True)


def model_bpd(model, images, batch: int = 128) -> float:
    log_p = np.concatenate([model.log_prob(x).numpy() for x in batches(images, batch)])
    return float(-log_p.mean() / (math.prod(images.shape[1:]) * math.log(2)))


def photo_model():
    """(model, description): the photo patches' mixture model, loaded or trained."""
    path = _PHOTO_MODEL.value
    if path and os.path.exists(path):
        model = tf.keras.models.load_model(path)
        with open(path + ".json") as f:
            how = json.load(f)
        return model, f"{how['description']}, loaded from {os.path.basename(path)}"
    steps = _PHOTO_STEPS.value or _STEPS.value
    train, _ = load_photo_patches("train")
    model = tpc.GatedPixelCNN((PATCH_SIZE, PATCH_SIZE, 3), **PHOTO_MODEL)
    print(f"photo model: training {steps} steps")
    start = time.perf_counter()
    train_briefly(model, train.astype(np.int32), steps, cosine=True, flips=True,
                  held_out=tiles(held_out_regions()).astype(np.int32))  # fmt: skip
    description = f"trained {steps} steps"
    if path:
        model.save(path)
        with open(path + ".json", "w") as f:
            json.dump({"description": description, "steps": steps, "model": PHOTO_MODEL,
                       "seconds": time.perf_counter() - start}, f, indent=2)  # fmt: skip
    return model, description


def digits_model(train):
    if _DIGITS_WORKDIR.value:
        model = workdir_model.restore_from_workdir(_DIGITS_WORKDIR.value)
        return model, f"workdir {_DIGITS_WORKDIR.value}"
    model = tpc.GatedPixelCNN((8, 8, 1), num_layers=8, filters=64, kernel_size=3, num_levels=17)
    print(f"digits: training {_STEPS.value} steps")
    train_briefly(model, train.astype(np.int32), _STEPS.value)
    return model, f"trained {_STEPS.value} steps"


def at_shape(model, shape):
    """`model`'s configuration and weights for images of `shape` `(H, W, C)`.

    The masked convolutions, the gates and the 1×1 head do not depend on the image size,
    so the same weights define a density over images of any size.
    """
    if tuple(model.image_shape) == tuple(shape):
        return model
    resized = type(model).from_config({**model.get_config(), "image_shape": list(shape)})
    resized(tf.zeros([1, *shape], tf.int32))  # every weight exists
    received = [tuple(w.shape) for w in resized.weights]
    if received != [tuple(w.shape) for w in model.weights]:
        raise ValueError(f"{type(model).__name__} at image_shape={shape} has other weights.")
    resized.set_weights(model.get_weights())
    return resized


# --- Formats ------------------------------------------------------------------------------


def pillow_bytes(images: np.ndarray, fmt: str) -> int:
    from PIL import Image  # the benchmarks extra

    options = {"PNG": {"optimize": True},
               "WEBP": {"lossless": True, "quality": 100, "method": 6}}[fmt]  # fmt: skip
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


# --- Runs ---------------------------------------------------------------------------------


def run_batched(name, test, labels, levels, model, source):
    test = test.astype(np.int32)
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

    first = [condition_batches[0][:2]] if conditional else []
    tpc.compression.compress(model, image_batches[0][:2], *first)  # tracing, untimed
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
        return {"condition": condition} if conditional else {"num_samples": count}

    for x, c in {len(x): (x, c) for x, c in zip(image_batches, condition_batches)}.values():
        tpc.sample(model, seed=(0, 0), **sample_kwargs(c, len(x)))  # tracing per batch size
    start = time.perf_counter()
    for i, (x, c) in enumerate(zip(image_batches, condition_batches)):
        np.asarray(tpc.sample(model, seed=(1, i), **sample_kwargs(c, len(x))))
    sample_seconds = time.perf_counter() - start

    count = len(test)
    per_image = {fmt: sum(pillow_bytes(x, fmt) for x in test) for fmt in ("PNG", "WEBP")}
    grid = {fmt: pillow_bytes(tiled(test), fmt) for fmt in ("PNG", "WEBP")}

    def bpd(n_bytes):
        return 8 * n_bytes / (count * dims)

    shape = "×".join(map(str, test.shape[1:]))
    return {
        "dataset": f"{name} test ({count} × {shape}, {levels} levels)",
        "model": f"{type(model).__name__}{' (class-conditional)' if conditional else ''}, "
        f"{source}",
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


def run_whole_image(name, image: np.ndarray, model, source) -> dict:
    """One image, one file: coded with `model`'s weights at the image's shape."""
    sized = at_shape(model, image.shape)
    x = image[None].astype(np.int32)  # (1, H, W, C)
    dims = image.size
    model_bits = float(-sized.log_prob(x)[0]) / math.log(2)
    start = time.perf_counter()
    data = tpc.compression.compress(sized, x)
    encode_seconds = time.perf_counter() - start
    start = time.perf_counter()
    decoded = tpc.compression.decompress(sized, data)
    decode_seconds = time.perf_counter() - start
    if not np.array_equal(decoded, x):
        raise AssertionError(f"{name}: decompress did not return the image.")
    payload_bits = tpc.compression.coded_bits(data)
    if payload_bits > 1.02 * model_bits + 64:  # the coder: within 2% of -log2 p, a word
        raise AssertionError(
            f"{name}: {payload_bits} coded bits against -log2 p(x) = {model_bits:.0f}."
        )
    sizes = {fmt: pillow_bytes(image, fmt) for fmt in ("PNG", "WEBP")}
    patch = "×".join(map(str, model.image_shape))
    return {
        "image": name,
        "shape": list(image.shape),
        "model": f"{type(model).__name__} of {patch} patches, {source}",
        "model_bpd": model_bits / dims,
        "coded_bytes": len(data),
        "coded_bpd": 8 * len(data) / dims,
        "coded_over_model": payload_bits / model_bits - 1,
        "png_bytes": sizes["PNG"],
        "png_bpd": 8 * sizes["PNG"] / dims,
        "webp_bytes": sizes["WEBP"],
        "webp_bpd": 8 * sizes["WEBP"] / dims,
        "compress_seconds": encode_seconds,
        "decompress_seconds": decode_seconds,
    }


def whole_images(name) -> dict:
    if name == "photo_regions":
        return {f"{photo} held out": region
                for photo, region in zip(("china", "flower"), held_out_regions())}  # fmt: skip
    return skimage_photos()


def batched_table(results) -> str:
    lines = [
        (
            "| dataset | model | model bits/dim | coded bits/dim (headers; without) | PNG per "
            "image; tiled | WebP lossless per image; tiled | compress img/s | decompress "
            "img/s | sample img/s |"
        ),
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
    return "\n".join(lines)


def whole_image_table(results) -> str:
    lines = [
        (
            "| image (H×W×3) | model bits/dim | coded bits/dim (bytes) | PNG bits/dim (bytes) "
            "| WebP lossless bits/dim (bytes) | coded / WebP | compress s | decompress s |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        height, width, _ = r["shape"]
        lines.append(
            f"| {r['image']} ({height}×{width}) | {r['model_bpd']:.3f} | "
            f"{r['coded_bpd']:.3f} ({r['coded_bytes']:,}) | {r['png_bpd']:.3f} "
            f"({r['png_bytes']:,}) | {r['webp_bpd']:.3f} ({r['webp_bytes']:,}) | "
            f"{r['coded_bytes'] / r['webp_bytes']:.3f} | {r['compress_seconds']:.0f} | "
            f"{r['decompress_seconds']:.0f} |"
        )
    lines.append(
        f"\nOne file per image ({tpc.compression.header.SIZE}-byte header included), model: "
        f"{results[0]['model']}; "
        "compress includes tracing the image's graph; one run, one machine (CPU)."
    )
    return "\n".join(lines)


def main(argv):
    del argv
    unknown = sorted(set(_DATASETS.value) - set(BATCHED) - set(WHOLE_IMAGES))
    if unknown:
        raise ValueError(f"Unknown datasets {unknown}; expected some of {BATCHED + WHOLE_IMAGES}.")
    photos = None
    batched, whole = [], []
    for name in _DATASETS.value:
        if name != "digits" and photos is None:
            photos = photo_model()
        if name in BATCHED:
            train, test, labels, levels = batched_dataset(name)
            model, source = digits_model(train) if name == "digits" else photos
            batched.append(run_batched(name, test, labels, levels, model, source))
        else:
            for image_name, image in whole_images(name).items():
                print(f"{name}: coding {image_name} {image.shape}", flush=True)
                whole.append(run_whole_image(image_name, image, *photos))
    tables = [batched_table(batched)] if batched else []
    tables += [whole_image_table(whole)] if whole else []
    results = {"batched": batched, "whole_images": whole}
    write_report(_OUTPUT_DIR.value, "compression", results, "\n\n".join(tables))


if __name__ == "__main__":
    app.run(main)
