"""A `CodePixelCNN` (VQ-VAE prior) exported as a SavedModel: int32 `codes` [B, h, w] in,
the same log p, samples and completions as the in-process model out, and malformed
requests refused naming the input (docs/design.md check 4 and the SavedModel contract)."""

import json
import pathlib

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.serving.test_export_saved_model import STATEFUL_RANDOM_OPS, serve

GRID, CODES, MAP, MAP_CODES, CLASSES, MAX_BATCH = (3, 4), 600, (2, 2), 20, 3, 4
SMALL = dict(embedding_dim=6, num_layers=2, filters=8, kernel_size=3)
SEEDS = np.array([[1, 2], [3, 4], [5, 6]], np.int32)  # image b gets SEEDS[b]
RNG = np.random.default_rng(11)
CODE_GRIDS = RNG.integers(0, CODES, (3, *GRID)).astype(np.int32)  # as a VQ-VAE encoder gives
KINDS = ["unconditional", "labels", "code_map"]


def make_prior(kind):
    extra = {
        "unconditional": {},
        "labels": {"num_classes": CLASSES},
        "code_map": {"condition_grid_shape": MAP, "condition_num_codes": MAP_CODES},
    }[kind]
    return tpc.CodePixelCNN(grid_shape=GRID, num_codes=CODES, **SMALL, **extra)


def condition_inputs(kind):
    """`({served name: array}, the in-process model's condition)`."""
    if kind == "labels":
        labels = np.array([0, 2, 1], np.int32)
        return {"labels": labels}, labels
    if kind == "code_map":
        grids = RNG.integers(0, MAP_CODES, (3, *MAP)).astype(np.int32)
        return {"condition_codes": grids}, grids[..., None]
    return {}, None


@pytest.fixture(scope="module", params=KINDS)
def exported(request, tmp_path_factory):
    kind = request.param
    model = make_prior(kind)
    path = tpc.serving.export_saved_model(
        model, str(tmp_path_factory.mktemp(kind) / "export"), max_batch=MAX_BATCH
    )
    named, condition = condition_inputs(kind)
    return kind, model, path, tf.saved_model.load(path), named, condition


def test_signatures_take_and_give_int32_codes_without_a_channel_axis(exported):
    kind, model, path, loaded, named, _ = exported
    assert set(loaded.signatures) == {"serving_default", "log_prob", "sample", "complete"}
    condition_spec = {
        "unconditional": {},
        "labels": {"labels": (tf.int32, [None])},
        "code_map": {"condition_codes": (tf.int32, [None, *MAP])},
    }[kind]
    codes = {"codes": (tf.int32, [None, *GRID])}
    expected_inputs = {
        "log_prob": {**codes, **condition_spec},
        "sample": {"seed": (tf.int32, [None, None]), **condition_spec},
        "complete": {
            **codes, "known_rows": (tf.int32, [None]), "seed": (tf.int32, [None, None]),
            **condition_spec,
        },  # fmt: skip
    }
    for name, inputs in expected_inputs.items():
        specs = loaded.signatures[name].structured_input_signature[1]
        assert {k: (s.dtype, s.shape.as_list()) for k, s in specs.items()} == inputs, name
    assert sorted(loaded.signatures["log_prob"].structured_outputs) == [
        "bits_per_code", "code_log_prob", "log_prob"
    ]  # fmt: skip
    assert list(loaded.signatures["sample"].structured_outputs) == ["codes"]
    metadata = json.loads((pathlib.Path(path) / "assets.extra" / "tf_pixelcnn.json").read_text())
    assert metadata["model_kind"] == "CodePixelCNN" and metadata["num_levels"] == CODES
    assert metadata["values"] == {"name": "codes", "dtype": "int32", "shape": [-1, *GRID]}


def test_log_prob_sample_and_complete_match_the_in_process_model(exported):
    kind, model, _, loaded, named, condition = exported
    for name in ("serving_default", "log_prob"):
        outputs = loaded.signatures[name](codes=CODE_GRIDS, **named)
        expected = model.log_prob(CODE_GRIDS[..., None], condition=condition).numpy()
        np.testing.assert_allclose(outputs["log_prob"], expected, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(
            outputs["bits_per_code"], -expected / (np.prod(GRID) * np.log(2)), rtol=1e-5
        )
        per_code = outputs["code_log_prob"].numpy()
        assert per_code.shape == (3, *GRID)
        np.testing.assert_allclose(per_code.sum(axis=(1, 2)), expected, rtol=1e-5, atol=1e-4)

    sampled = loaded.signatures["sample"](seed=SEEDS, **named)["codes"]
    assert sampled.dtype == tf.int32 and sampled.shape == (3, *GRID)
    in_process = tpc.sample(model, condition=condition, seed=SEEDS, jit_compile=False)
    np.testing.assert_array_equal(sampled, in_process.numpy()[..., 0])
    assert len(np.unique(sampled)) > 10  # drawn from hundreds of codes, not a constant

    known_rows = np.array([0, 1, GRID[0]], np.int32)
    completed = loaded.signatures["complete"](
        codes=CODE_GRIDS, known_rows=known_rows, seed=SEEDS, **named
    )["codes"].numpy()
    expected = tpc.complete(
        model, CODE_GRIDS[..., None], known_rows, seed=SEEDS, condition=condition
    ).numpy()[..., 0]
    np.testing.assert_array_equal(completed, expected)
    np.testing.assert_array_equal(completed[1, :1], CODE_GRIDS[1, :1])  # the known rows
    np.testing.assert_array_equal(completed[2], CODE_GRIDS[2])
    np.testing.assert_array_equal(completed[0], in_process.numpy()[0, ..., 0])  # nothing known


def test_malformed_requests_are_refused_naming_the_input(exported):
    kind, _, _, loaded, named, _ = exported
    log_prob = loaded.signatures["log_prob"]
    too_high, negative = CODE_GRIDS.copy(), CODE_GRIDS.copy()
    too_high[2, 1, 3], negative[0, 0, 0] = CODES, -1
    bad = [
        ({"codes": CODE_GRIDS[..., None]}, r"codes must be int32 \[batch, 3, 4\]; received shape"),
        ({"codes": CODE_GRIDS[:, :2]}, r"codes must be int32 \[batch, 3, 4\]; received shape"),
        ({"codes": too_high}, rf"codes must have values in \[0, num_levels={CODES}\).*max\W+600"),
        ({"codes": negative}, r"codes must have values in \[0, num_levels=600\).*min\W+-1"),
    ]
    if kind == "labels":
        bad.append(({"labels": np.array([0, CLASSES, 1], np.int32)}, r"labels must be in"))
    if kind == "code_map":
        grids = named["condition_codes"]
        outside = grids.copy()
        outside[1, 1, 0] = MAP_CODES
        bad += [
            ({"condition_codes": outside},
             rf"condition_codes: condition image values must be in \[0, {MAP_CODES}\)"),
            ({"condition_codes": grids[..., None]},
             r"condition_codes must be int32 \[batch, 2, 2\]; received shape"),
            ({"condition_codes": grids[:2]}, r"one batch size; received codes batch\W+3"),
        ]  # fmt: skip
    doubled = {k: np.concatenate([v] * 2) for k, v in {"codes": CODE_GRIDS, **named}.items()}
    bad.append((doubled, rf"at most max_batch={MAX_BATCH}; received batch\W+6"))
    for changed, pattern in bad:
        request = {"codes": CODE_GRIDS, **named, **changed}
        with pytest.raises(tf.errors.InvalidArgumentError, match=pattern):
            log_prob(**{k: tf.constant(v) for k, v in request.items()})
    # A wrong dtype never reaches the graph: the function refuses the argument.
    request = {"codes": CODE_GRIDS.astype(np.uint8), **named}
    with pytest.raises((tf.errors.InvalidArgumentError, TypeError), match="int32.*uint8"):
        log_prob(**{k: tf.constant(v) for k, v in request.items()})
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"known_rows must be in \[0, "):
        loaded.signatures["complete"](
            codes=CODE_GRIDS, known_rows=np.array([0, 4, 1], np.int32), seed=SEEDS, **named
        )


def test_batch_zero_returns_empty_outputs(exported):
    _, _, _, loaded, named, _ = exported
    empty = {k: v[:0] for k, v in named.items()}
    outputs = loaded.signatures["log_prob"](codes=CODE_GRIDS[:0], **empty)
    assert {k: tuple(v.shape) for k, v in outputs.items()} == {
        "log_prob": (0,), "bits_per_code": (0,), "code_log_prob": (0, *GRID)
    }  # fmt: skip
    sampled = loaded.signatures["sample"](seed=SEEDS[:0], **empty)["codes"]
    assert sampled.shape == (0, *GRID) and sampled.dtype == tf.int32


def test_the_session_loader_serves_the_code_map_prior(tmp_path):
    """TF Serving's loader path, in a process that cannot import tf_pixelcnn."""
    model = make_prior("code_map")
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"), max_batch=MAX_BATCH)
    named, condition = condition_inputs("code_map")
    too_high = CODE_GRIDS.copy()
    too_high[0, 0, 0] = CODES
    results = serve(
        path,
        [
            ("serving_default", {"codes": CODE_GRIDS, **named}),
            ("sample", {"seed": SEEDS, **named}),
            ("log_prob", {"codes": too_high, **named}),
            ("log_prob", {"codes": CODE_GRIDS[..., None], **named}),
        ],
        tmp_path,
    )
    log_prob, sample, *errors = results["responses"]
    expected = model.log_prob(CODE_GRIDS[..., None], condition=condition).numpy()
    np.testing.assert_allclose(log_prob["outputs"]["log_prob"], expected, rtol=1e-5, atol=1e-4)
    in_process = tpc.sample(model, condition=condition, seed=SEEDS, jit_compile=False)
    assert sample["outputs"]["codes"].dtype == np.int32
    np.testing.assert_array_equal(sample["outputs"]["codes"], in_process.numpy()[..., 0])
    for error, pattern in zip(errors, ["codes must have values in", "codes must be int32"]):
        assert error["error"][0] == "InvalidArgumentError" and pattern in error["error"][1]
    assert not STATEFUL_RANDOM_OPS & set(results["ops"])
