import json

import pytest
import tensorflow as tf

from tf_pixelcnn.training import strategies


def test_default_strategy_is_the_chief():
    strategy = strategies.make_strategy("default")
    assert strategy.num_replicas_in_sync == 1
    assert strategies.is_chief(strategy) and strategies.worker_index(strategy) == 0


def test_unknown_strategy_and_missing_tf_config_are_named(monkeypatch):
    with pytest.raises(ValueError, match="Received: strategy='tpu'"):
        strategies.make_strategy("tpu")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG environment variable, which is not set"):
        strategies.make_strategy("multi_worker")


@pytest.mark.parametrize(
    "tf_config, chief",
    [
        (None, True),
        ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}, True),
        ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}, False),
        (
            {"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}},
            False,
        ),
        ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}, True),
    ],
)  # fmt: skip
def test_chief_by_tf_config(monkeypatch, tf_config, chief):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    assert strategies.chief_by_tf_config() == chief


def test_mirrored_without_gpus_is_one_cpu_replica():
    assert not tf.config.list_physical_devices("GPU")
    assert strategies.make_strategy("mirrored").num_replicas_in_sync == 1
