"""The layers' steps for a caching sampler agree with the layers' own calls.

`GatedBlock.vertical_row`, run row by row over its cache, gives every row of the block's
`v_out`, and its link rows together with `GatedBlock.pixel_step_weights`, applied colour
group by colour group to a pixel's inputs, give the block's `h_out` at that pixel.
`PixelOutputHead.pixel_step_weights` gives the head's outputs group by group, and
`MaskedConv2D.dense_weights` is its masked 1×1 kernel as a matrix.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_pixelcnn.layers.gated_block import GatedBlock, gated_activation, shift_down
from tf_pixelcnn.layers.masked_conv2d import MaskedConv2D
from tf_pixelcnn.layers.pixel_output_head import PixelOutputHead

BATCH, HEIGHT, WIDTH, COLOURS = 2, 5, 6, 3
CONDITION_DIM, SPATIAL_CHANNELS = 4, 2


def _randomise(layer, seed):
    """Normal weights everywhere (biases too, so every bias path is tested)."""
    rng = np.random.default_rng(seed)
    for variable in layer.weights:
        variable.assign(0.5 * rng.normal(size=variable.shape).astype(np.float32))


def _block_and_inputs(mask_type, filters, kernel_size, conditional, dtype="float32"):
    in_channels = COLOURS if mask_type == "A" else filters
    block = GatedBlock(
        filters, kernel_size, mask_type=mask_type, num_color_groups=COLOURS,
        condition_dim=CONDITION_DIM if conditional else None,
        spatial_condition_channels=SPATIAL_CHANNELS if conditional else None, dtype=dtype,
    )  # fmt: skip
    shape = (BATCH, HEIGHT, WIDTH, in_channels)
    block.build((shape, shape))
    _randomise(block, seed=kernel_size + filters)
    rng = np.random.default_rng(7)
    h_in = tf.constant(rng.normal(size=shape).astype(np.float32))
    inputs = dict(
        v_in=shift_down(tf.constant(rng.normal(size=shape).astype(np.float32))),
        h_in=h_in,
        condition=(
            tf.constant(rng.normal(size=(BATCH, CONDITION_DIM)).astype(np.float32))
            if conditional else None
        ),
        spatial=(
            tf.constant(rng.normal(size=(BATCH, HEIGHT, WIDTH, SPATIAL_CHANNELS))
                        .astype(np.float32))
            if conditional else None
        ),
    )  # fmt: skip
    return block, inputs


def _call(block, inputs):
    return block(
        (inputs["v_in"], inputs["h_in"]),
        condition=inputs["condition"],
        spatial_condition=inputs["spatial"],
    )


def _rows(block, inputs, dtype=tf.float32):
    """`vertical_row` over every row: the v_out rows and link rows, `[B, H, W, ·]` each."""
    in_channels = inputs["v_in"].shape[-1]
    cache = block.vertical_cache(BATCH, WIDTH, in_channels, dtype)
    v_rows, link_rows = [], []
    for row in range(HEIGHT):
        spatial_row = None if inputs["spatial"] is None else inputs["spatial"][:, row : row + 1]
        cache, v_row, link = block.vertical_row(
            cache, tf.cast(inputs["v_in"][:, row : row + 1], dtype), inputs["condition"],
            spatial_row,
        )  # fmt: skip
        v_rows.append(v_row)
        link_rows.append(link)
    return tf.concat(v_rows, axis=1), tf.concat(link_rows, axis=1)


def _pixel_h_out(block, weights, h_in, link, row, column):
    """h_out at (row, column) from the pixel-step matrices, colour group by group."""
    half = block.receptive_half
    x = h_in[:, row, column]  # (B, in)
    padded = np.pad(h_in[:, row], [[0, 0], [half, 0], [0, 0]])  # zeros left of the image
    window = padded[:, column : column + half].reshape(BATCH, -1)  # (B, half·in), oldest first
    lefts = np.split(
        window @ weights.left.numpy() + link[:, row, column][:, weights.columns],
        np.cumsum(weights.left_sizes)[:-1], axis=1,
    )  # fmt: skip
    output_bias = weights.output_bias.numpy()
    gated, outputs, start = [], [], 0
    for group, (current, output) in enumerate(zip(weights.current, weights.output)):
        pre = lefts[group] + x[:, : current.shape[0]] @ current.numpy()
        gated.append(gated_activation(tf.constant(pre)).numpy())
        end = start + output.shape[1]
        h = np.concatenate(gated, axis=1) @ output.numpy() + output_bias[start:end]
        outputs.append(h + x[:, start:end] if block.residual else h)
        start = end
    return np.concatenate(outputs, axis=1)


@pytest.mark.parametrize(
    "mask_type, filters, kernel_size, conditional",
    [("A", 6, 5, False), ("A", 8, 3, True), ("B", 9, 5, True), ("B", 6, 3, False)],
)
def test_vertical_row_is_a_row_of_the_vertical_stack(mask_type, filters, kernel_size,
                                                      conditional):  # fmt: skip
    block, inputs = _block_and_inputs(mask_type, filters, kernel_size, conditional)
    v_out, _ = _call(block, inputs)
    v_rows, _ = _rows(block, inputs)
    np.testing.assert_allclose(v_rows.numpy(), v_out.numpy(), rtol=1e-5, atol=1e-5)


def test_vertical_row_sees_no_later_row():
    """Changing v_in below row r changes no row ≤ r of `vertical_row`."""
    block, inputs = _block_and_inputs("B", 6, 5, True)
    v_rows, link_rows = _rows(block, inputs)
    changed = dict(inputs, v_in=tf.concat([inputs["v_in"][:, :3], inputs["v_in"][:, 3:] + 1], 1))
    v_changed, link_changed = _rows(block, changed)
    np.testing.assert_array_equal(v_changed[:, :3], v_rows[:, :3])
    np.testing.assert_array_equal(link_changed[:, :3], link_rows[:, :3])
    assert not np.allclose(v_changed[:, 3], v_rows[:, 3])


@pytest.mark.parametrize(
    "mask_type, filters, kernel_size, conditional",
    [("A", 6, 5, False), ("A", 8, 3, True), ("B", 9, 5, True), ("B", 8, 3, False)],
)
def test_pixel_step_weights_give_the_horizontal_output(mask_type, filters, kernel_size,
                                                       conditional):  # fmt: skip
    """From the pixel's input, its left window and the row's link term, the group-by-group
    matrices give `h_out` at every pixel (uneven groups with 8 and 9 filters)."""
    block, inputs = _block_and_inputs(mask_type, filters, kernel_size, conditional)
    _, h_out = _call(block, inputs)
    _, link_rows = _rows(block, inputs)
    in_channels = inputs["h_in"].shape[-1]
    weights = block.pixel_step_weights(in_channels, COLOURS, mask_type == "A", tf.float32)
    assert sorted(weights.columns) == list(range(2 * filters))
    h_in, link = inputs["h_in"].numpy(), link_rows.numpy()
    for row in range(HEIGHT):
        for column in range(WIDTH):
            np.testing.assert_allclose(
                _pixel_h_out(block, weights, h_in, link, row, column),
                h_out[:, row, column].numpy(), rtol=1e-4, atol=1e-4,
            )  # fmt: skip


def test_pixel_step_group_k_ignores_later_groups():
    """Group k of a mask "B" block computed from input groups ≤ k only: `current[k]`
    has rows for those groups alone, so later groups cannot enter."""
    block, _ = _block_and_inputs("B", 9, 3, False)
    weights = block.pixel_step_weights(9, COLOURS, False, tf.float32)
    assert [current.shape[0] for current in weights.current] == [3, 6, 9]
    assert [output.shape for output in weights.output] == [(3, 3), (6, 3), (9, 3)]
    assert weights.left.shape == (block.receptive_half * 9, 18)


def test_mixed_precision_steps_compute_in_the_compute_dtype():
    block, inputs = _block_and_inputs("B", 6, 3, True, dtype="mixed_bfloat16")
    v_out, _ = _call(block, inputs)
    v_rows, link_rows = _rows(block, inputs, dtype=tf.bfloat16)
    assert v_rows.dtype == tf.bfloat16 and link_rows.dtype == tf.bfloat16
    np.testing.assert_allclose(tf.cast(v_rows, tf.float32), tf.cast(v_out, tf.float32),
                               rtol=0.05, atol=0.05)  # fmt: skip
    weights = block.pixel_step_weights(6, COLOURS, False, tf.bfloat16)
    assert weights.left.dtype == tf.bfloat16 and weights.output_bias.dtype == tf.bfloat16
    assert all(current.dtype == tf.bfloat16 for current in weights.current)


@pytest.mark.parametrize("colours, levels, outputs", [(3, 5, 5), (1, 7, 7)])
def test_head_pixel_step_weights_give_the_head_outputs(colours, levels, outputs):
    head = PixelOutputHead(num_levels=levels, num_color_groups=colours, hidden_filters=10)
    head.build((None, None, None, 8))
    _randomise(head, seed=3)
    weights = head.pixel_step_weights(8, colours, outputs)
    assert weights.hidden[0].dtype == tf.float32
    features = np.random.default_rng(4).normal(size=(BATCH, 8)).astype(np.float32)
    full = head(features[:, None, None]).numpy()[:, 0, 0]  # (B, C, L)
    hidden = []
    for group in range(colours):
        top = np.maximum(features[:, : weights.top_ends[group]], 0)
        hidden.append(top @ weights.hidden[group].numpy() + weights.hidden_bias[group].numpy())
        logits = (np.maximum(np.concatenate(hidden, axis=1), 0) @ weights.logits[group].numpy()
                  + weights.logits_bias[group].numpy())  # fmt: skip
        np.testing.assert_allclose(logits, full[:, group], rtol=1e-5, atol=1e-5)


def test_head_pixel_step_weights_follow_a_float32_head_under_mixed_precision():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        head = PixelOutputHead(num_levels=4, num_color_groups=3, hidden_filters=6)
        head.build((None, None, None, 6))
    finally:
        keras.config.set_dtype_policy(previous)
    weights = head.pixel_step_weights(6, 3, 4)
    assert all(matrix.dtype == tf.float32 for matrix in weights.hidden + weights.logits)


def test_dense_weights_are_the_masked_1x1_kernel():
    layer = MaskedConv2D(6, 1, mask_type="B", num_color_groups=3)
    layer.build((None, None, None, 6))
    _randomise(layer, seed=5)
    kernel, bias = layer.dense_weights()
    np.testing.assert_array_equal(kernel, layer.masked_kernel()[0, 0])
    assert np.count_nonzero(kernel.numpy()) == 2 * 2 + 4 * 2 + 6 * 2  # groups ≤ g
    x = np.random.default_rng(6).normal(size=(1, 1, 1, 6)).astype(np.float32)
    np.testing.assert_allclose(x[0, 0] @ kernel.numpy() + bias.numpy(), layer(x)[0, 0],
                               rtol=1e-5, atol=1e-5)  # fmt: skip
    assert layer.dense_weights(tf.bfloat16)[0].dtype == tf.bfloat16


def test_dense_weights_need_a_1x1_layer():
    layer = MaskedConv2D(6, 3, mask_type="B", num_color_groups=3)
    layer.build((None, None, None, 6))
    with pytest.raises(ValueError, match="1×1"):
        layer.dense_weights()
