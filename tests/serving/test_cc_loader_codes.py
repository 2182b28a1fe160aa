"""A `CodePixelCNN` export served by TensorFlow's C++ SavedModel loader (the loader TF
Serving links; docs/design.md check 4), with the runner and the generated bad requests of
tests/serving/test_cc_loader.py: int32 `codes` [B, h, w] give the log p and samples of
`tf.saved_model.load` and of the in-process model; malformed shapes, codes ≥ K, condition
codes ≥ K', a wrong dtype and too large batches are `INVALID_ARGUMENT` naming the input;
batch 0 gives empty outputs; the process ends normally."""

import re

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.serving.test_cc_loader import (  # noqa: F401  (runner: a fixture)
    MAX_BATCH,
    SEEDS,
    _assert_outputs_match,
    _bad_requests,
    _module,
    runner,
)

GRID, CODES, MAP, MAP_CODES, CLASSES = (4, 3), 300, (2, 2), 9, 3
SMALL = dict(embedding_dim=4, num_layers=2, filters=4, kernel_size=3)


def _prior_and_condition(kind):
    """`(model, {served condition name: array}, the in-process condition)`."""
    rng = np.random.default_rng(3)
    if kind == "labels":
        model = tpc.CodePixelCNN(GRID, CODES, num_classes=CLASSES, **SMALL)
        labels = np.array([0, 2, 1], np.int32)
        return model, {"labels": labels}, labels
    if kind == "code_map":
        model = tpc.CodePixelCNN(
            GRID, CODES, condition_grid_shape=MAP, condition_num_codes=MAP_CODES, **SMALL
        )
        grids = rng.integers(0, MAP_CODES, (3, *MAP)).astype(np.int32)
        return model, {"condition_codes": grids}, grids[..., None]
    return tpc.CodePixelCNN(GRID, CODES, **SMALL), {}, None


def _good_requests(model, named, condition):
    codes = np.random.default_rng(4).integers(0, CODES, (3, *GRID)).astype(np.int32)
    log_p = model.log_prob(codes[..., None], condition=condition).numpy()
    log_prob = (
        "log_prob",
        {"codes": codes, **named},
        {"log_prob": log_p, "bits_per_code": -log_p / (np.prod(GRID) * np.log(2))},
    )
    sampled = tpc.sample(model, condition=condition, seed=SEEDS, jit_compile=False)
    known_rows = np.array([0, 2, GRID[0]], np.int32)
    completed = tpc.complete(model, codes[..., None], known_rows, seed=SEEDS, condition=condition)
    return [
        log_prob,
        ("serving_default", *log_prob[1:]),
        ("sample", {"seed": SEEDS, **named}, {"codes": sampled.numpy()[..., 0]}),
        (
            "complete",
            {"codes": codes, "known_rows": known_rows, "seed": SEEDS, **named},
            {"codes": completed.numpy()[..., 0]},
        ),
    ]


def _value_errors(good):
    """Codes and condition values out of range, labels out of range, uint8 codes."""
    _, inputs, _ = good[0]

    def with_value(name, index, value, pattern):
        changed = inputs[name].copy()
        changed[index] = value
        return ("log_prob", {**inputs, name: changed}), pattern

    too_high = rf"codes must have values in \[0, num_levels={CODES}\)"
    bad = [
        with_value("codes", (1, 0, 0), CODES, too_high),
        with_value("codes", (2, 3, 2), -5, r"codes must have values in .*min\W+-5"),
        (("log_prob", {**inputs, "codes": inputs["codes"].astype(np.uint8)}),
         r"Expects arg\[\d+\] to be int32 but uint8 is provided"),
    ]  # fmt: skip
    if "labels" in inputs:
        pattern = rf"labels must be in \[0, num_classes={CLASSES}\)"
        bad.append(with_value("labels", 1, CLASSES, pattern))
    if "condition_codes" in inputs:
        pattern = rf"condition_codes: condition image values must be in \[0, {MAP_CODES}\)"
        bad.append(with_value("condition_codes", (2, 1, 1), MAP_CODES, pattern))
    return bad


@pytest.fixture(scope="module", params=["unconditional", "labels", "code_map"])
def served(request, runner, tmp_path_factory):  # noqa: F811
    model, named, condition = _prior_and_condition(request.param)
    base = tmp_path_factory.mktemp(f"codes_{request.param}")
    path = tpc.serving.export_saved_model(model, str(base / "export"), max_batch=MAX_BATCH)
    good = _good_requests(model, named, condition)
    bad = [case for signature, inputs, _ in good for case in _bad_requests(signature, inputs)]
    bad += _value_errors(good)
    empty = [(signature, {k: v[:0] for k, v in inputs.items()}) for signature, inputs, _ in good]
    requests = [(s, i) for s, i, _ in good] + [r for r, _ in bad] + empty + [good[0][:2]]
    results, process = _module("request_file").run_requests(runner, path, requests, base)
    assert process.returncode == 0 and results is not None, (
        f"the C++ loader exited with {process.returncode}\n"
        f"{process.stdout[-3000:]}\n{process.stderr[-3000:]}"
    )
    responses = results["responses"]
    return {
        "path": path,
        "signatures": results["signatures"],
        "good": list(zip(good, responses[: len(good)])),
        "bad": list(zip(bad, responses[len(good) : len(good) + len(bad)])),
        "empty": list(zip(good, responses[len(good) + len(bad) : -1])),
        "last": responses[-1],
    }


def test_log_prob_sample_and_complete_match_tf_saved_model_load(served):
    loaded = tf.saved_model.load(served["path"])
    for (signature, inputs, expected), response in served["good"]:
        assert response["status"] == "OK", (signature, response["message"])
        _assert_outputs_match(response["outputs"], expected)
        python = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
        assert sorted(python) == sorted(response["outputs"]), signature
        for name, value in python.items():
            assert response["outputs"][name].dtype == value.dtype.as_numpy_dtype
            _assert_outputs_match(response["outputs"], {name: value.numpy()})
    assert response["outputs"]["codes"].dtype == np.int32  # complete, the last
    inputs = served["signatures"]["log_prob"]["inputs"]
    assert inputs["codes"] == ("int32", [-1, *GRID])
    assert sorted(served["signatures"]["log_prob"]["outputs"]) == [
        "bits_per_code", "code_log_prob", "log_prob"
    ]  # fmt: skip


def test_bad_requests_are_invalid_argument_naming_the_input(served):
    assert len(served["bad"]) > 10
    for ((signature, inputs), pattern), response in served["bad"]:
        shapes = {name: value.shape for name, value in inputs.items()}
        assert response["status"] == "INVALID_ARGUMENT", (signature, shapes, response)
        assert re.search(pattern, response["message"], flags=re.DOTALL), (
            signature, shapes, pattern, response["message"][:500],
        )  # fmt: skip
    assert served["last"]["status"] == "OK"  # the process still serves good requests


def test_batch_zero_gives_empty_codes(served):
    for ((signature, _, _), good), (_, empty) in zip(served["good"], served["empty"]):
        assert empty["status"] == "OK", (signature, empty["message"])
        for name, value in good["outputs"].items():
            assert empty["outputs"][name].shape == (0, *value.shape[1:]), (signature, name)
            assert empty["outputs"][name].dtype == value.dtype
