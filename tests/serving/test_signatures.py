"""The request checks every signature runs before the model (`signatures.checked_inputs`,
`served_endpoint`), in process: what each refuses, in which order, and batch 0."""

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.serving import signatures

IMAGES = tf.TensorSpec([None, 4, 5, 3], tf.uint8, name="images")
CONDITION = tf.TensorSpec([None, 2], tf.float32, name="condition")
SPECS = [IMAGES, signatures.seed_spec(), CONDITION]


def _request(batch=2, **changes):
    inputs = {
        "images": np.zeros((batch, 4, 5, 3), np.uint8),
        "seed": np.zeros((batch, 2), np.int32),
        "condition": np.zeros((batch, 2), np.float32),
    }
    return {**inputs, **changes}


@pytest.mark.parametrize(
    "shape, expected",
    [((2, 4, 5, 3), True), ((0, 4, 5, 3), True), ((2, 4, 5), False), ((2, 4, 5, 3, 1), False),
     ((2, 8, 5, 3), False), ((2, 4, 10, 3), False), ((), False), ((4, 5, 3), False)],
)  # fmt: skip
def test_has_shape_checks_rank_and_every_known_size(shape, expected):
    tensor = tf.zeros(shape, tf.uint8)
    assert bool(signatures.has_shape(tensor, (None, 4, 5, 3))) is expected


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"images": np.zeros((2, 4, 5), np.uint8)},
         r"images must be uint8 \[batch, 4, 5, 3\]; received shape\] \[2 4 5\]"),
        ({"images": np.zeros((2, 16, 16, 3), np.uint8)},
         r"images must be uint8 \[batch, 4, 5, 3\]; received shape\] \[2 16 16 3\]"),
        ({"seed": np.zeros((2,), np.int32)},
         r"seed must be int32 \[batch, 2\]; received shape\] \[2\]"),
        ({"seed": np.zeros((2, 2, 1), np.int32)},
         r"seed must be int32 \[batch, 2\]; received shape\] \[2 2 1\]"),
        ({"condition": np.zeros((3, 2), np.float32)},
         r"one batch size; received images batch\] \[2\] \[and condition batch\] \[3\]"),
        ({"condition": np.array([[0, np.nan], [np.inf, 1]], np.float32)},
         r"condition must be finite \(no NaN or infinity\); received\] \[2\] \[non-finite"),
        # Two problems: the first input's is reported (the checks run in order).
        ({"images": np.zeros((2, 4, 5), np.uint8), "seed": np.zeros((2,), np.int32)},
         r"images must be uint8"),
    ],
)  # fmt: skip
def test_checked_inputs_refuse_with_a_message_naming_the_input(changes, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        _checked_in_a_graph(_request(**changes))


def _checked_in_a_graph(request, max_batch=4):
    """`checked_inputs` traced with no static sizes, as a served signature runs it."""
    names = list(request)
    relaxed = [tf.TensorSpec([None] * np.ndim(request[n]), tf.as_dtype(request[n].dtype))
               for n in names]  # fmt: skip

    @tf.function(input_signature=relaxed)
    def check(*tensors):
        return signatures.checked_inputs(dict(zip(names, tensors)), SPECS, max_batch)

    return check(*request.values())


def test_checked_inputs_pass_good_requests_and_bound_the_batch():
    checked = _checked_in_a_graph(_request(batch=4))
    assert sorted(checked) == ["condition", "images", "seed"]
    assert checked["images"].shape == (4, 4, 5, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"at most max_batch=4.*\[5\]"):
        _checked_in_a_graph(_request(batch=5))
    with pytest.raises(tf.errors.InvalidArgumentError, match="images must be uint8"):
        signatures.checked_inputs(_request(images=np.zeros((2, 4, 5))), SPECS, 4)  # eager


def test_batch_zero_returns_empty_outputs_without_running_the_model():
    model = tpc.GatedPixelCNN((4, 5, 3), num_layers=1, filters=4, kernel_size=3, num_levels=7,
                              condition_dim=2)  # fmt: skip
    log_prob, specs = signatures.density_endpoints(model, max_batch=4)["log_prob"]
    assert [s.name for s in specs] == ["images", "condition"]
    images, condition = np.zeros((3, 4, 5, 3), np.uint8), np.zeros((3, 2), np.float32)
    outputs = log_prob(images[:0], condition[:0])
    assert {k: tuple(v.shape) for k, v in outputs.items()} == {
        "log_prob": (0,), "bits_per_dim": (0,), "pixel_log_prob": (0, 4, 5, 3)
    }  # fmt: skip
    full = log_prob(images, condition)
    expected = model.log_prob(images.astype(np.int32), condition=condition)
    np.testing.assert_allclose(full["log_prob"], expected, rtol=1e-5)
