"""Every export kind served by TensorFlow's C++ loader, as TF Serving serves it.

export/cc_loader/saved_model_runner.cc is compiled once against the installed wheel
(cached by source hash, TensorFlow version and compiler) and runs in a process without
Python: `tensorflow::LoadSavedModel(..., {"serve"}, ...)`, then `Session::Run` on each
signature's tensor names. Per export kind, one run answers good requests (compared with
`tf.saved_model.load` and the in-process model) and bad ones generated from them (wrong
rank, height, width or sizes, NaN / infinite floats, bad seeds, mismatched or too large
batches, labels and levels out of range, a wrong dtype): each must be an
`INVALID_ARGUMENT` naming the input, batch 0 gives empty outputs, and the process must
end normally (a malformed request once aborted it inside MklConv).
"""

import importlib.util
import pathlib
import re
import sys

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.serving.likelihood_ratio_export import export_likelihood_ratio

CC_LOADER = pathlib.Path(__file__).resolve().parents[2] / "export" / "cc_loader"
SHAPE, AUX_SHAPE, LEVELS, CLASSES, MAX_BATCH = (4, 4, 3), (4, 6, 3), 7, 3, 4
SEEDS = np.array([[1, 2], [3, 4], [5, 6]], np.int32)
KINDS = [
    "class",
    "vector",
    "spatial",
    "image",
    "pixel_cnn",
    "autoencoder",
    "grayscale",
    "pyramid",
    "score",
]


def _module(name):
    """export/cc_loader/<name>.py (scripts, not package modules), loaded once."""
    key = f"tpc_cc_loader_{name}"  # not `build`: that is also a PyPI package's name
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, CC_LOADER / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@pytest.fixture(scope="module")
def runner():
    build = _module("build")
    if build.find_compiler() is None:
        pytest.skip("no C++ compiler ($CXX, g++, c++ or clang++): cannot build the C++ loader")
    return build.build_runner()


def _models(kind):
    """`(model, background or None)`: tiny models, built."""
    common = {"num_layers": 2, "filters": 4, "kernel_size": 3, "num_levels": LEVELS}
    if kind == "autoencoder":
        return tpc.PixelCNNAutoencoder(SHAPE, bottleneck_dim=2, encoder_filters=4, **common), None
    if kind == "pixel_cnn":
        return tpc.PixelCNN(SHAPE, num_classes=CLASSES, **common), None
    auxiliary = {"kernel_size": 3, "num_mixture_components": 2, "condition_filters": 4}
    if kind == "grayscale":
        return tpc.GrayscalePixelCNN(
            AUX_SHAPE,
            num_layers=1,
            filters=4,
            grayscale_num_layers=1,
            grayscale_filters=4,
            **auxiliary,
        ), None
    if kind == "pyramid":
        return tpc.PyramidPixelCNN(
            AUX_SHAPE,
            num_resolutions=2,
            base_num_layers=1,
            base_filters=4,
            num_layers=1,
            filters=4,
            **auxiliary,
        ), None
    extra = {
        "class": {"num_classes": CLASSES},
        "vector": {"condition_dim": 2},
        "spatial": {"condition_dim": 2, "spatial_condition": True},
        "image": {
            "num_mixture_components": 2,
            "condition_image_shape": (2, 2, 1),
            "condition_image_levels": 4,
        },
        "score": {"condition_dim": 2},
    }[kind]
    model = tpc.GatedPixelCNN(SHAPE, **common, **extra)
    return model, (tpc.GatedPixelCNN(SHAPE, **common, **extra) if kind == "score" else None)


def _inputs(model, kind):
    """`(images, {condition alias: array}, condition for the in-process model)`."""
    rng = np.random.default_rng(7)
    shape = AUX_SHAPE if kind in ("grayscale", "pyramid") else SHAPE
    images = rng.integers(0, model.num_levels, (3, *shape)).astype(np.uint8)
    if kind == "image":
        condition = rng.integers(0, 4, (3, 2, 2, 1)).astype(np.uint8)
        return images, {"condition_image": condition}, condition.astype(np.int32)
    if kind in ("class", "pixel_cnn"):
        labels = np.array([0, 2, 1], np.int32)
        return images, {"labels": labels}, labels
    if kind in ("vector", "spatial", "score"):
        vectors = rng.normal(size=(3, 2)).astype(np.float32)
        return images, {"condition": vectors}, vectors
    return images, {}, None


def _good_requests(kind, model, background):
    """`[(signature, inputs, {output: expected in-process value})]`."""
    images, named, condition = _inputs(model, kind)
    as_int = images.astype(np.int32)
    if kind == "autoencoder":
        code = model.encode(as_int).numpy()
        return [
            ("log_prob", {"images": images}, {"log_prob": model.log_prob(as_int)}),
            ("encode", {"images": images}, {"code": code}),
            ("decode", {"code": code, "seed": SEEDS}, {"images": model.decode(code, seed=SEEDS)}),
            (
                "reconstruct",
                {"images": images, "seed": SEEDS},
                {"images": model.reconstruct(as_int, seed=SEEDS), "code": code},
            ),
        ]
    if kind in ("grayscale", "pyramid"):
        auxiliary = np.asarray(model.auxiliary(tf.constant(as_int))).astype(np.uint8)
        factors = model.factor_log_probs(as_int)
        return [
            (
                "log_prob",
                {"images": images},
                {
                    "log_prob": model.log_prob(as_int),
                    **{f"log_prob_{name}": value for name, value in factors.items()},
                },
            ),
            ("sample", {"seed": SEEDS}, {"images": model.sample(seed=SEEDS)}),
            (
                "sample_given",
                {"auxiliary": auxiliary, "seed": SEEDS},
                {"images": model.sample_given(auxiliary.astype(np.int32), seed=SEEDS)},
            ),
        ]
    log_p = model.log_prob(as_int, condition=condition).numpy()
    log_prob = (
        "log_prob",
        {"images": images, **named},
        {"log_prob": log_p, "bits_per_dim": tpc.bits_per_dim(log_p, SHAPE)},
    )
    if kind == "score":
        log_p0 = background.log_prob(as_int, condition=condition).numpy()
        score = {"score": log_p - log_p0, "log_prob": log_p, "background_log_prob": log_p0}
        return [("score", {"images": images, **named}, score), log_prob]
    requests = [
        log_prob,
        ("serving_default", {"images": images, **named}, log_prob[2]),
        (
            "sample",
            {"seed": SEEDS, **named},
            {"images": tpc.sample(model, condition=condition, seed=SEEDS, jit_compile=False)},
        ),
    ]
    if kind != "pixel_cnn":
        known_rows = np.array([0, 2, SHAPE[0]], np.int32)
        completed = tpc.complete(model, as_int, known_rows, seed=SEEDS, condition=condition)
        requests.append(
            (
                "complete",
                {"images": images, "known_rows": known_rows, "seed": SEEDS, **named},
                {"images": completed},
            )
        )
    return requests


def _bad_requests(signature, inputs):
    """`[(inputs, regex the INVALID_ARGUMENT message must match)]` made from a good request:
    each input with a dimension dropped or added and its sizes doubled, NaN and infinity
    in float inputs, a batch above MAX_BATCH, mismatched batches."""
    bad = []
    for name, value in inputs.items():
        shape = rf"{name} must be {value.dtype.name} \[batch[^]]*\]; received shape"
        fewer = value[..., 0] if value.ndim > 1 else value[0]
        variants = [fewer, value[..., None]]
        variants += [np.concatenate([value, value], axis=a) for a in range(1, value.ndim)]
        bad += [({**inputs, name: variant}, shape) for variant in variants]
        if value.dtype.kind == "f":
            for special in (np.nan, np.inf):
                broken = value.copy()
                broken[0, 0] = special
                bad.append(({**inputs, name: broken}, rf"{name} must be finite"))
    too_many = {
        name: np.concatenate([value] * 2)[: MAX_BATCH + 1] for name, value in inputs.items()
    }
    bad.append((too_many, rf"at most max_batch={MAX_BATCH}; received batch\W+{MAX_BATCH + 1}"))
    if len(inputs) > 1:
        first, *others = inputs
        short = {**inputs, others[-1]: inputs[others[-1]][:2]}
        bad.append(
            (
                short,
                (
                    rf"one batch size; received {first} batch\W+3\W+and {others[-1]} "
                    r"batch\W+2"
                ),
            )
        )
    return [((signature, request), pattern) for request, pattern in bad]


def _value_errors(kind, model, good):
    """Bad values: labels, image levels, condition-image and auxiliary values out of
    range, and float images (a dtype the signature does not take)."""
    signature, inputs, _ = good[0]  # log_prob or score: images (+ the condition)

    def with_value(name, index, value, pattern, request=(signature, inputs)):
        changed = request[1][name].copy()
        changed[index] = value
        return (request[0], {**request[1], name: changed}), pattern

    bad = [
        ((signature, {**inputs, "images": inputs["images"].astype(np.float32)}),
         r"Expects arg\[\d+\] to be uint8 but float is provided"),
    ]  # fmt: skip
    if "labels" in inputs:
        pattern = rf"labels must be in \[0, num_classes={CLASSES}\)"
        bad.append(with_value("labels", 1, CLASSES, pattern))
    if model.num_levels < 256:
        pattern = rf"values in \[0, num_levels={model.num_levels}\)"
        bad.append(with_value("images", (1, 0, 0, 0), model.num_levels, pattern))
    if kind == "image":
        pattern = r"condition image values must be in \[0, 4\)"
        bad.append(with_value("condition_image", (2, 1, 1, 0), 4, pattern))
    if kind in ("grayscale", "pyramid") and model.auxiliary_levels < 256:  # uint8 holds 255
        levels = model.auxiliary_levels
        pattern = rf"auxiliary must have values in \[0, auxiliary_levels={levels}\)"
        bad.append(with_value("auxiliary", (0, 0, 0, 0), levels, pattern, good[2][:2]))
    return bad


@pytest.fixture(scope="module", params=KINDS)
def served(request, runner, tmp_path_factory):
    """One export of the kind and one run of the C++ loader over all its requests."""
    kind = request.param
    model, background = _models(kind)
    base = tmp_path_factory.mktemp(kind)
    good = _good_requests(kind, model, background)
    if background is not None:
        path = export_likelihood_ratio(model, background, str(base / "export"), max_batch=MAX_BATCH)
    else:
        path = tpc.serving.export_saved_model(model, str(base / "export"), max_batch=MAX_BATCH)
    bad = [case for signature, inputs, _ in good for case in _bad_requests(signature, inputs)]
    bad += _value_errors(kind, model, good)
    empty = [(signature, {k: v[:0] for k, v in inputs.items()}) for signature, inputs, _ in good]
    requests = [(s, i) for s, i, _ in good] + [r for r, _ in bad] + empty + [good[0][:2]]
    results, process = _module("request_file").run_requests(runner, path, requests, base)
    assert process.returncode == 0 and results is not None, (
        f"the C++ loader exited with {process.returncode} (negative: killed by a signal)\n"
        f"{process.stdout[-3000:]}\n{process.stderr[-3000:]}"
    )
    responses = results["responses"]
    return {
        "kind": kind,
        "path": path,
        "signatures": results["signatures"],
        "good": good,
        "good_responses": responses[: len(good)],
        "bad": list(zip(bad, responses[len(good) : len(good) + len(bad)])),
        "empty": responses[len(good) + len(bad) : -1],
        "last": responses[-1],
    }


def _assert_outputs_match(served_outputs, expected, exact_images=True):
    for name, value in expected.items():
        value = np.asarray(value)
        if value.dtype.kind in "iu" and exact_images:
            np.testing.assert_array_equal(served_outputs[name], value, err_msg=name)
        else:
            np.testing.assert_allclose(
                served_outputs[name], value, rtol=1e-4, atol=1e-3, err_msg=name
            )


def test_every_signature_matches_the_in_process_model_and_tf_saved_model_load(served):
    loaded = tf.saved_model.load(served["path"])
    for (signature, inputs, expected), response in zip(served["good"], served["good_responses"]):
        assert response["status"] == "OK", (signature, response["message"])
        outputs = response["outputs"]
        _assert_outputs_match(outputs, expected)
        python = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
        assert sorted(python) == sorted(outputs), signature
        for name, value in python.items():
            assert outputs[name].dtype == value.dtype.as_numpy_dtype, (signature, name)
            _assert_outputs_match(outputs, {name: value.numpy()})
    served_names = {name for name in served["signatures"] if not name.startswith("__")}
    assert served_names == set(loaded.signatures)
    for name, signature in served["signatures"].items():
        if name.startswith("__"):
            continue  # __saved_model_init_op: restores the variables, not a signature
        assert signature["method"] == "tensorflow/serving/predict"
        python = loaded.signatures[name]
        specs = python.structured_input_signature[1]
        assert {
            a: (s.dtype.name, [-1 if d is None else d for d in s.shape]) for a, s in specs.items()
        } == signature["inputs"]
        assert sorted(python.structured_outputs) == sorted(signature["outputs"])


def test_bad_requests_are_invalid_argument_naming_the_input(served):
    assert served["bad"], served["kind"]
    for ((signature, inputs), pattern), response in served["bad"]:
        shapes = {name: value.shape for name, value in inputs.items()}
        assert response["status"] == "INVALID_ARGUMENT", (signature, shapes, response)
        assert re.search(pattern, response["message"], flags=re.DOTALL), (
            signature,
            shapes,
            pattern,
            response["message"][:500],
        )
    assert served["last"]["status"] == "OK"  # the process still serves good requests


def test_batch_zero_gives_empty_outputs_of_the_right_shape(served):
    for (signature, _, _), good, empty in zip(
        served["good"], served["good_responses"], served["empty"]
    ):
        assert empty["status"] == "OK", (signature, empty["message"])
        assert sorted(empty["outputs"]) == sorted(good["outputs"])
        for name, value in good["outputs"].items():
            assert empty["outputs"][name].shape == (0, *value.shape[1:]), (signature, name)
            assert empty["outputs"][name].dtype == value.dtype
