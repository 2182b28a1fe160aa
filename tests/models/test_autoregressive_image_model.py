"""The suite every autoregressive image model passes; model files subclass it."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from tests import test_case
from tf_pixelcnn.distributions import categorical
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN

NUM_CLASSES, CONDITION_DIM = 3, 4


class AutoregressiveModelSuite:
    """Causality, normalisation, round trips and input checks for one model class."""

    model_class = GatedPixelCNN
    conditioning = None  # None, "class", "vector" or "spatial"
    has_full_receptive_field = True
    model_kwargs = {}  # e.g. first_kernel_size, output_filters: the suite for those options

    def make_model(self, image_shape, num_levels=4, kernel_size=3, num_layers=4, filters=6):
        kwargs = dict(self.model_kwargs)
        if self.conditioning == "class":
            kwargs["num_classes"] = NUM_CLASSES
        elif self.conditioning in ("vector", "spatial"):
            kwargs["condition_dim"] = CONDITION_DIM
            kwargs["spatial_condition"] = self.conditioning == "spatial"
        return self.model_class(
            image_shape=image_shape,
            num_layers=num_layers,
            filters=filters,
            kernel_size=kernel_size,
            num_levels=num_levels,
            **kwargs,
        )

    def make_condition(self, batch, seed=0):
        rng = np.random.default_rng(seed)
        if self.conditioning == "class":
            return rng.integers(0, NUM_CLASSES, batch).astype(np.int32)
        if self.conditioning in ("vector", "spatial"):
            return rng.normal(size=(batch, CONDITION_DIM)).astype(np.float32)
        return None

    def random_images(self, model, batch, seed=0):
        shape = (batch, *model.image_shape)
        return np.random.default_rng(seed).integers(0, model.num_levels, shape).astype(np.int32)

    # --- DESIGN.md check 1 --------------------------------------------------------------

    @pytest.mark.parametrize("kernel_size", [3, 5, 7])
    @pytest.mark.parametrize("channels", [1, 3])
    def test_causal(self, kernel_size, channels):
        image_shape = (4, 4, channels)
        model = self.make_model(image_shape, kernel_size=kernel_size, filters=12)
        test_case.assert_causal(
            model,
            image_shape,
            condition=self.make_condition(8),
            full_receptive_field=self.has_full_receptive_field,
            batch=8,  # the head's ReLUs can hide a dependency in a few random inputs
        )

    def test_causal_end_to_end_on_integer_images(self):
        """Changing a sub-pixel changes no logits at or before it (integer input path)."""
        model = self.make_model((3, 3, 3), num_levels=8)
        images = self.random_images(model, 2)
        condition = self.make_condition(2)
        logits = model(images, condition=condition).numpy()
        for i, j, c in [(0, 0, 0), (1, 1, 1), (2, 0, 2), (1, 2, 0)]:
            changed = images.copy()
            changed[:, i, j, c] = (changed[:, i, j, c] + 3) % model.num_levels
            new_logits = model(changed, condition=condition).numpy()
            order = test_case.raster_order_index(3, 3, 3)
            not_later = order <= order[i, j, c]
            np.testing.assert_array_equal(new_logits[:, not_later], logits[:, not_later])

    # --- DESIGN.md check 2 --------------------------------------------------------------

    @pytest.mark.parametrize("image_shape", [(2, 2, 1), (1, 2, 3)])
    def test_normalised_by_enumeration(self, image_shape):
        num_levels = 4
        model = self.make_model(image_shape, num_levels=num_levels, kernel_size=3, num_layers=2)
        sharpen_output(model)
        every_image = np.array(
            list(itertools.product(range(num_levels), repeat=int(np.prod(image_shape)))),
            np.int32,
        ).reshape(-1, *image_shape)
        condition = self.make_condition(1)
        if condition is not None:
            condition = np.repeat(condition, len(every_image), axis=0)
        log_prob = model.log_prob(every_image, condition=condition).numpy().astype(np.float64)
        assert np.exp(log_prob).max() > 2.0 / len(every_image)  # not trivially uniform
        np.testing.assert_allclose(np.exp(log_prob).sum(), 1.0, rtol=1e-4)

    def test_log_prob_is_the_sum_of_sub_pixel_log_softmax(self):
        model = self.make_model((3, 2, 3), num_levels=5)
        images = self.random_images(model, 2)
        condition = self.make_condition(2)
        logits = model(images, condition=condition).numpy().astype(np.float64)
        log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        expected = np.take_along_axis(log_softmax, images[..., None], -1).sum(axis=(1, 2, 3, 4))
        np.testing.assert_allclose(model.log_prob(images, condition=condition), expected, rtol=1e-5)
        bits = categorical.bits_per_dim(expected, model.image_shape)
        np.testing.assert_allclose(bits, -expected / (18 * np.log(2)), rtol=1e-6)

    # --- Serialization ------------------------------------------------------------------

    def test_config_and_keras_file_round_trips(self):
        model = self.make_model((4, 3, 3), num_levels=6)
        images = self.random_images(model, 2)
        condition = self.make_condition(2)
        expected = model(images, condition=condition).numpy()

        clone = self.model_class.from_config(model.get_config())
        clone.build()
        clone.set_weights(model.get_weights())
        np.testing.assert_array_equal(clone(images, condition=condition), expected)

        loaded = test_case.keras_round_trip(model)
        assert type(loaded) is self.model_class
        assert loaded.get_config() == model.get_config()
        np.testing.assert_array_equal(loaded(images, condition=condition), expected)

    # --- Bad input ----------------------------------------------------------------------

    def test_bad_images_are_named(self):
        model = self.make_model((4, 4, 3), num_levels=6)
        condition = self.make_condition(2)
        with pytest.raises(ValueError, match=r"Received: shape=\(4, 4, 3\)"):
            model(np.zeros((4, 4, 3), np.int32), condition=condition)
        with pytest.raises(ValueError, match=r"channels must be 3.*Received: shape=\(2, 4, 4, 1\)"):
            model(np.zeros((2, 4, 4, 1), np.int32), condition=condition)
        with pytest.raises(ValueError, match=r"height must be 4.*Received: shape=\(2, 5, 4, 3\)"):
            model(np.zeros((2, 5, 4, 3), np.int32), condition=condition)
        with pytest.raises(ValueError, match="Received: dtype=float32"):
            model(np.zeros((2, 4, 4, 3), np.float32), condition=condition)
        too_big = np.zeros((2, 4, 4, 3), np.int32)
        too_big[1, 2, 3, 1] = 6
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)num_levels=6\).*max.*6"):
            model(too_big, condition=condition)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)min.*-1"):
            model(too_big - 1, condition=condition)

    def test_wrong_or_missing_condition_is_named(self):
        model = self.make_model((4, 4, 1))
        images = np.zeros((2, 4, 4, 1), np.int32)
        if self.conditioning is None:
            with pytest.raises(ValueError, match=r"unconditional.*shape \(2,\)"):
                model(images, condition=np.array([0, 1]))
            return
        with pytest.raises(ValueError, match="conditional and needs condition="):
            model(images)
        if self.conditioning == "class":
            with pytest.raises(
                tf.errors.InvalidArgumentError, match=r"(?s)num_classes=3.*received.*0, 3"
            ):
                model(images, condition=np.array([0, 3]))
            with pytest.raises(ValueError, match="dtype=float32"):
                model(images, condition=np.zeros([2], np.float32))
        else:
            with pytest.raises(ValueError, match=r"condition \[batch, 4\].*shape=\(2, 5\)"):
                model(images, condition=np.zeros([2, 5], np.float32))


def sharpen_output(model, scale=3.0, seed=0):
    """Redraws the last layer's weights large, so the model's distributions are far from
    uniform and differ with the context (a strong test of normalisation and sampling)."""
    model.build()
    rng = np.random.default_rng(seed)
    for variable in model.output_head.logits.weights:
        variable.assign(rng.normal(0.0, scale, variable.shape).astype(np.float32))


class TestGatedPixelCNN(AutoregressiveModelSuite):
    pass


class TestConstructorErrors:
    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"image_shape": (8, 8, 2)}, r"channels 1 or 3. Received: image_shape=\(8, 8, 2\)"),
            ({"image_shape": (8, 8)}, r"Received: image_shape=\(8, 8\)"),
            ({"num_levels": 1}, "num_levels=1"),
            ({"num_levels": 257}, "num_levels=257"),
            ({"kernel_size": 4}, "kernel_size=4"),
            ({"kernel_size": 1}, "kernel_size=1"),
            ({"num_layers": 0}, "num_layers=0"),
            ({"filters": 2}, "filters=2, channels=3"),
            ({"num_classes": 3, "condition_dim": 4}, "num_classes=3, condition_dim=4"),
            ({"spatial_condition": True}, "spatial_condition=True"),
        ],
    )
    def test_bad_arguments_are_named(self, kwargs, match):
        arguments = {"image_shape": (8, 8, 3), **kwargs}
        with pytest.raises(ValueError, match=match):
            GatedPixelCNN(**arguments)


def _conditioned_model(mode):
    kwargs = {
        "none": {},
        "class": {"num_classes": NUM_CLASSES},
        "spatial": {"condition_dim": CONDITION_DIM, "spatial_condition": True},
        "image": {"condition_image_shape": (2, 2, 1), "condition_image_levels": 4},
    }[mode]
    return GatedPixelCNN((4, 4, 1), num_layers=1, filters=2, kernel_size=3, num_levels=4,
                         spatial_condition_filters=3, **kwargs)  # fmt: skip


@pytest.mark.parametrize("mode", ["none", "class", "spatial", "image"])
def test_condition_network_views_name_the_mode(mode):
    """`condition_network` is m(h) or f_w(x̂); the views say which (the other is None)."""
    model = _conditioned_model(mode)
    network = model.condition_network
    assert (network is None) == (mode in ("none", "class"))
    assert model.spatial_condition_network is (network if mode == "spatial" else None)
    assert model.image_condition_network is (network if mode == "image" else None)
    if network is not None:  # s has S = spatial_condition_filters channels in both modes
        assert model.block_spatial_channels == 3


def test_checked_condition_is_h_or_the_scaled_image_and_condition_vector_its_alias():
    labels = np.array([2, 0])
    model = _conditioned_model("class")
    h = model.checked_condition(labels)
    np.testing.assert_array_equal(h, np.eye(NUM_CLASSES, dtype=np.float32)[labels])
    with pytest.warns(DeprecationWarning, match="checked_condition"):
        np.testing.assert_array_equal(model.condition_vector(labels), h)
    image_model = _conditioned_model("image")
    aux = np.array([[[[0], [3]], [[1], [2]]]], np.int32)  # (1, 2, 2, 1) in [0, 4)
    scaled = image_model.checked_condition(aux)
    np.testing.assert_allclose(scaled, aux * (2.0 / 3.0) - 1.0, rtol=1e-6)
    assert _conditioned_model("none").checked_condition(None) is None
