"""`output_filters`: the default width, the stacks' width, and configs saved before it."""

import json
import re

import numpy as np
import pytest

import tf_pixelcnn as tpc
from tests import test_case
from tf_pixelcnn.compression import header
from tf_pixelcnn.models import head_width


@pytest.mark.parametrize(
    "filters, outputs, width",
    [(32, 768, 256), (64, 768, 256), (384, 768, 384), (8, 12, 12), (128, 2, 128), (32, 4096, 256)],
)
def test_default_width(filters, outputs, width):
    assert head_width.default_head_width(filters, outputs) == width


@pytest.mark.parametrize("value", [True, 12.0, "wide", [12]])
def test_anything_but_an_int_none_or_the_stack_width_is_refused(value):
    with pytest.raises(ValueError, match=re.escape(f"Received: output_filters={value!r}.")):
        head_width.check_output_filters(value, channels=3)


def test_a_numpy_int_is_kept_as_a_python_int():
    model = tpc.GatedPixelCNN((4, 4, 3), num_layers=1, filters=6, output_filters=np.int64(12))
    assert model.output_filters == 12 and type(model.output_filters) is int
    json.dumps(model.get_config())  # serialisable
    with pytest.raises(ValueError, match="Received: output_filters=np.True_"):
        head_width.check_output_filters(np.bool_(True), channels=3)


def _legacy_config(model):
    """`model`'s config as code from before `output_filters` wrote it (no entry)."""
    config = model.get_config()
    assert "output_filters" not in config
    return config


@pytest.mark.parametrize(
    "build",
    [
        lambda **kw: tpc.GatedPixelCNN((4, 4, 3), num_layers=1, filters=6, num_levels=8, **kw),
        lambda **kw: tpc.PixelCNN((4, 4, 3), num_layers=2, filters=6, num_levels=8, **kw),
        lambda **kw: tpc.PixelCNNAutoencoder(
            (8, 8, 3), bottleneck_dim=2, num_layers=1, filters=6, kernel_size=3,
            num_levels=8, encoder_filters=2, **kw,
        ),
    ],
)  # fmt: skip
def test_a_config_without_the_entry_loads_with_the_stacks_width_and_keeps_its_digest(build):
    stack = build(output_filters="filters")
    config = _legacy_config(stack)
    loaded = type(stack).from_config(json.loads(json.dumps(config)))
    assert loaded.get_config() == config
    assert header.config_digest(loaded) == header.config_digest(stack)
    decoder = getattr(loaded, "decoder", loaded)
    assert decoder.output_head.hidden_filters == 6
    default = build()  # today's default: 3 × 8 logits per pixel
    assert getattr(default, "decoder", default).output_head.hidden_filters == 24
    assert default.get_config()["output_filters"] == 24


def test_a_code_prior_saved_with_none_keeps_its_width_and_digest():
    """`CodePixelCNN` always wrote the entry: None meant the stacks' width."""
    kwargs = dict(grid_shape=(3, 3), num_codes=40, embedding_dim=4, num_layers=1, filters=8)
    stack = tpc.CodePixelCNN(**kwargs, output_filters="filters")
    config = stack.get_config()
    assert config["output_filters"] is None and stack.head_width == 8
    loaded = tpc.CodePixelCNN.from_config(json.loads(json.dumps(config)))
    assert loaded.head_width == 8 and loaded.get_config() == config
    assert header.config_digest(loaded) == header.config_digest(stack)
    assert tpc.CodePixelCNN(**kwargs).head_width == 40


def test_auxiliary_models_write_none_for_each_factors_default():
    kwargs = dict(
        num_levels=8, grayscale_levels=4, num_layers=1, filters=3, grayscale_num_layers=1,
        grayscale_filters=2, kernel_size=3, num_mixture_components=2, condition_filters=2,
    )  # fmt: skip
    model = tpc.GrayscalePixelCNN((4, 4, 3), **kwargs)
    assert model.get_config()["output_filters"] is None
    # The colour factor: a 2-logistic mixture over RGB (20 parameters); the grayscale
    # factor: 4 levels of one channel (as wide as its stacks, 2, would be fewer).
    assert model.colour_model.head_width == 20
    assert model.grayscale_model.head_width == 4
    loaded = test_case.keras_round_trip(model)
    assert loaded.colour_model.head_width == 20 and loaded.grayscale_model.head_width == 4
    images = np.random.default_rng(0).integers(0, 8, (2, 4, 4, 3)).astype(np.int32)
    np.testing.assert_allclose(loaded.log_prob(images), model.log_prob(images), rtol=1e-6)
