"""Training and evaluation input pipelines: one API for tfds, the offline digits and image folders.

The training stream is a function of `(seed, step)` only, so a run restarted at
`start_step` reads exactly what an uninterrupted run reads from that step on:
  * splits held in memory (the digits, image folders' file lists, MNIST, CIFAR-10): record
    position p of the stream is row `index_shuffle(p mod N, seed=(seed, p div N))`, a
    stateless permutation per epoch; nothing is skipped on restart;
  * streamed splits (ImageNet, CelebA): epoch e is the split in the order of a buffer
    shuffle seeded by `seed * 1000003 + e`; a restart reads at most one epoch to get back.
Every input pipeline (one per worker) follows the same global stream and keeps every
`num_input_pipelines`-th record, so the records of one global batch are the same for any
number of workers and replicas: two workers train on exactly what one process trains on.
Images are read, decoded (image folders) and preprocessed after that sharding.
With `perturbation_rate`, the record at global stream position p is then perturbed with
the stateless seed (seed, p) (`perturbation.perturb_image`): resumed and sharded streams
perturb every record as the uninterrupted single-pipeline stream does.
"""

from typing import Dict, NamedTuple, Optional, Sequence, Tuple

import tensorflow as tf

from tf_pixelcnn.data.code_grids import DEFAULT_PATCH_SIZE, grid_shape
from tf_pixelcnn.data.dataset_specs import DatasetSpec, get_spec
from tf_pixelcnn.data.image_preprocessing import crop_box, quantize, resize, to_grayscale
from tf_pixelcnn.data.perturbation import (
    check_perturbation_rate,
    perturb_image,
    perturbation_seed,
)
from tf_pixelcnn.data.record_source import DEFAULT_IN_MEMORY_BYTES, hold_out, load_records

_EPOCH_SEED_STRIDE = 1_000_003  # a prime: per-epoch shuffle seeds seed * stride + epoch


def make_dataset(dataset: str, split: str = "train", *, global_batch_size: int,
                 image_size: Optional[Sequence[int]] = None, num_levels: int = 256,
                 grayscale: bool = False, crop: Optional[Sequence[int]] = None,
                 resize_images: bool = False, data_dir: Optional[str] = None,
                 input_context: Optional[tf.distribute.InputContext] = None, seed: int = 0,
                 start_step: int = 0, num_steps: Optional[int] = None,
                 shuffle_buffer: int = 50_000, training: bool = True,
                 in_memory_bytes: int = DEFAULT_IN_MEMORY_BYTES, validation_size: int = 0,
                 perturbation_rate: float = 0.0, patch_size: Optional[int] = None,
                 condition_num_codes: Optional[int] = None) -> tf.data.Dataset:  # fmt: skip
    """Batches `{"image": int32 [b, H, W, C], "label": int32 [b]?, "weight": float32 [b]?}`
    (code grids, e.g. "photo_patch_codes": codes `int32 [b, h, w, 1]`, and with
    `condition_num_codes` a `"condition"` code map `int32 [b, h/2, w/2, 1]`).

    Args:
        dataset: A name of `dataset_specs.DATASETS` ("digits", "cifar10", "celeb_a", ...).
        split: "train" or "test" (mapped to the source's split names, e.g. ImageNet's
            "validation"), or a source split name. With `validation_size`, "validation"
            is the records held out from the train split and "train" the rest.
        global_batch_size: Images per step over all replicas; each batch here has
            `input_context.get_per_replica_batch_size(global_batch_size)` images.
        image_size: `(H, W)` of the output; default: the dataset's own size.
        num_levels: Values per sub-pixel of the output (`[0, num_levels)`).
        grayscale: Convert colour images to one channel (luma) before quantising.
        crop: `(top, left, height, width)` box cut from every image first (e.g. CelebA faces).
        resize_images: Resize every image (after the crop) to `image_size`. When False,
            an image of another size is an error naming its record index.
        data_dir: tfds data directory, or the root of an image folder.
        input_context: From `strategy.distribute_datasets_from_function`; None: one pipeline.
        seed: Seed of the shuffle order.
        start_step, num_steps: Training steps the stream starts (resumed runs) and ends at.
        shuffle_buffer: Records in the shuffle buffer of streamed splits (at most the split).
        training: True: the shuffled stream of full batches of steps `[start_step, num_steps)`.
            False: one pass in record order, padded with weight-0 copies to whole global
            batches so every pipeline yields the same number of batches; average with "weight".
        validation_size: Records of the train split held out as the "validation" split
            (model selection never touches the test split); 0: none.
        perturbation_rate: Training stream only: each sub-pixel is replaced, with this
            probability, by a level uniform over `[0, num_levels)` (the background model of a
            likelihood-ratio score, Ren et al. 2019), keyed by `(seed, stream position)`.
            Never in evaluation passes: a background model is evaluated, selected and used clean.
        patch_size, condition_num_codes: Code grids only (`code_grids.code_grid_records`):
            p of the coded patches (default 4) and K' of the coarser code map (None: none).
            `num_levels` is K there (up to 65,535) and `data_dir` the grids' cache.

    Raises:
        DatasetNotPreparedError: the tfds dataset is not on disk (nothing is downloaded).
        tf.errors.InvalidArgumentError (when iterated): a record of the wrong size or
            channel count, or a label out of range, named by its record index.
    """
    spec = get_spec(dataset)
    codes = code_options(spec, num_levels, patch_size, condition_num_codes)
    records = _split_records(spec, split, data_dir, in_memory_bytes, validation_size, codes)
    split = {"train": spec.train_split, "test": spec.test_split}.get(split, split)
    if records.count == 0:
        raise ValueError(f"Dataset {dataset!r} split {split!r} has no records.")
    if codes:
        image_size = grid_shape(spec.images, codes["patch_size"])
    image_size = _check_image_size(dataset, image_size or spec.image_size)
    plan = _stream_plan(input_context, global_batch_size, seed, start_step, num_steps, training)
    if codes:
        to_example = _code_example_fn(spec, f"{dataset}/{split}", image_size, num_levels)
    else:
        to_example = _example_fn(
            spec, f"{dataset}/{split}", image_size, num_levels, grayscale, crop, resize_images
        )
    stream = _pipeline_records(records, plan, shuffle_buffer).map(
        to_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
    if check_perturbation_rate(perturbation_rate) > 0.0 and training:
        stream = _perturbed(stream, perturbation_rate, num_levels, plan)
    return _batched(stream, plan)


class _StreamPlan(NamedTuple):
    """This input pipeline's place in the global record stream (see the module docstring)."""

    seed: int
    global_batch_size: int
    start_step: int
    num_steps: Optional[int]
    training: bool
    pipelines: int  # number of input pipelines
    pipeline_id: int  # this pipeline's index
    batch_size: int  # this pipeline's per-replica batch


def _stream_plan(input_context, global_batch_size, seed, start_step, num_steps, training):
    """Checks the stream arguments; `_StreamPlan` of this pipeline."""
    pipelines, pipeline_id, batch_size = _pipeline_share(input_context, global_batch_size)
    if training and num_steps is None:
        raise ValueError("training=True needs num_steps, the step the stream ends at.")
    return _StreamPlan(
        seed, global_batch_size, start_step, num_steps, training, pipelines, pipeline_id,
        batch_size,
    )  # fmt: skip


def _pipeline_records(records, plan: _StreamPlan, shuffle_buffer: int) -> tf.data.Dataset:
    """`(record index, record, weight)` in global order, this pipeline's share."""
    if records.table is not None:
        return _table_stream(records, plan)
    stream = _record_stream(records, plan, shuffle_buffer)
    if plan.pipelines > 1:
        stream = stream.shard(plan.pipelines, plan.pipeline_id)
    return stream


def _batched(stream, plan: _StreamPlan) -> tf.data.Dataset:
    """Batches of examples (without "weight" in training), deterministic, not auto-sharded."""
    if plan.training:
        stream = stream.map(lambda example: {k: v for k, v in example.items() if k != "weight"})
    stream = stream.batch(plan.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = True
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return stream.with_options(options)


def _perturbed(stream, perturbation_rate, num_levels, plan: _StreamPlan):
    """Perturbs the image of each example; this pipeline's k-th example is the record at
    global position `start_step * global_batch_size + k * pipelines + pipeline_id` (both
    stream kinds shard the global order round-robin)."""
    start_record = plan.start_step * plan.global_batch_size

    def perturb(k, example):
        position = start_record + k * plan.pipelines + plan.pipeline_id
        seed_pair = perturbation_seed(plan.seed, position)
        image = perturb_image(example["image"], perturbation_rate, num_levels, seed_pair)
        return {**example, "image": image}

    return stream.enumerate().map(perturb, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _check_image_size(dataset: str, image_size) -> Tuple[int, int]:
    image_size = tuple(image_size or ())
    if len(image_size) != 2:
        raise ValueError(
            f"Dataset {dataset!r} has no fixed image size: give image_size=(H, W) (and "
            f"resize_images=True to resize). Received: image_size={image_size or None}."
        )
    return image_size


def _pipeline_share(input_context, global_batch_size: int) -> Tuple[int, int, int]:
    """`(number of input pipelines, this pipeline's index, its per-replica batch)`."""
    if input_context is None:
        return 1, 0, global_batch_size
    pipelines = input_context.num_input_pipelines
    if global_batch_size % pipelines:
        raise ValueError(
            f"global_batch_size must be divisible by the {pipelines} input pipelines. "
            f"Received: global_batch_size={global_batch_size}."
        )
    batch_size = input_context.get_per_replica_batch_size(global_batch_size)
    return pipelines, input_context.input_pipeline_id, batch_size


def _record_stream(records, plan: _StreamPlan, shuffle_buffer):
    """`(index, record, weight)` of a streamed split, in global order."""
    indexed = records.stream.enumerate()
    if not plan.training:
        return _padded_pass(indexed, records.count, plan.global_batch_size)
    return _shuffled_stream(
        indexed,
        records.count,
        plan.seed,
        plan.start_step * plan.global_batch_size,
        plan.num_steps * plan.global_batch_size,
        shuffle_buffer,
    ).map(lambda index, record: (index, record, 1.0))


def _split_records(spec, split, data_dir, in_memory_bytes, validation_size, codes=None):
    """The records of `split`; "train" and "validation" share the train split when
    `validation_size` holds records out."""
    if validation_size and split in ("train", "validation"):
        records = load_records(spec, spec.train_split, data_dir, in_memory_bytes, codes)
        return hold_out(records, validation_size, held_out=split == "validation")
    source = {"train": spec.train_split, "test": spec.test_split}.get(split, split)
    return load_records(spec, source, data_dir, in_memory_bytes, codes)


def code_options(spec: DatasetSpec, num_levels, patch_size, condition_num_codes):
    """`{"num_codes", "patch_size", "condition_num_codes"}` of a code-grid dataset, else
    None (and then neither option may be set)."""
    if spec.source != "code_grids":
        if patch_size is not None or condition_num_codes is not None:
            raise ValueError(
                f"patch_size and condition_num_codes are options of code-grid datasets, not "
                f"of {spec.name!r}. Received: patch_size={patch_size}, "
                f"condition_num_codes={condition_num_codes}."
            )
        return None
    patch_size = DEFAULT_PATCH_SIZE if patch_size is None else int(patch_size)
    return dict(
        num_codes=int(num_levels), patch_size=patch_size,
        condition_num_codes=int(condition_num_codes) if condition_num_codes else None,
    )  # fmt: skip


def _table_stream(records, plan: _StreamPlan):
    """`(index, record, weight)` of an in-memory split, this pipeline's share."""
    count, seed, training = records.count, plan.seed, plan.training
    if training:
        positions = tf.data.Dataset.range(
            plan.start_step * plan.global_batch_size, plan.num_steps * plan.global_batch_size
        )
    else:
        positions = tf.data.Dataset.range(count + (-count) % plan.global_batch_size)
    if plan.pipelines > 1:
        positions = positions.shard(plan.pipelines, plan.pipeline_id)
    table = {key: tf.constant(column) for key, column in records.table.items()}

    def row(position):
        if training:  # position p: row index_shuffle(p mod N) of epoch p div N
            epoch_seed = tf.stack([tf.constant(seed, tf.int64), position // count])
            index = tf.random.experimental.index_shuffle(position % count, epoch_seed, count - 1)
            weight = 1.0
        else:  # record order, then weight-0 repeats up to whole global batches
            index = position % count
            weight = tf.cast(position < count, tf.float32)
        record = records.decode({key: tf.gather(column, index) for key, column in table.items()})
        return index, record, weight

    return positions.map(row, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _shuffled_stream(records, num_records, seed, start_record, end_record, shuffle_buffer):
    """`(index, record)` stream of records [start_record, end_record); epoch e shuffled by
    seed `seed * stride + e`, so any position is reached by skipping at most one epoch."""
    start_epoch, offset = divmod(start_record, num_records)
    end_epoch = -(-end_record // num_records)  # ceil
    buffer = min(shuffle_buffer, num_records)
    epochs = [
        records.shuffle(buffer, seed=seed * _EPOCH_SEED_STRIDE + e, reshuffle_each_iteration=False)
        for e in range(start_epoch, max(end_epoch, start_epoch + 1))
    ]
    return _concatenate(epochs).skip(offset).take(end_record - start_record)


def _concatenate(datasets):
    """Concatenation as a balanced tree (depth log2(n), not n)."""
    while len(datasets) > 1:
        pairs = [datasets[i : i + 2] for i in range(0, len(datasets), 2)]
        datasets = [pair[0].concatenate(pair[1]) if len(pair) == 2 else pair[0] for pair in pairs]
    return datasets[0]


def _padded_pass(records, num_records, global_batch_size):
    """One pass, then weight-0 repeats of the first records up to whole global batches."""
    weighted = records.map(lambda index, record: (index, record, 1.0))
    padding = (-num_records) % global_batch_size
    if padding:
        filler = records.repeat().take(padding).map(lambda index, record: (index, record, 0.0))
        weighted = weighted.concatenate(filler)
    return weighted


def _code_example_fn(spec: DatasetSpec, where: str, grid: Tuple[int, int], num_codes: int):
    """`(index, record, weight) -> {"image": codes int32 [h, w, 1], "label"?, "condition"?,
    "weight"}`, codes checked in [0, num_codes)."""

    def to_example(index, record, weight) -> Dict[str, tf.Tensor]:
        codes = tf.cast(record["image"], tf.int32)
        in_range = tf.logical_and(tf.reduce_min(codes) >= 0, tf.reduce_max(codes) < num_codes)
        check = tf.debugging.Assert(
            in_range, [f"expected codes in [0, {num_codes}); {where}: record index", index]
        )
        example = {key: record[key] for key in ("label", "condition") if key in record}
        example["weight"] = tf.cast(weight, tf.float32)
        with tf.control_dependencies([check]):
            example["image"] = tf.ensure_shape(tf.identity(codes), [*grid, 1])
        return example

    return to_example


def _example_fn(
    spec: DatasetSpec, where: str, image_size, num_levels, grayscale, crop, resize_images
):
    """`(index, record, weight) -> {"image": int32 [H, W, C], "label"?, "weight"}`, checked."""
    if not 2 <= num_levels <= 256:
        raise ValueError(f"num_levels must be in [2, 256]. Received: num_levels={num_levels}.")
    height, width = image_size

    def to_example(index, record, weight) -> Dict[str, tf.Tensor]:
        image = record["image"]
        where_index = [f"{where}: record index", index]
        if "path" in record:
            where_index += ["file", record["path"]]

        def check(condition, expected, name, value):
            return tf.debugging.Assert(condition, [expected] + where_index + [name, value])

        channel_count = tf.equal(tf.shape(image)[-1], spec.channels)
        checks = [
            check(channel_count, f"expected {spec.channels} channels;", "shape", tf.shape(image))
        ]
        image = crop_box(image, crop)
        if resize_images:
            image = resize(image, image_size)
        else:
            size = tf.reduce_all(tf.equal(tf.shape(image)[:2], [height, width]))
            expected = f"expected images of {height}x{width} (set resize_images=True to resize);"
            checks.append(check(size, expected, "shape", tf.shape(image)))
        if grayscale:
            image = to_grayscale(image)
        example = {"weight": tf.cast(weight, tf.float32)}
        if spec.has_labels:
            label = record["label"]
            in_range = tf.logical_and(label >= 0, label < spec.num_classes)
            expected = f"expected labels in [0, {spec.num_classes});"
            checks.append(check(in_range, expected, "label", label))
            example["label"] = label
        elif "label" in record:
            example["label"] = record["label"]
        with tf.control_dependencies(checks):
            levels = quantize(image, num_levels, spec.max_value)
        channels = 1 if grayscale else spec.channels
        example["image"] = tf.ensure_shape(levels, [height, width, channels])
        return example

    return to_example
