"""The records of one split: the offline digits, an image folder, or a tfds dataset.

A split is either a *table* (arrays in memory, random access: the digits, the file list
of an image folder, and tfds datasets of fixed image size up to `in_memory_bytes`, e.g.
MNIST and CIFAR-10) or a *stream* (a tf.data.Dataset in record order: ImageNet, CelebA).
The pipeline shuffles tables exactly (a stateless permutation per epoch) and streams with
a seeded buffer.
"""

import dataclasses
from typing import Callable, Dict, Optional

import numpy as np
import tensorflow as tf

from tf_pixelcnn.data.dataset_specs import DatasetSpec
from tf_pixelcnn.data.image_folder import decode_image_file, list_image_folder

DEFAULT_IN_MEMORY_BYTES = 2 * 1024**3
# The held-out records of a table are a fixed permutation's first `size`, whatever the
# run's seed: the same validation images for every run of a dataset.
_HOLD_OUT_SEED = 20170321


class DatasetNotPreparedError(FileNotFoundError):
    """A tfds dataset is not on disk; the message says how to prepare it."""


@dataclasses.dataclass
class Records:
    """One split. Exactly one of `table` and `stream` is set.

    Attributes:
        count: Number of records.
        table: Columns of equal length (`"image"` uint8 [N, h, w, c] or `"path"`,
            optional `"label"` int32 [N]).
        stream: Records `{"image", "label"?}` in a fixed order.
        decode: Turns a table row into a record (reads image files); identity otherwise.
    """

    count: int
    table: Optional[Dict[str, np.ndarray]] = None
    stream: Optional[tf.data.Dataset] = None
    decode: Callable = lambda record: record


def load_records(
    spec: DatasetSpec,
    split: str,
    data_dir: Optional[str] = None,
    in_memory_bytes: int = DEFAULT_IN_MEMORY_BYTES,
    code_options: Optional[Dict] = None,
) -> Records:
    """The records of `split`: `{"image": uint8 [h, w, c], "label": int32}` (labelled data).

    Args:
        spec: The dataset.
        split: A split of the source (`spec.train_split` / `spec.test_split`).
        data_dir: tfds data directory (default: tfds' own, `~/tensorflow_datasets`), or
            the root of an image folder.
        in_memory_bytes: tfds splits of fixed image size up to this many bytes of pixels
            are loaded into memory once (exact shuffling, random access).
        code_options: Of code-grid datasets: `code_grids.code_grid_records`' num_codes,
            patch_size and condition_num_codes (`data_dir`: the grids' cache directory).

    Raises:
        DatasetNotPreparedError: a tfds dataset that is not prepared; never downloads.
    """
    if spec.source == "digits":
        from tf_pixelcnn.data.digits import load_digits

        images, labels = load_digits(split, num_levels=spec.max_value + 1)
        return Records(len(labels), table={"image": images, "label": labels})
    if spec.source == "photo_patches":
        from tf_pixelcnn.data.photo_patches import load_photo_patches

        images, labels = load_photo_patches(split)
        return Records(len(labels), table={"image": images, "label": labels})
    if spec.source == "code_grids":
        from tf_pixelcnn.data.code_grids import code_grid_records

        table = code_grid_records(spec.images, split, cache_dir=data_dir, **code_options)
        return Records(len(table["label"]), table=table)
    if spec.source == "image_folder":
        if not data_dir:
            raise ValueError("dataset='image_folder' needs data_dir, the folder's root.")
        paths, labels, _ = list_image_folder(data_dir, split)
        table = {"path": np.array(paths)}
        if labels is not None:
            table["label"] = np.array(labels, np.int32)

        def decode(record):
            return {**record, "image": decode_image_file(record["path"], spec.channels)}

        return Records(len(paths), table=table, decode=decode)
    return _tfds_records(spec, split, data_dir, in_memory_bytes)


def _tfds_records(spec: DatasetSpec, split: str, data_dir: Optional[str], in_memory_bytes):
    import tensorflow_datasets as tfds  # deferred: importing tfds takes seconds

    builder = tfds.builder(spec.name, data_dir=data_dir)
    read_config = tfds.ReadConfig(shuffle_seed=0, interleave_cycle_length=1)
    try:
        dataset = builder.as_dataset(split=split, shuffle_files=False, read_config=read_config)
    except AssertionError as error:  # tfds' "could not find data in ..."
        raise DatasetNotPreparedError(
            f"Dataset {spec.name!r} (split {split!r}) is not prepared in "
            f"{builder.data_dir if data_dir is None else data_dir}. Prepare it once, with "
            f'network access:\n  python -c "import tensorflow_datasets as tfds; '
            f"tfds.builder('{spec.name}', data_dir=DATA_DIR).download_and_prepare()\"\n"
            "then pass --config.data.data_dir=DATA_DIR (some datasets, e.g. ImageNet, need "
            "manual downloads first: see their tfds catalog page). Training never downloads: "
            f"without network it would retry for minutes. ({error})"
        ) from None

    def to_record(example):
        record = {"image": example["image"]}
        if spec.has_labels:
            record["label"] = tf.cast(example["label"], tf.int32)
        return record

    dataset = dataset.map(to_record)
    count = int(dataset.cardinality())
    if count < 0:  # unknown (e.g. tfds.testing.mock_data): count once
        count = int(dataset.reduce(0, lambda total, _: total + 1))
    shape = dataset.element_spec["image"].shape
    if shape.is_fully_defined() and count * shape.num_elements() <= in_memory_bytes:
        columns = {key: [] for key in dataset.element_spec}
        for batch in dataset.batch(4096).as_numpy_iterator():
            for key, values in batch.items():
                columns[key].append(values)
        return Records(count, table={k: np.concatenate(v) for k, v in columns.items()})
    return Records(count, stream=dataset)


def hold_out(records: Records, size: int, held_out: bool) -> Records:
    """The validation records carved from a train split (`held_out=True`), or the rest.

    Tables hold out the first `size` rows of a fixed permutation (the same rows for every
    run and seed); streams hold out their first `size` records (tfds shuffles records
    when it prepares a dataset).

    Raises:
        ValueError: `size` is not in `[1, count)`.
    """
    if not 0 < size < records.count:
        raise ValueError(
            f"validation_size must be in [1, {records.count}) (records of the train split). "
            f"Received: validation_size={size}."
        )
    count = size if held_out else records.count - size
    if records.table is not None:
        order = np.random.Generator(np.random.PCG64(_HOLD_OUT_SEED)).permutation(records.count)
        rows = np.sort(order[:size] if held_out else order[size:])
        table = {key: column[rows] for key, column in records.table.items()}
        return Records(count, table=table, decode=records.decode)
    stream = records.stream.take(size) if held_out else records.stream.skip(size)
    return Records(count, stream=stream, decode=records.decode)
