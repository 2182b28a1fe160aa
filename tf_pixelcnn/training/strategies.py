"""The distribution strategy a config names, and which process is the chief."""

import json
import os
from typing import Optional

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")


def make_strategy(name: str, num_cpu_devices: Optional[int] = None) -> tf.distribute.Strategy:
    """`"default"` (one device), `"mirrored"` (all local GPUs) or `"multi_worker"`.

    `"multi_worker"` is a `MultiWorkerMirroredStrategy` over the cluster in `TF_CONFIG`
    (every local GPU of every worker). Call this before any other TensorFlow work: it
    configures devices.

    Args:
        name: One of `STRATEGIES`.
        num_cpu_devices: Split the CPU into this many logical devices first (with
            "mirrored" on a machine without GPUs: one replica per logical CPU). For tests
            and for trying replication on a laptop; no speed-up.
    """
    if name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}. Received: strategy={name!r}.")
    if num_cpu_devices:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_cpu_devices)]
        )
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = None
        if num_cpu_devices and not tf.config.list_logical_devices("GPU"):
            devices = [device.name for device in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if "TF_CONFIG" not in os.environ:
        raise ValueError(
            "strategy='multi_worker' reads the cluster from the TF_CONFIG environment "
            "variable, which is not set. Start workers with launch/local_cluster.py, or set "
            'TF_CONFIG=\'{"cluster": {"worker": ["host1:port", ...]}, "task": {"type": '
            '"worker", "index": i}}\' on each machine.'
        )
    json.loads(os.environ["TF_CONFIG"])  # a malformed TF_CONFIG fails here, clearly
    return tf.distribute.MultiWorkerMirroredStrategy()


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True for the process that writes checkpoints, summaries, samples and exports."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type == "chief" or (
        task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().jobs
    )


def worker_index(strategy: tf.distribute.Strategy) -> int:
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(resolver.task_id or 0) if resolver is not None else 0


def chief_by_tf_config() -> bool:
    """Whether this process is the chief according to `TF_CONFIG` (before any strategy)."""
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    task_type, index = task.get("type", "worker"), int(task.get("index", 0))
    return task_type == "chief" or (task_type == "worker" and index == 0 and "chief" not in cluster)
