"""`SamplerFunction`: the single-threaded executor on CPU gives the default executor's images
(graph optimisations may differ: logits agree to float32 rounding)."""

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.sampler_function import SamplerFunction


@pytest.mark.parametrize("mixture", [False, True])
def test_same_images_and_logits_as_the_default_executor(mixture):
    model = tpc.GatedPixelCNN(
        (5, 4, 3), num_layers=3, filters=6, kernel_size=3, num_levels=16, num_classes=3,
        num_mixture_components=2 if mixture else None,
    )  # fmt: skip
    sharpen_output(model, scale=2.0)
    condition = np.array([0, 2, 1, 1], np.int32)
    uniform = random_stream.uniform_noise(
        random_stream.per_image_seeds((3, 1), 4), (5, 4, 4 if mixture else 3)
    )

    def draw(u):
        return cached_sample(model, u, condition, return_logits=True)

    single_threaded = SamplerFunction(draw, single_threaded=True)
    default = SamplerFunction(draw, single_threaded=False)
    images, logits = single_threaded(uniform)
    expected_images, expected_logits = default(uniform)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_allclose(logits, expected_logits, rtol=1e-5, atol=1e-5)
    assert single_threaded.experimental_get_tracing_count() == 1


def test_the_loops_are_not_lowered_under_the_single_threaded_executor():
    """The executor cannot run Switch/Merge: the while loops must stay functional ops."""
    model = tpc.GatedPixelCNN((3, 3, 1), num_layers=1, filters=2, kernel_size=3, num_levels=4)
    model.build()
    function = SamplerFunction(lambda u: cached_sample(model, u), single_threaded=True)
    uniform = random_stream.uniform_noise(random_stream.per_image_seeds((0, 0), 1), (3, 3, 1))
    function(uniform)
    graph = function.function.get_concrete_function(uniform).graph
    whiles = [op for op in graph.get_operations() if op.type in ("While", "StatelessWhile")]
    assert whiles
    for op in whiles:
        assert not op.node_def.attr["_lower_using_switch_merge"].b


def test_chosen_on_cpu_without_xla_only():
    function = SamplerFunction(lambda x: x + 1)
    assert function.single_threaded == (not tf.config.list_physical_devices("GPU"))
    assert not SamplerFunction(lambda x: x + 1, jit_compile=True).single_threaded


def test_errors_of_the_graph_reach_the_caller():
    model = tpc.GatedPixelCNN(
        (3, 3, 1), num_layers=1, filters=2, kernel_size=3, num_levels=4, num_classes=2
    )
    model.build()
    function = SamplerFunction(lambda u, c: cached_sample(model, u, c), single_threaded=True)
    uniform = random_stream.uniform_noise(random_stream.per_image_seeds((0, 0), 1), (3, 3, 1))
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_classes=2"):
        function(uniform, tf.constant([5], tf.int32))


def test_batch_one_of_a_wide_model_runs_in_the_default_executor():
    function = SamplerFunction(lambda x: x + 1, single_threaded=None, filters=128)
    if not function.single_threaded:
        pytest.skip("a GPU is visible: the default executor everywhere")
    assert not function.uses_single_threaded(tf.zeros([1, 3]))
    assert function.uses_single_threaded(tf.zeros([2, 3]))
    assert SamplerFunction(lambda x: x, filters=64).uses_single_threaded(tf.zeros([1, 3]))
    forced = SamplerFunction(lambda x: x, single_threaded=True, filters=128)
    assert forced.uses_single_threaded(tf.zeros([1, 3]))
    np.testing.assert_array_equal(function(tf.zeros([1, 3])), np.ones([1, 3]))
    np.testing.assert_array_equal(function(tf.zeros([2, 3])), np.ones([2, 3]))
    assert function.experimental_get_tracing_count() == 2  # one per executor


def test_with_one_intra_op_thread_the_single_threaded_executor_always(monkeypatch):
    from tf_pixelcnn.sampling import sampler_function

    assert not sampler_function.single_threaded_is_faster(1, 128) or (
        tf.config.threading.get_intra_op_parallelism_threads() == 1
    )
    monkeypatch.setattr(tf.config.threading, "get_intra_op_parallelism_threads", lambda: 1)
    assert sampler_function.single_threaded_is_faster(1, 128)
    assert sampler_function.single_threaded_is_faster(4, 256)
