"""The undecorated records of one split: tfds, the offline digits, or an image folder."""

from typing import Optional, Tuple

import tensorflow as tf

from tf_pixelcnn.data.dataset_specs import DatasetSpec
from tf_pixelcnn.data.image_folder import image_folder_records


class DatasetNotPreparedError(FileNotFoundError):
    """A tfds dataset is not on disk; the message says how to prepare it."""


def load_records(
    spec: DatasetSpec, split: str, data_dir: Optional[str] = None
) -> Tuple[tf.data.Dataset, int]:
    """Records `{"image": uint8 [h, w, c], "label": int32 (where labelled)}` and their count.

    The order is fixed (no file shuffling): the pipeline shuffles from its own seed, so
    the order is a function of the seed only.

    Args:
        spec: The dataset.
        split: A split of the source (`spec.train_split` / `spec.test_split`).
        data_dir: tfds data directory (default: tfds' own, `~/tensorflow_datasets`), or
            the root of an image folder.

    Raises:
        DatasetNotPreparedError: a tfds dataset that is not prepared; never downloads.
    """
    if spec.source == "digits":
        from tf_pixelcnn.data.digits import load_digits

        images, labels = load_digits(split, num_levels=spec.max_value + 1)
        records = {"image": images, "label": labels}
        return tf.data.Dataset.from_tensor_slices(records), len(labels)
    if spec.source == "image_folder":
        if not data_dir:
            raise ValueError("dataset='image_folder' needs data_dir, the folder's root.")
        return image_folder_records(data_dir, split, spec.channels)
    return _tfds_records(spec, split, data_dir)


def _tfds_records(spec: DatasetSpec, split: str, data_dir: Optional[str]):
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
    return dataset, count
