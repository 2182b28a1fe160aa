"""SavedModels as TF Serving sees them (DESIGN.md check 4): fresh process, session loader."""

import importlib
import json
import os
import pathlib
import pickle
import re
import subprocess
import sys

import numpy as np
import tensorflow as tf
import pytest

import tf_pixelcnn as tpc

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "serving" / "session_runner.py"
STATEFUL_RANDOM_OPS = {
    "RandomUniform",
    "RandomUniformInt",
    "RandomStandardNormal",
    "TruncatedNormal",
    "Multinomial",
    "RandomShuffle",
    "RandomGamma",
    "RandomPoisson",
    "RandomPoissonV2",
    "StatefulUniform",
    "StatefulUniformInt",
    "StatefulUniformFullInt",
    "StatefulStandardNormal",
    "StatefulStandardNormalV2",
    "StatefulTruncatedNormal",
    "StatefulRandomBinomial",
    "RngSkip",
    "RngReadAndSkip",
}
SHAPE, LEVELS, BATCH = (4, 5, 3), 7, 3


def serve(saved_model_dir, requests, tmp_path):
    """Runs `requests` in a fresh process that cannot import tf_pixelcnn."""
    requests_path, results_path = tmp_path / "requests.pkl", tmp_path / "results.pkl"
    with open(requests_path, "wb") as f:
        pickle.dump(requests, f)
    result = subprocess.run(
        [sys.executable, str(RUNNER), str(saved_model_dir), str(requests_path), str(results_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(results_path, "rb") as f:
        return pickle.load(f)


def make_model(kind):
    common = dict(num_layers=2, filters=6, kernel_size=3, num_levels=LEVELS)
    if kind == "autoencoder":
        return tpc.PixelCNNAutoencoder(SHAPE, bottleneck_dim=4, encoder_filters=4, **common)
    if kind == "pixel_cnn":
        return tpc.PixelCNN(SHAPE, num_classes=3, **common)
    extra = {
        "class": {"num_classes": 3},
        "vector": {"condition_dim": 2},
        "spatial": {"condition_dim": 2, "spatial_condition": True},
        "mixture": {"num_mixture_components": 2},
        "image": {
            "num_mixture_components": 2,
            "condition_image_shape": (2, 3, 1),
            "condition_image_levels": 4,
        },
    }.get(kind, {})
    return tpc.GatedPixelCNN(SHAPE, **common, **extra)


def condition_inputs(model):
    rng = np.random.default_rng(3)
    if getattr(model, "condition_image_shape", None) is not None:
        image = rng.integers(0, 4, (BATCH, *model.condition_image_shape)).astype(np.uint8)
        return {"condition_image": image}, image.astype(np.int32)
    if getattr(model, "num_classes", None) is not None:
        labels = rng.integers(0, model.num_classes, BATCH).astype(np.int32)
        return {"labels": labels}, labels
    if getattr(model, "condition_dim", None) is not None:
        vectors = rng.normal(size=(BATCH, model.condition_dim)).astype(np.float32)
        return {"condition": vectors}, vectors
    return {}, None


IMAGES = np.random.default_rng(0).integers(0, LEVELS, (BATCH, *SHAPE)).astype(np.uint8)
SEEDS = np.array([[1, 2], [3, 4], [5, 6]], np.int32)


@pytest.mark.parametrize(
    "kind", ["unconditional", "class", "vector", "spatial", "pixel_cnn", "mixture", "image"]
)
def test_density_model_signatures_match_the_in_process_model(kind, tmp_path):
    model = make_model(kind)
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"), max_batch=4)
    assert path == str(tmp_path / "export" / "1")
    named, condition = condition_inputs(model)
    results = serve(
        path,
        [
            ("serving_default", {"images": IMAGES, **named}),
            ("log_prob", {"images": IMAGES, **named}),
            ("sample", {"seed": SEEDS, **named}),
        ],
        tmp_path,
    )
    default, log_prob, sample = (r["outputs"] for r in results["responses"])
    expected = model.log_prob(IMAGES.astype(np.int32), condition=condition).numpy()
    for outputs in (default, log_prob):
        np.testing.assert_allclose(outputs["log_prob"], expected, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(
            outputs["bits_per_dim"], tpc.bits_per_dim(expected, SHAPE), rtol=1e-4
        )
        pixels = outputs["pixel_log_prob"]
        np.testing.assert_allclose(pixels.reshape(BATCH, -1).sum(axis=1), expected, rtol=1e-4)
        # A logistic mixture models a pixel's channels jointly: one value per pixel.
        assert pixels.shape == ((BATCH, 4, 5) if kind in ("mixture", "image") else (BATCH, *SHAPE))
    in_process = tpc.sample(model, condition=condition, seed=SEEDS, jit_compile=False).numpy()
    assert sample["images"].dtype == np.uint8
    np.testing.assert_array_equal(sample["images"], in_process)

    signatures = results["signatures"]
    completion = set() if kind == "pixel_cnn" else {"complete"}  # GatedPixelCNNs (cached)
    assert set(signatures) == {"serving_default", "log_prob", "sample", *completion}
    assert all(s["method"] == "tensorflow/serving/predict" for s in signatures.values())
    assert set(signatures["sample"]["inputs"]) == {"seed", *named}
    assert signatures["log_prob"]["outputs"] == ["bits_per_dim", "log_prob", "pixel_log_prob"]
    assert not {"PyFunc", "EagerPyFunc", "PyFuncStateless"} & set(results["ops"])
    assert not STATEFUL_RANDOM_OPS & set(results["ops"])
    assert "StatelessRandomUniformV2" in results["ops"]

    metadata = json.loads((pathlib.Path(path) / "assets.extra" / "tf_pixelcnn.json").read_text())
    assert metadata["image_shape"] == list(SHAPE) and metadata["num_levels"] == LEVELS
    assert metadata["model_kind"] == type(model).__name__ and metadata["max_batch"] == 4


def test_autoencoder_signatures_match_the_in_process_model(tmp_path):
    ae = make_model("autoencoder")
    path = tpc.serving.export_saved_model(ae, str(tmp_path / "export"))
    code = ae.encode(IMAGES.astype(np.int32)).numpy()
    results = serve(
        path,
        [
            ("log_prob", {"images": IMAGES}),
            ("encode", {"images": IMAGES}),
            ("decode", {"code": code, "seed": SEEDS}),
            ("reconstruct", {"images": IMAGES, "seed": SEEDS}),
        ],
        tmp_path,
    )
    log_prob, encode, decode, reconstruct = (r["outputs"] for r in results["responses"])
    np.testing.assert_allclose(
        log_prob["log_prob"], ae.log_prob(IMAGES.astype(np.int32)), rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(encode["code"], code, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(decode["images"], ae.decode(code, seed=SEEDS))
    np.testing.assert_array_equal(
        reconstruct["images"], ae.reconstruct(IMAGES.astype(np.int32), seed=SEEDS)
    )
    np.testing.assert_allclose(reconstruct["code"], code, rtol=1e-5, atol=1e-5)
    assert set(results["signatures"]) == {
        "serving_default",
        "log_prob",
        "encode",
        "decode",
        "reconstruct",
    }
    assert not STATEFUL_RANDOM_OPS & set(results["ops"])


def test_bad_requests_fail_with_invalid_argument_naming_the_problem(tmp_path):
    model = make_model("class")
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"), max_batch=2)
    labels = np.array([0, 1], np.int32)
    too_high = IMAGES[:2].copy()
    too_high[1, 0, 0, 0] = LEVELS
    requests = [
        ("log_prob", {"images": IMAGES[:2], "labels": np.array([0, 3], np.int32)}),
        ("log_prob", {"images": too_high, "labels": labels}),
        ("log_prob", {"images": IMAGES, "labels": np.array([0, 1, 2], np.int32)}),
        ("sample", {"seed": np.array([[1, 2, 3], [4, 5, 6]], np.int32), "labels": labels}),
        ("sample", {"seed": SEEDS[:2], "labels": np.array([0], np.int32)}),
        ("sample", {"seed": SEEDS[:2], "labels": labels}),
    ]
    responses = serve(path, requests, tmp_path)["responses"]
    expected = [
        r"labels must be in \[0, num_classes=3\)",
        r"values in \[0, num_levels=7\)",
        r"at most max_batch=2; received batch\W+3",
        r"seed must be int32 \[batch, 2\].*received shape\W+\[2 3\]",
        r"one batch size; received seed batch\W+2\W+and labels batch\W+1",
    ]
    for response, pattern in zip(responses, expected):
        assert response.get("error", ("", ""))[0] == "InvalidArgumentError", response
        assert re.search(pattern, response["error"][1], flags=re.S), (pattern, response["error"][1])
    assert "outputs" in responses[-1]  # a good request still works


def test_saved_model_cli_runs_sample_and_log_prob(tmp_path):
    model = make_model("unconditional")
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"))
    cli = str(pathlib.Path(sys.executable).with_name("saved_model_cli"))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    shown = subprocess.run(
        [cli, "show", "--dir", path, "--all"], capture_output=True, text=True, env=env, timeout=300
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    for name in (
        "signature_def['sample']",
        "signature_def['log_prob']",
        "inputs['seed']",
        "inputs['images']",
    ):
        assert name in shown.stdout
    for signature, expression in [
        ("sample", "seed=[[1,2],[3,4]]"),
        ("log_prob", "images=" + repr(np.ones((2, 4, 5, 3), int).tolist()).replace(" ", "")),
    ]:
        run = subprocess.run(
            [
                cli,
                "run",
                "--dir",
                path,
                "--tag_set",
                "serve",
                "--signature_def",
                signature,
                "--input_exprs",
                expression,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert ("images" if signature == "sample" else "bits_per_dim") in run.stdout


def test_versions_are_atomic_and_never_overwritten_silently(tmp_path, monkeypatch):
    model = make_model("unconditional")
    base = tmp_path / "export"
    assert tpc.serving.export_saved_model(model, str(base)).endswith("/1")
    assert tpc.serving.export_saved_model(model, str(base)).endswith("/2")
    with pytest.raises(FileExistsError, match=r"Version 2 already exists.*versions: \[1, 2\]"):
        tpc.serving.export_saved_model(model, str(base), version=2)
    before = (base / "2" / "saved_model.pb").read_bytes()

    export_module = importlib.import_module("tf_pixelcnn.serving.export_saved_model")

    def fail_half_way(*args, **kwargs):  # the SavedModel is written, its metadata is not
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_module, "model_metadata", fail_half_way)
    with pytest.raises(RuntimeError, match="disk full"):
        tpc.serving.export_saved_model(model, str(base))
    with pytest.raises(RuntimeError, match="disk full"):
        tpc.serving.export_saved_model(model, str(base), version=2, overwrite=True)
    assert sorted(os.listdir(base)) == ["1", "2"]  # no version 3, no temporary left
    assert (base / "2" / "saved_model.pb").read_bytes() == before  # the old version is intact
    monkeypatch.undo()
    assert tpc.serving.export_saved_model(model, str(base), version=2, overwrite=True).endswith(
        "/2"
    )
    assert sorted(os.listdir(base)) == ["1", "2"]
    with pytest.raises(ValueError, match="version=0"):
        tpc.serving.export_saved_model(model, str(base), version=0)


def _auxiliary_model(kind):
    if kind == "grayscale":
        return tpc.GrayscalePixelCNN(
            (4, 6, 3), num_layers=2, filters=6, grayscale_num_layers=2, grayscale_filters=6,
            kernel_size=3, num_mixture_components=2, condition_filters=4,
        )  # fmt: skip
    return tpc.PyramidPixelCNN(
        (4, 6, 3), num_resolutions=2, base_num_layers=2, base_filters=6, num_layers=2,
        filters=6, kernel_size=3, num_mixture_components=2, condition_filters=4,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["grayscale", "pyramid"])
def test_auxiliary_variable_model_signatures_match_the_in_process_model(kind, tmp_path):
    model = _auxiliary_model(kind)
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"), max_batch=4)
    images = np.random.default_rng(1).integers(0, 256, (BATCH, 4, 6, 3)).astype(np.uint8)
    auxiliary = np.asarray(model.auxiliary(tf.constant(images, tf.int32)))
    results = serve(
        path,
        [
            ("serving_default", {"images": images}),
            ("sample", {"seed": SEEDS}),
            ("sample_given", {"auxiliary": auxiliary.astype(np.uint8), "seed": SEEDS}),
            ("sample_given", {"auxiliary": auxiliary.astype(np.uint8), "seed": SEEDS[:2]}),
        ],
        tmp_path,
    )
    log_prob, sample, given = (r["outputs"] for r in results["responses"][:3])
    factors = model.factor_log_probs(images.astype(np.int32))
    np.testing.assert_allclose(log_prob["log_prob"], model.log_prob(images), rtol=1e-4)
    for name, value in factors.items():
        np.testing.assert_allclose(log_prob[f"log_prob_{name}"], value, rtol=1e-4, atol=1e-3)
    for name, value in model.report_bits_per_dim(factors).items():
        np.testing.assert_allclose(log_prob[f"bits_per_dim_{name}"], value, rtol=1e-4)
    np.testing.assert_array_equal(sample["images"], model.sample(seed=SEEDS))
    np.testing.assert_array_equal(given["images"], model.sample_given(auxiliary, seed=SEEDS))
    np.testing.assert_array_equal(model.auxiliary(given["images"].astype(np.int32)), auxiliary)
    error = results["responses"][3]["error"]
    assert error[0] == "InvalidArgumentError" and "one batch size" in error[1]
    assert set(results["signatures"]) == {"serving_default", "log_prob", "sample", "sample_given"}
    assert set(results["signatures"]["sample_given"]["inputs"]) == {"auxiliary", "seed"}
    assert not STATEFUL_RANDOM_OPS & set(results["ops"])
    metadata = json.loads((pathlib.Path(path) / "assets.extra" / "tf_pixelcnn.json").read_text())
    assert metadata["factors"] == list(model.factor_models)
    assert metadata["auxiliary_shape"] == list(auxiliary.shape[1:])


def test_unsupported_model_is_named():
    import keras

    with pytest.raises(ValueError, match="Received: Sequential"):
        tpc.serving.export_saved_model(keras.Sequential(), "/tmp/never")


def test_racing_exports_to_one_base_keep_both_models(tmp_path, monkeypatch):
    """Issue 19 §1.1's probe: a second export starts while the first is still writing;
    both used to pick version 1 and the later one replaced the other. Now neither is lost."""
    import threading

    export_module = importlib.import_module("tf_pixelcnn.serving.export_saved_model")
    writing, published = threading.Event(), threading.Event()

    def fake_archive(directory, models, endpoints, description):  # no tracing: fast
        if threading.current_thread().name == "first":
            writing.set()
            assert published.wait(60)  # the second export publishes meanwhile
        with open(os.path.join(directory, "saved_model.pb"), "w") as f:
            f.write(threading.current_thread().name)

    monkeypatch.setattr(export_module, "write_archive", fake_archive)
    model, base, paths = make_model("unconditional"), tmp_path / "export", {}

    def export():
        paths[threading.current_thread().name] = tpc.serving.export_saved_model(model, str(base))

    first = threading.Thread(target=export, name="first")
    first.start()
    assert writing.wait(60)
    second = threading.Thread(target=export, name="second")
    second.start()
    second.join(60)
    published.set()
    first.join(60)
    assert paths == {"second": str(base / "1"), "first": str(base / "2")}
    assert sorted(os.listdir(base)) == ["1", "2"]
    assert (base / "1" / "saved_model.pb").read_text() == "second"
    assert (base / "2" / "saved_model.pb").read_text() == "first"
    with pytest.raises(FileExistsError, match=r"Version 2 already exists.*versions: \[1, 2\]"):
        tpc.serving.export_saved_model(model, str(base), version=2)


def test_default_max_batch_is_bounded(tmp_path):
    """Issue 19 §1.8: an export without max_batch rejects a batch above 64."""
    model = make_model("unconditional")
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"))
    metadata = json.loads((pathlib.Path(path) / "assets.extra" / "tf_pixelcnn.json").read_text())
    assert metadata["max_batch"] == 64
    log_prob = tf.saved_model.load(path).signatures["log_prob"]
    images = np.zeros((65, *SHAPE), np.uint8)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at most max_batch=64"):
        log_prob(images=images)
    assert log_prob(images=images[:64])["log_prob"].shape == (64,)
    with pytest.raises(ValueError, match="max_batch=0"):
        tpc.serving.export_saved_model(model, str(tmp_path / "never"), max_batch=0)
