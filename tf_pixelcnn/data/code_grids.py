"""Grids of discrete codes from real images: k-means codes of their p×p patches.

The data a `CodePixelCNN` prior is trained on, standing in for the encoder of a VQ-VAE
(van den Oord et al. 2017, §3.1: each latent position is the index of its nearest
codebook vector): every image of a source dataset is cut into non-overlapping p×p
patches, each patch replaced by the index of its nearest k-means centre, giving
`int32 [N, H/p, W/p, 1]` in [0, K). A coarser code map of the same images (the codes of
their 2p×2p patches, VQ-VAE-2's top level; Razavi et al. 2019) is the same construction
at patch size 2p.

The centres are fitted on the patches of the source's *train* split only
(`MiniBatchKMeans`, `random_state=seed`, on the distinct patches weighted by their
count, so duplicates cost nothing), then every split is encoded with them: the test
split's grids are codes of the source's test images, whose pixels no centre saw.

Sources (both ship with scikit-learn; no network):
  * "photo_patches": 16×16×3 patches of two photographs (6,100 train / 350 test);
    p = 4 → 4×4 grids (6,784 distinct train patches), p = 2 → 8×8 grids (26,825).
  * "digits": the 8×8 digits (1,438 train / 359 test); p = 2 → 4×4 grids.

Fitting takes seconds for K = 512 and about a minute for K = 4,096 at p = 2 on 2 CPU
cores, so grids are saved as `.npy` files and loaded from there afterwards
(`load_code_grids`, directory `cache_dir/<source>_k<K>_p<p>_seed<seed>/`).
"""

import dataclasses
import json
import os
import time
from typing import Dict, Optional, Tuple

import numpy as np

SOURCES = ("photo_patches", "digits")
SPLITS = ("train", "test")
DEFAULT_PATCH_SIZE = 4
DEFAULT_CACHE_DIR = os.path.join("~", ".cache", "tf_pixelcnn", "code_grids")
_ASSIGN_ROWS = 2048  # patches per block of the nearest-centre search


def source_images(source: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """`(images uint8 [N, H, W, C], labels int32 [N])` of a source's split."""
    if source == "photo_patches":
        from tf_pixelcnn.data.photo_patches import load_photo_patches

        return load_photo_patches(split)
    if source == "digits":
        from tf_pixelcnn.data.digits import load_digits

        return load_digits(split)
    raise ValueError(f"source must be one of {SOURCES}. Received: source={source!r}.")


def source_image_shape(source: str) -> Tuple[int, int, int]:
    """`(H, W, C)` of a source's images."""
    return {"photo_patches": (16, 16, 3), "digits": (8, 8, 1)}[_checked_source(source)]


def grid_shape(source: str, patch_size: int = DEFAULT_PATCH_SIZE) -> Tuple[int, int]:
    """`(H/p, W/p)`: the code grid of a source's images; p must divide H and W."""
    height, width, _ = source_image_shape(source)
    if patch_size < 1 or height % patch_size or width % patch_size:
        raise ValueError(
            f"patch_size must divide the {height}x{width} images of {source!r}. "
            f"Received: patch_size={patch_size}."
        )
    return height // patch_size, width // patch_size


def patches(images: np.ndarray, patch_size: int) -> np.ndarray:
    """Images `[N, H, W, C]` → their non-overlapping patches `float32 [N, H/p, W/p, p·p·C]`
    (row-major within a patch, channels last)."""
    count, height, width, channels = np.shape(images)
    p = patch_size
    if height % p or width % p:
        raise ValueError(f"patch_size {p} must divide {height}x{width}.")
    blocks = np.asarray(images, np.float32).reshape(count, height // p, p, width // p, p, channels)
    return blocks.transpose(0, 1, 3, 2, 4, 5).reshape(count, height // p, width // p, -1)


def fit_centres(
    train_images: np.ndarray, num_codes: int, patch_size: int, seed: int = 0
) -> Tuple[np.ndarray, Dict[str, float]]:
    """k-means centres of the train images' p×p patches.

    Returns:
        `(centres float32 [K, p, p, C], fit)`: centres in the images' pixel units, and
        `fit`: `{"patches", "distinct_patches", "seconds", "iterations", "inertia_per_patch"}`.
    """
    from sklearn.cluster import MiniBatchKMeans  # deferred: importing sklearn is slow

    channels = np.shape(train_images)[-1]
    vectors = patches(train_images, patch_size).reshape(-1, patch_size * patch_size * channels)
    distinct, counts = np.unique(vectors, axis=0, return_counts=True)
    if len(distinct) < num_codes:
        raise ValueError(
            f"num_codes={num_codes} exceeds the {len(distinct)} distinct {patch_size}x"
            f"{patch_size} patches of the train split."
        )
    start = time.perf_counter()
    kmeans = MiniBatchKMeans(
        n_clusters=num_codes, random_state=seed, batch_size=max(1024, 2 * num_codes),
        n_init=1, max_iter=20,
    ).fit(distinct, sample_weight=counts.astype(np.float64))  # fmt: skip
    fit = {
        "patches": int(len(vectors)),
        "distinct_patches": int(len(distinct)),
        "seconds": round(time.perf_counter() - start, 2),
        "iterations": int(kmeans.n_iter_),
        "inertia_per_patch": float(kmeans.inertia_ / counts.sum()),
    }
    centres = kmeans.cluster_centers_.astype(np.float32)
    return centres.reshape(num_codes, patch_size, patch_size, channels), fit


def encode(images: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Images `[N, H, W, C]` → codes `int32 [N, H/p, W/p, 1]`: each p×p patch's nearest
    centre (squared Euclidean distance; the lowest index on a tie)."""
    num_codes, p = np.shape(centres)[:2]
    flat = np.asarray(centres, np.float64).reshape(num_codes, -1)
    vectors = patches(images, p)
    shape = vectors.shape[:3]
    vectors = vectors.reshape(-1, flat.shape[1]).astype(np.float64)
    norms = np.sum(flat**2, axis=1)
    codes = np.empty(len(vectors), np.int32)
    for start in range(0, len(vectors), _ASSIGN_ROWS):
        block = vectors[start : start + _ASSIGN_ROWS]
        distances = norms[None] - 2.0 * block @ flat.T  # + |x|², the same for every centre
        codes[start : start + _ASSIGN_ROWS] = np.argmin(distances, axis=1)
    return codes.reshape(*shape, 1)


def decode(codes: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Codes `int [N, h, w, 1]` → images `float32 [N, h·p, w·p, C]`: each code's centre
    (round and clip to show them). `decode(encode(x), centres)` is x with every patch
    replaced by its nearest centre."""
    codes = np.asarray(codes)
    count, height, width = codes.shape[:3]
    _, p, _, channels = np.shape(centres)
    blocks = np.asarray(centres, np.float32)[codes[..., 0]]  # [N, h, w, p, p, C]
    return blocks.transpose(0, 1, 3, 2, 4, 5).reshape(count, height * p, width * p, channels)


@dataclasses.dataclass
class CodeGrids:
    """The code grids of a source at one (K, p).

    Attributes:
        codes: `{"train", "test"}` → `int32 [N, H/p, W/p, 1]` in [0, K).
        labels: `{"train", "test"}` → the images' labels `int32 [N]`.
        centres: `float32 [K, p, p, C]`, in the source's pixel units.
        fit: How the centres were fitted (`fit_centres`), plus "source" and "seed".
    """

    codes: Dict[str, np.ndarray]
    labels: Dict[str, np.ndarray]
    centres: np.ndarray
    fit: Dict[str, object]


def build_code_grids(
    source: str, num_codes: int, patch_size: int = DEFAULT_PATCH_SIZE, seed: int = 0
) -> CodeGrids:
    """Fits K centres on `source`'s train patches and encodes both splits."""
    grid_shape(source, patch_size)  # checks p
    images = {split: source_images(source, split) for split in SPLITS}
    centres, fit = fit_centres(images["train"][0], num_codes, patch_size, seed)
    codes = {split: encode(pair[0], centres) for split, pair in images.items()}
    used = int(len(np.unique(codes["train"])))  # a centre may end up nearest to no patch
    return CodeGrids(
        codes=codes,
        labels={split: pair[1] for split, pair in images.items()},
        centres=centres,
        fit={**fit, "train_codes_used": used, "source": source, "seed": seed},
    )


def save_code_grids(grids: CodeGrids, directory: str) -> str:
    """Writes `centres.npy`, `<split>_codes.npy`, `<split>_labels.npy` and `fit.json`
    (each renamed into place, so a reader never sees half a file)."""
    os.makedirs(directory, exist_ok=True)
    arrays = {"centres": grids.centres}
    for split in SPLITS:
        arrays[f"{split}_codes"] = grids.codes[split]
        arrays[f"{split}_labels"] = grids.labels[split]
    for name, array in arrays.items():
        temporary = os.path.join(directory, f".{name}.{os.getpid()}.npy")
        np.save(temporary, array)
        os.replace(temporary, os.path.join(directory, f"{name}.npy"))
    temporary = os.path.join(directory, f".fit.{os.getpid()}.json")
    with open(temporary, "w") as f:
        json.dump(grids.fit, f, indent=2)
    os.replace(temporary, os.path.join(directory, "fit.json"))  # last: marks it complete
    return directory


def read_code_grids(directory: str) -> CodeGrids:
    """The `CodeGrids` `save_code_grids` wrote to `directory`."""

    def array(name):
        return np.load(os.path.join(directory, f"{name}.npy"))

    with open(os.path.join(directory, "fit.json")) as f:
        fit = json.load(f)
    return CodeGrids(
        codes={split: array(f"{split}_codes") for split in SPLITS},
        labels={split: array(f"{split}_labels") for split in SPLITS},
        centres=array("centres"),
        fit=fit,
    )


_LOADED: Dict[str, CodeGrids] = {}


def load_code_grids(
    source: str,
    num_codes: int,
    patch_size: int = DEFAULT_PATCH_SIZE,
    seed: int = 0,
    cache_dir: Optional[str] = None,
) -> CodeGrids:
    """The code grids of `(source, K, p, seed)`: read from `cache_dir` (default
    `~/.cache/tf_pixelcnn/code_grids`) when saved there, else built and saved.

    Example:
        >>> grids = load_code_grids("digits", num_codes=64, patch_size=2)
        >>> grids.codes["test"].shape, grids.centres.shape
        ((359, 4, 4, 1), (64, 2, 2, 1))
    """
    _checked_source(source)
    root = os.path.expanduser(cache_dir or DEFAULT_CACHE_DIR)
    directory = os.path.join(root, f"{source}_k{num_codes}_p{patch_size}_seed{seed}")
    if directory not in _LOADED:
        if os.path.exists(os.path.join(directory, "fit.json")):
            _LOADED[directory] = read_code_grids(directory)
        else:
            grids = build_code_grids(source, num_codes, patch_size, seed)
            save_code_grids(grids, directory)
            _LOADED[directory] = grids
    return _LOADED[directory]


def code_grid_records(
    source: str,
    split: str,
    num_codes: int,
    patch_size: int = DEFAULT_PATCH_SIZE,
    condition_num_codes: Optional[int] = None,
    cache_dir: Optional[str] = None,
) -> Dict[str, np.ndarray]:
    """The columns of a split: `{"image": codes int32 [N, h, w, 1], "label": int32 [N],
    "condition": top codes int32 [N, h/2, w/2, 1]}` ("condition" with
    `condition_num_codes`: the codes of the same images' 2p×2p patches, K' centres)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}. Received: split={split!r}.")
    grids = load_code_grids(source, num_codes, patch_size, cache_dir=cache_dir)
    columns = {"image": grids.codes[split], "label": grids.labels[split]}
    if condition_num_codes:
        top = load_code_grids(source, condition_num_codes, 2 * patch_size, cache_dir=cache_dir)
        columns["condition"] = top.codes[split]
    return columns


def code_grid_dataset(
    source: str,
    split: str,
    num_codes: int,
    batch_size: int,
    patch_size: int = DEFAULT_PATCH_SIZE,
    condition: str = "none",
    condition_num_codes: Optional[int] = None,
    cache_dir: Optional[str] = None,
):
    """A `tf.data.Dataset` of `(codes int32 [b, h, w, 1], condition)` in record order
    (one pass; the trainer's own stream is `make_dataset(dataset="<source>_codes")`).

    Args:
        condition: "none" (condition None is left out: elements are `(codes,)`),
            "labels" (`int32 [b]`) or "code_map" (`int32 [b, h/2, w/2, 1]`, needs
            `condition_num_codes`).
    """
    import tensorflow as tf

    columns = code_grid_records(
        source, split, num_codes, patch_size,
        condition_num_codes if condition == "code_map" else None, cache_dir,
    )  # fmt: skip
    conditions = {"none": None, "labels": "label", "code_map": "condition"}
    if condition not in conditions:
        raise ValueError(f"condition must be one of {sorted(conditions)}. Received: {condition!r}.")
    if condition == "code_map" and not condition_num_codes:
        raise ValueError("condition='code_map' needs condition_num_codes.")
    key = conditions[condition]
    elements = (columns["image"],) if key is None else (columns["image"], columns[key])
    return tf.data.Dataset.from_tensor_slices(elements).batch(batch_size)


def picture_decoder(source: str, num_codes: int, patch_size: int = DEFAULT_PATCH_SIZE,
                    seed: int = 0, cache_dir: Optional[str] = None):  # fmt: skip
    """`(decode_codes, levels)`: codes `int [N, h, w, 1]` → the images they stand for,
    `int32 [N, h·p, w·p, C]` in [0, levels) (each code's centre, rounded), and the
    source's levels — what sample pictures show of a grid of codes."""
    from tf_pixelcnn.data.dataset_specs import get_spec

    centres = load_code_grids(source, num_codes, patch_size, seed, cache_dir).centres
    levels = get_spec(source).max_value + 1

    def decode_codes(codes):
        images = np.rint(decode(np.asarray(codes), centres))
        return np.clip(images, 0, levels - 1).astype(np.int32)

    return decode_codes, levels


def _checked_source(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}. Received: source={source!r}.")
    return source
