"""The per-group matrices hold every weight the masks allow: for any input, the columns of
colour group k computed from groups ≤ k equal those of the full masked matrices."""

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.sampling import pixel_step_weights


def test_group_bounds_are_the_mask_groups():
    assert pixel_step_weights.group_bounds(8, 3) == [(0, 3), (3, 6), (6, 8)]
    assert pixel_step_weights.group_bounds(3, 3) == [(0, 1), (1, 2), (2, 3)]
    assert pixel_step_weights.group_bounds(5, 1) == [(0, 5)]


def _model(num_layers=3, filters=8):
    model = tpc.GatedPixelCNN((4, 4, 3), num_layers=num_layers, filters=filters, kernel_size=3,
                              num_levels=5)  # fmt: skip
    model.build()
    rng = np.random.default_rng(0)
    for variable in model.weights:
        variable.assign(rng.normal(size=variable.shape).astype(np.float32))
    return model


@pytest.mark.parametrize("filters", [8, 9])
def test_layer_matrices_equal_the_masked_kernels(filters):
    model = _model(filters=filters)
    rng = np.random.default_rng(1)
    for index, block in enumerate(model.blocks):
        in_channels = 3 if index == 0 else filters
        weights = pixel_step_weights.layer_weights(block, in_channels, 3, index == 0, tf.float32)
        kernel = block.horizontal_conv.masked_kernel()[0]  # (half + 1, in, 2p)
        x = rng.normal(size=(2, in_channels)).astype(np.float32)
        full = (x @ kernel[-1].numpy())[:, weights.columns]  # group-by-group columns
        per_group = np.split(full, np.cumsum(weights.left_sizes)[:-1], axis=1)
        for group, current in enumerate(weights.current):
            np.testing.assert_allclose(x[:, : current.shape[0]] @ current, per_group[group],
                                       rtol=1e-5, atol=1e-5)  # fmt: skip
        output_kernel, _ = pixel_step_weights.dense_weights(block.horizontal_output, tf.float32)
        gated = rng.normal(size=(2, filters)).astype(np.float32)
        full_output = gated @ output_kernel.numpy()
        bounds = pixel_step_weights.group_bounds(filters, 3)
        for (start, end), output in zip(bounds, weights.output):
            np.testing.assert_allclose(gated[:, : output.shape[0]] @ output,
                                       full_output[:, start:end], rtol=1e-5, atol=1e-5)  # fmt: skip
        left = kernel[:-1].numpy().reshape(-1, 2 * filters)[:, weights.columns]
        np.testing.assert_array_equal(weights.left, left)


def test_head_matrices_equal_the_masked_head():
    model = _model()
    head = pixel_step_weights.head_weights(model.output_head, 8, 3, 5)
    hidden_kernel, hidden_bias = pixel_step_weights.dense_weights(model.output_head.hidden,
                                                                  tf.float32)  # fmt: skip
    logits_kernel, logits_bias = pixel_step_weights.dense_weights(model.output_head.logits,
                                                                  tf.float32)  # fmt: skip
    rng = np.random.default_rng(2)
    top = rng.normal(size=(2, 8)).astype(np.float32)
    hidden = top @ hidden_kernel.numpy() + hidden_bias.numpy()
    logits = np.maximum(hidden, 0) @ logits_kernel.numpy() + logits_bias.numpy()
    parts = []
    for group in range(3):
        rows = head.top_ends[group]
        parts.append(top[:, :rows] @ head.hidden[group] + head.hidden_bias[group])
        joined = np.concatenate(parts, axis=1)
        group_logits = np.maximum(joined, 0) @ head.logits[group] + head.logits_bias[group]
        np.testing.assert_allclose(group_logits, logits[:, group * 5 : (group + 1) * 5],
                                   rtol=1e-5, atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(np.concatenate(parts, axis=1), hidden, rtol=1e-5, atol=1e-5)
