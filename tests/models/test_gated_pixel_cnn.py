"""GatedPixelCNN: the shared suite in every conditioning mode, and paper-scale shapes."""

import numpy as np
import pytest

from tests.models.test_autoregressive_image_model import AutoregressiveModelSuite
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN


class TestClassConditionalGatedPixelCNN(AutoregressiveModelSuite):
    conditioning = "class"


class TestVectorConditionalGatedPixelCNN(AutoregressiveModelSuite):
    conditioning = "vector"


class TestSpatiallyConditionedGatedPixelCNN(AutoregressiveModelSuite):
    conditioning = "spatial"


class TestGatedPixelCNNWideFirstLayerAndHead(AutoregressiveModelSuite):
    """Causality, normalisation and round trips with a 7×7 first block (wider than the
    suite's kernels, one size narrower too) and a head wider than the stacks."""

    model_kwargs = {"first_kernel_size": 7, "output_filters": 20}


class TestClassConditionalGatedPixelCNNNarrowHead(AutoregressiveModelSuite):
    conditioning = "class"
    model_kwargs = {"first_kernel_size": 3, "output_filters": 3}


def test_head_options_set_the_layers_and_stay_out_of_a_stack_width_config():
    model = GatedPixelCNN((6, 6, 3), num_layers=2, filters=6, kernel_size=3,
                          first_kernel_size=5, output_filters=24, num_levels=4)  # fmt: skip
    assert [block.kernel_size for block in model.blocks] == [5, 3]
    assert model.output_head.hidden_filters == 24
    assert model.output_head.hidden.kernel.shape == (1, 1, 6, 24)
    config = model.get_config()
    assert (config["first_kernel_size"], config["output_filters"]) == (5, 24)
    stack = GatedPixelCNN((6, 6, 3), num_layers=2, filters=6, kernel_size=3, num_levels=4,
                          output_filters="filters")  # fmt: skip
    assert stack.output_head.hidden_filters == stack.head_width == 6
    assert "output_filters" not in stack.get_config()  # the config of older files
    assert "first_kernel_size" not in stack.get_config()
    assert GatedPixelCNN.from_config(stack.get_config()).head_width == 6


@pytest.mark.parametrize(
    "kwargs, width",
    [
        ({"filters": 32}, 256),  # 3 × 256 logits per pixel: capped at 256
        ({"filters": 384}, 384),  # the paper's stacks: as wide as they are
        ({"filters": 8, "num_levels": 4}, 12),  # 3 × 4 logits
        ({"filters": 8, "num_levels": 2, "image_shape": (6, 6, 1)}, 8),  # binary: filters
        ({"filters": 32, "num_mixture_components": 5}, 50),  # 10 × 5 mixture parameters
    ],
)
def test_default_head_width_follows_the_outputs_per_pixel(kwargs, width):
    """None: `max(filters, min(256, outputs per pixel))`, saved as the int it resolved to
    (a later change of the rule cannot change a saved model)."""
    kwargs = {"image_shape": (6, 6, 3), "num_layers": 1, "kernel_size": 3, **kwargs}
    model = GatedPixelCNN(**kwargs)
    assert model.head_width == model.output_head.hidden_filters == width
    assert model.get_config()["output_filters"] == width


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"first_kernel_size": 4}, "kernel_size=4"),
        ({"output_filters": 2}, "output_filters=2, channels=3"),
        ({"output_filters": "wide"}, "Received: output_filters='wide'"),
        ({"output_filters": 64.0}, "Received: output_filters=64.0"),
    ],
)
def test_bad_head_options_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GatedPixelCNN((8, 8, 3), num_layers=2, filters=6, **kwargs)


@pytest.mark.parametrize("num_levels", [2, 16, 256])
def test_any_image_size_and_number_of_levels(num_levels):
    model = GatedPixelCNN((5, 7, 3), num_layers=2, filters=6, kernel_size=5, num_levels=num_levels)
    images = np.full((2, 5, 7, 3), num_levels - 1, np.int32)
    assert model(images).shape == (2, 5, 7, 3, num_levels)
    assert model.log_prob(images.astype(np.uint8)).shape == (2,)


def test_condition_changes_the_logits():
    model = GatedPixelCNN(
        (4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_classes=3, num_levels=4
    )
    images = np.zeros((2, 4, 4, 1), np.int32)
    logits = model(images, condition=np.array([0, 1])).numpy()
    assert np.abs(logits[0] - logits[1]).max() > 1e-4


def test_cifar_size_model_has_the_expected_parameter_count():
    model = GatedPixelCNN((32, 32, 3), num_layers=15, filters=128, kernel_size=5)
    model.build()
    p, n = 128, 5
    block = (
        (n // 2 + 1) * n * p * 2 * p
        + 2 * p  # vertical conv + bias
        + (n // 2 + 1) * p * 2 * p
        + 2 * p  # horizontal conv + bias
        + 2 * p * 2 * p  # vertical -> horizontal link
        + p * p
        + p  # horizontal output 1x1
    )
    first = block - (n // 2 + 1) * n * (p - 3) * 2 * p - (n // 2 + 1) * (p - 3) * 2 * p
    w = 256  # the default head width: min(256, 3 × 256 logits)
    head = p * w + w + w * 3 * 256 + 3 * 256
    assert model.count_params() == first + 14 * block + head
