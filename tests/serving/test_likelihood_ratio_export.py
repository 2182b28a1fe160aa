"""The likelihood-ratio SavedModel (model + background model): the `score` signature as
TF Serving sees it (fresh process, TF1 session loader) and its input checks, malformed
requests and batch 0 included."""

import json
import pathlib
import re

import numpy as np
import pytest

import tf_pixelcnn as tpc
from tests.serving.test_export_saved_model import STATEFUL_RANDOM_OPS, serve
from tf_pixelcnn.serving.likelihood_ratio_export import (
    check_background,
    export_likelihood_ratio,
    score_endpoints,
)

SHAPE, LEVELS, CLASSES = (4, 5, 1), 7, 3
IMAGES = np.random.default_rng(0).integers(0, LEVELS, (3, *SHAPE)).astype(np.uint8)
LABELS = np.array([0, 2, 1], np.int32)


def _pair(**extra):
    common = dict(num_layers=2, filters=6, kernel_size=3, num_levels=LEVELS, **extra)
    model = tpc.GatedPixelCNN(SHAPE, **common)
    background = tpc.GatedPixelCNN(SHAPE, **common)  # other initial weights
    condition = LABELS if extra else None
    for built in (model, background):
        built.log_prob(IMAGES.astype(np.int32), condition=condition)
    return model, background


def test_score_is_the_model_minus_the_background_log_prob_in_process():
    model, background = _pair()
    score = score_endpoints(model, background, max_batch=None)["score"][0]
    outputs = {k: v.numpy() for k, v in score(IMAGES).items()}
    log_p = model.log_prob(IMAGES.astype(np.int32)).numpy()
    log_p0 = background.log_prob(IMAGES.astype(np.int32)).numpy()
    np.testing.assert_allclose(outputs["log_prob"], log_p, rtol=1e-5)
    np.testing.assert_allclose(outputs["background_log_prob"], log_p0, rtol=1e-5)
    np.testing.assert_allclose(outputs["score"], log_p - log_p0, rtol=1e-5, atol=1e-4)
    assert np.abs(outputs["score"]).min() > 1e-3  # two different models


def test_the_background_must_take_the_models_inputs():
    model, _ = _pair()
    other = tpc.GatedPixelCNN(SHAPE, num_layers=1, filters=4, num_levels=LEVELS + 1)
    with pytest.raises(ValueError, match=r"model num_levels=7, received background num_levels=8"):
        check_background(model, other)
    with pytest.raises(ValueError, match="GatedPixelCNN or PixelCNN as background"):
        check_background(model, tpc.PixelCNNAutoencoder(SHAPE, bottleneck_dim=2, num_levels=7))


def test_score_signature_through_the_session_loader_matches_in_process(tmp_path):
    model, background = _pair(num_classes=CLASSES)
    path = export_likelihood_ratio(
        model, background, str(tmp_path / "score"), max_batch=3, metadata={"rate": 0.2}
    )
    assert path == str(tmp_path / "score" / "1")
    too_high = IMAGES.copy()
    too_high[1, 0, 0, 0] = LEVELS
    requests = [
        ("score", {"images": IMAGES, "labels": LABELS}),
        ("serving_default", {"images": IMAGES, "labels": LABELS}),
        ("score", {"images": IMAGES, "labels": np.array([0, 3, 1], np.int32)}),
        ("score", {"images": too_high, "labels": LABELS}),
        ("score", {"images": np.concatenate([IMAGES, IMAGES]), "labels": np.tile(LABELS, 2)}),
        ("score", {"images": IMAGES, "labels": LABELS[:2]}),
        # As a model server feeds them (no client-side shape check):
        ("score", {"images": IMAGES[..., 0], "labels": LABELS}),  # rank 3: aborted MklConv
        ("score", {"images": np.concatenate([IMAGES, IMAGES], axis=2), "labels": LABELS}),
        ("score", {"images": IMAGES, "labels": LABELS[:, None]}),
        ("score", {"images": IMAGES[:0], "labels": LABELS[:0]}),  # batch 0: empty outputs
    ]
    results = serve(path, requests, tmp_path)
    responses = results["responses"]
    score, default = responses[0]["outputs"], responses[1]["outputs"]
    log_p = model.log_prob(IMAGES.astype(np.int32), condition=LABELS).numpy()
    log_p0 = background.log_prob(IMAGES.astype(np.int32), condition=LABELS).numpy()
    assert score["score"].dtype == np.float32 and score["score"].shape == (3,)
    np.testing.assert_allclose(score["log_prob"], log_p, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(score["background_log_prob"], log_p0, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(score["score"], log_p - log_p0, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(default["log_prob"], log_p, rtol=1e-4, atol=1e-4)

    expected_errors = [
        r"labels must be in \[0, num_classes=3\)",
        r"values in \[0, num_levels=7\)",
        r"at most max_batch=3; received batch\W+6",
        r"one batch size; received images batch\W+3\W+and labels batch\W+2",
        r"images must be uint8 \[batch, 4, 5, 1\]; received shape\W+\[3 4 5\]",
        r"images must be uint8 \[batch, 4, 5, 1\]; received shape\W+\[3 4 10 1\]",
        r"labels must be int32 \[batch\]; received shape\W+\[3 1\]",
    ]
    for response, pattern in zip(responses[2:-1], expected_errors, strict=True):
        assert response.get("error", ("", ""))[0] == "InvalidArgumentError", response
        error = response["error"][1]
        assert re.search(pattern, error, flags=re.DOTALL), (pattern, error)
    empty = responses[-1]["outputs"]
    assert {name: value.shape for name, value in empty.items()} == {
        "score": (0,), "log_prob": (0,), "background_log_prob": (0,)
    }

    signatures = results["signatures"]
    assert set(signatures) == {"serving_default", "log_prob", "score"}
    assert signatures["score"]["outputs"] == ["background_log_prob", "log_prob", "score"]
    assert set(signatures["score"]["inputs"]) == {"images", "labels"}
    assert signatures["score"]["method"] == "tensorflow/serving/predict"
    assert not {"PyFunc", "EagerPyFunc", "PyFuncStateless"} & set(results["ops"])
    assert not STATEFUL_RANDOM_OPS & set(results["ops"])
    metadata = json.loads((pathlib.Path(path) / "assets.extra" / "tf_pixelcnn.json").read_text())
    assert metadata["likelihood_ratio"] == {"rate": 0.2}
    assert metadata["num_classes"] == CLASSES and metadata["max_batch"] == 3
    assert metadata["background_config"]["num_levels"] == LEVELS
