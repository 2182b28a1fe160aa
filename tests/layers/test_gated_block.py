import numpy as np
import pytest
import tensorflow as tf

from tests import test_case
from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.gated_block import GatedBlock
from tf_pixelcnn.layers.gated_block import gated_activation
from tf_pixelcnn.layers.gated_block import shift_down

HEIGHT, WIDTH, FILTERS = 5, 6, 6


def block_and_inputs(kernel_size, mask_type, groups, conditional=None, skip=False):
    in_channels = groups if mask_type == "A" else FILTERS
    block = GatedBlock(
        FILTERS,
        kernel_size,
        mask_type=mask_type,
        num_color_groups=groups,
        condition_dim=4 if conditional == "global" else None,
        spatial_condition_channels=2 if conditional == "spatial" else None,
        skip_connection=skip,
    )
    rng = np.random.default_rng(0)
    v_in = rng.normal(size=(2, HEIGHT, WIDTH, in_channels)).astype(np.float32)
    h_in = rng.normal(size=(2, HEIGHT, WIDTH, in_channels)).astype(np.float32)
    kwargs = {}
    if conditional == "global":
        kwargs["condition"] = rng.normal(size=(2, 4)).astype(np.float32)
    if conditional == "spatial":
        kwargs["spatial_condition"] = rng.normal(size=(2, HEIGHT, WIDTH, 2)).astype(np.float32)
    return block, v_in, h_in, kwargs


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
@pytest.mark.parametrize("mask_type", ["A", "B"])
@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("conditional", [None, "global", "spatial"])
def test_stacks_see_exactly_their_receptive_fields(kernel_size, mask_type, groups, conditional):
    half = kernel_size // 2
    block, v_in, h_in, kwargs = block_and_inputs(
        kernel_size, mask_type, groups, conditional, skip=True
    )
    outputs = {name: index for index, name in enumerate(["v_out", "h_out", "skip"])}

    def wrt_v(name):
        return test_case.dependency(lambda v: block((v, h_in), **kwargs)[outputs[name]], v_in)

    def wrt_h(name):
        return test_case.dependency(lambda h: block((v_in, h), **kwargs)[outputs[name]], h_in)

    # The vertical stack: rows r - half .. r, columns within half; never the horizontal one.
    depends = wrt_v("v_out")
    for i, j, a, b in np.ndindex(HEIGHT, WIDTH, HEIGHT, WIDTH):
        seen = i - half <= a <= i and abs(j - b) <= half
        assert depends[i, j, :, a, b, :].all() == seen and depends[i, j, :, a, b, :].any() == seen
    assert not wrt_h("v_out").any()

    in_groups = masks.channel_groups(h_in.shape[-1], groups)
    out_groups = masks.channel_groups(FILTERS, groups)
    current = (
        in_groups[None, :] < out_groups[:, None]
        if mask_type == "A"
        else in_groups[None, :] <= out_groups[:, None]
    )
    for name in ("h_out", "skip"):
        # Horizontal outputs see the vertical input (already one row behind the image)...
        depends = wrt_v(name)
        for i, j, a, b in np.ndindex(HEIGHT, WIDTH, HEIGHT, WIDTH):
            seen = i - half <= a <= i and abs(j - b) <= half
            assert depends[i, j, :, a, b, :].all() == seen, (name, i, j, a, b)
            assert depends[i, j, :, a, b, :].any() == seen, (name, i, j, a, b)
        # ...and the horizontal input to the left, plus earlier colour groups of the pixel.
        depends = wrt_h(name)
        for i, j, a, b in np.ndindex(HEIGHT, WIDTH, HEIGHT, WIDTH):
            if (a, b) == (i, j):
                np.testing.assert_array_equal(depends[i, j, :, a, b, :], current)
            else:
                seen = a == i and j - half <= b < j
                assert depends[i, j, :, a, b, :].all() == seen
                assert depends[i, j, :, a, b, :].any() == seen


def test_residual_only_with_mask_b():
    block_a, v, h, _ = block_and_inputs(3, "A", 3)
    block_a((v, h))
    assert not block_a.residual
    block_b, v, h, _ = block_and_inputs(3, "B", 3)
    block_b((v, h))
    block_b.horizontal_output.kernel.assign(tf.zeros_like(block_b.horizontal_output.kernel))
    np.testing.assert_allclose(block_b((v, h))[1], h, atol=1e-6)  # h_out = h_in + 0


def test_mask_b_needs_matching_horizontal_width():
    block = GatedBlock(6, 3, mask_type="B", num_color_groups=3)
    with pytest.raises(ValueError, match=r"filters=6.*Received: h_in shape=\(None, 4, 4, 3\)"):
        block.build(((None, 4, 4, 3), (None, 4, 4, 3)))


def test_gate_and_shift():
    x = np.array([[0.3, -1.0, 2.0, 0.5]], np.float32)
    np.testing.assert_allclose(
        gated_activation(x), np.tanh(x[:, :2]) / (1 + np.exp(-x[:, 2:])), rtol=1e-6
    )
    image = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    shifted = shift_down(image).numpy()
    np.testing.assert_array_equal(shifted[0, 0], 0)
    np.testing.assert_array_equal(shifted[0, 1:], image[0, :2])


@pytest.mark.parametrize("conditional", [None, "global", "spatial"])
def test_config_round_trip(conditional):
    block, v, h, kwargs = block_and_inputs(5, "B", 3, conditional, skip=True)
    test_case.assert_layer_config_round_trip(block, (v, h), **kwargs)


def test_dropout_only_in_training_on_the_horizontal_update():
    block, v, h, _ = block_and_inputs(3, "B", 3, skip=True)
    dropping = GatedBlock(FILTERS, 3, num_color_groups=3, skip_connection=True, dropout_rate=0.5)
    block((v, h))
    dropping((v, h))
    dropping.set_weights(block.get_weights())  # dropout adds no weights
    expected = block((v, h))
    for actual in (dropping((v, h)), dropping((v, h), training=False)):
        tf.nest.map_structure(np.testing.assert_array_equal, actual, expected)
    first, second = dropping((v, h), training=True), dropping((v, h), training=True)
    np.testing.assert_array_equal(first[0], expected[0])  # the vertical stack is not dropped
    assert not np.allclose(first[1], expected[1]) and not np.allclose(first[1], second[1])
    assert not np.allclose(first[2], expected[2])  # nor is the skip output's input


def test_dropout_config_round_trip_and_rate_check():
    block, v, h, _ = block_and_inputs(3, "B", 1)
    dropping = GatedBlock(FILTERS, 3, dropout_rate=0.25)
    test_case.assert_layer_config_round_trip(dropping, (v, h))
    assert dropping.get_config()["dropout_rate"] == 0.25
    with pytest.raises(ValueError, match=r"Received: dropout_rate=1.0"):
        GatedBlock(FILTERS, 3, dropout_rate=1.0)
