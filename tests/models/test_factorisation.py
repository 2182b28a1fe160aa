"""The model interface (`models.factorisation`): every model's factors and condition spec,
and consumers (compression, `tpc.sample`, training) that work on a model kind they have
never heard of, through the interface alone."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn import compression
from tf_pixelcnn.compression import header as header_lib
from tf_pixelcnn.distributions.categorical import Categorical
from tf_pixelcnn.distributions.logistic_mixture import LogisticMixture
from tf_pixelcnn.distributions.truncated_logistic_mixture import TruncatedLogisticMixture
from tf_pixelcnn.models import factorisation
from tf_pixelcnn.models.factorisation import ConditionSpec, Factor
from tf_pixelcnn.training import distributed_steps
from tf_pixelcnn.training.run_outputs import sample_images

SMALL = dict(num_layers=1, filters=4, kernel_size=3)


def _images(shape, levels, batch=2, seed=0):
    return np.random.default_rng(seed).integers(0, levels, (batch, *shape)).astype(np.int32)


def _joined_through_factors(model, images):
    """The model's images rebuilt factor by factor from each factor's own values."""
    joined = None
    for factor in model.factors():
        joined = np.asarray(factor.joined(joined, factor.values_of(images)), np.int32)
    return joined


# --- Every model describes itself ---------------------------------------------------------


@pytest.mark.parametrize(
    "arguments, spec",
    [
        ({}, ConditionSpec()),
        ({"num_classes": 3}, ConditionSpec("labels", num_classes=3)),
        ({"condition_dim": 5, "spatial_condition": True}, ConditionSpec("vectors", dim=5)),
        (
            {"condition_image_shape": (2, 2, 1), "condition_image_levels": 3},
            ConditionSpec("image", image_shape=(2, 2, 1), levels=3),
        ),
    ],
)
def test_gated_pixel_cnn_is_one_factor_with_its_condition_spec(arguments, spec):
    model = tpc.GatedPixelCNN((4, 4, 1), num_levels=4, **SMALL, **arguments)
    (factor,) = model.factors()
    assert factor.network is model and factor.name == "image"
    assert factor.pixel_distribution == Categorical(4, 1)
    assert factor.conditions_on == ("condition" if arguments else "nothing")
    assert model.condition_spec == spec
    assert model.side_information_spec is None and model.model_kind == "GatedPixelCNN"
    dtype = {"none": None, "labels": tf.int32, "vectors": tf.float32, "image": tf.int32}
    assert getattr(spec.tensor_spec, "dtype", None) == dtype[spec.kind]


def test_mixture_and_original_pixel_cnn_factors():
    mixture = tpc.GatedPixelCNN((4, 4, 3), num_levels=8, num_mixture_components=2, **SMALL)
    assert mixture.factors()[0].pixel_distribution == LogisticMixture(8, 3, 2)
    original = tpc.PixelCNN((4, 4, 1), num_levels=4, num_layers=1, filters=4, kernel_size=3)
    (factor,) = original.factors()
    assert factor.network is original and original.model_kind == "PixelCNN"
    assert original.condition_spec == factorisation.NO_CONDITION


def test_autoencoder_factor_is_its_decoder_given_its_code():
    model = tpc.PixelCNNAutoencoder((4, 4, 1), bottleneck_dim=3, num_levels=4, **SMALL)
    (factor,) = model.factors()
    assert factor.network is model.decoder and factor.conditions_on == "condition"
    assert not model.condition_spec.is_conditional
    assert model.side_information_spec == ConditionSpec("vectors", dim=3)
    images = _images((4, 4, 1), 4)
    np.testing.assert_array_equal(model.side_information(images), model.encode(images))
    assert model.model_kind == "PixelCNNAutoencoder"


def test_grayscale_factors_truncate_the_colour_mixture():
    model = tpc.GrayscalePixelCNN(
        (4, 4, 3), num_levels=8, grayscale_levels=4, grayscale_num_layers=1,
        grayscale_filters=4, num_mixture_components=2, **SMALL,
    )  # fmt: skip
    grayscale, colour = model.factors()
    assert (grayscale.name, colour.name) == ("grayscale", "colour")
    assert grayscale.network is model.grayscale_model and grayscale.conditions_on == "nothing"
    assert colour.network is model.colour_model and colour.conditions_on == "grayscale"
    assert isinstance(colour.pixel_distribution, TruncatedLogisticMixture)
    assert colour.truncation_levels == 4
    images = _images((4, 4, 3), 8)
    np.testing.assert_array_equal(grayscale.values_of(images), model.auxiliary(images))
    np.testing.assert_array_equal(_joined_through_factors(model, images), images)
    # The random stream: one uniform per grayscale pixel, 1 + C per colour pixel.
    assert model.stream_size == 16 * 1 + 16 * 4 and model.given_stream_size == 16 * 4


@pytest.mark.parametrize("quarters", ["raster", "independent"])
def test_pyramid_factors_are_its_levels_lowest_first(quarters):
    model = tpc.PyramidPixelCNN(
        (8, 8, 1), num_levels=4, num_resolutions=3, base_num_layers=1, base_filters=4,
        num_mixture_components=2, quarters=quarters, **SMALL,
    )  # fmt: skip
    factors = model.factors()
    assert [f.name for f in factors] == ["2x2", "4x4", "8x8"]
    assert [f.network for f in factors] == model.levels
    assert [f.conditions_on for f in factors] == ["nothing", "2x2", "4x4"]
    multiple = 3 if quarters == "independent" else 1
    assert [f.batch_multiple for f in factors] == [1, multiple, multiple]
    assert (factors[2].known_from is None) == (quarters == "independent")
    images = _images((8, 8, 1), 4)
    np.testing.assert_array_equal(_joined_through_factors(model, images), images)
    # 1 + C uniforms per modelled pixel (independent: the new three quarters only).
    assert model.stream_size == (2 * (4 + 16 + 64) if quarters == "raster" else 2 * (4 + 12 + 48))


def test_condition_spec_refuses_a_kind_without_its_fields():
    with pytest.raises(ValueError, match="needs \\['num_classes'\\]"):
        ConditionSpec("labels")
    with pytest.raises(ValueError, match="must be one of"):
        ConditionSpec("text")


# --- A model kind no consumer knows ---------------------------------------------------------


class _Wrapped(keras.Model):
    """Not a subclass of any tf_pixelcnn model: a GatedPixelCNN behind the interface."""

    model_kind = "GatedPixelCNN"
    side_information_spec = None

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
        self.image_shape, self.num_levels = inner.image_shape, inner.num_levels

    def factors(self):
        return (Factor("image", self.inner, self.inner.pixel_distribution, "condition"),)

    @property
    def condition_spec(self):
        return self.inner.condition_spec

    def checked_condition(self, condition):
        return self.inner.checked_condition(condition)

    def check_images(self, images):
        return self.inner.check_images(images)

    def get_config(self):
        return {"wrapped": True}


class _TwoFactor(keras.Model):
    """A new two-factor kind: x̂ = x // 2 unconditionally, then x given x̂."""

    model_kind = "TwoFactorForTests"
    condition_spec = factorisation.NO_CONDITION
    side_information_spec = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.image_shape, self.num_levels = (4, 4, 1), 4
        self.coarse = tpc.GatedPixelCNN((4, 4, 1), num_levels=2, **SMALL)
        self.fine = tpc.GatedPixelCNN(
            (4, 4, 1), num_levels=4, condition_image_shape=(4, 4, 1),
            condition_image_levels=2, **SMALL,
        )  # fmt: skip

    def factors(self):
        return (
            Factor("coarse", self.coarse, self.coarse.pixel_distribution, "nothing",
                   values_of=lambda images: np.asarray(images) // 2),
            Factor("fine", self.fine, self.fine.pixel_distribution, "coarse",
                   condition_from=lambda coarse: coarse),
        )  # fmt: skip

    def check_images(self, images):
        return self.fine.check_images(images)

    def get_config(self):
        return {}


def test_a_wrapper_model_compresses_and_samples_like_its_network():
    inner = tpc.GatedPixelCNN((4, 4, 1), num_levels=4, num_classes=2, **SMALL)
    wrapped = _Wrapped(inner)
    images, labels = _images((4, 4, 1), 4), np.array([0, 1], np.int32)
    data = compression.compress(wrapped, images, labels)
    np.testing.assert_array_equal(compression.decompress(wrapped, data, labels), images)
    # Same coded words as the network itself (the header's config digest names the class).
    body = slice(header_lib.SIZE, None)
    assert data[body] == compression.compress(inner, images, labels)[body]
    np.testing.assert_array_equal(
        tpc.sample(wrapped, condition=labels, seed=(3, 4)),
        tpc.sample(inner, condition=labels, seed=(3, 4)),
    )
    assert distributed_steps.batch_condition(wrapped, {"label": labels}) is labels
    picture = sample_images(wrapped, 2, (1, 2))
    assert picture.images.shape == (2, 4, 4, 1) and picture.columns == 1


def test_a_new_two_factor_kind_round_trips_through_compression(monkeypatch):
    monkeypatch.setattr(header_lib, "MODEL_KINDS", (*header_lib.MODEL_KINDS, "TwoFactorForTests"))
    model = _TwoFactor()
    images = _images((4, 4, 1), 4, seed=5)
    data = compression.compress(model, images)
    np.testing.assert_array_equal(compression.decompress(model, data), images)
    # Training sees its factors by name, and trains one of them alone.
    assert distributed_steps.check_factors(model, ["fine"]) == ("fine",)
    variables = distributed_steps.trained_variables(model, ("fine",))
    assert [id(v) for v in variables] == [id(v) for v in model.fine.trainable_variables]
    with pytest.raises(ValueError, match="has \\['coarse', 'fine'\\]"):
        distributed_steps.check_factors(model, ["medium"])
