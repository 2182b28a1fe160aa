"""The `complete` signature of GatedPixelCNNs, served as TF Serving does (fresh process,
TF1 session loader, no tf_pixelcnn): the same images as the in-process `tpc.complete`,
and malformed requests (a larger image, rank 3, bad seeds) refused by name."""

import re

import numpy as np
import pytest

import tf_pixelcnn as tpc
from tests.serving.test_export_saved_model import (
    BATCH,
    IMAGES,
    SEEDS,
    SHAPE,
    condition_inputs,
    make_model,
    serve,
)

BAD_REQUEST_ERRORS = [
    r"images must be uint8 \[batch, 4, 5, 3\]; received shape\W+\[3 8 10 3\]",
    r"images must be uint8 \[batch, 4, 5, 3\]; received shape\W+\[3 4 5\]",
    r"seed must be int32 \[batch, 2\]; received shape\W+\[3\]",
    r"seed must be int32 \[batch, 2\]; received shape\W+\[3 2 1\]",
    r"known_rows must be int32 \[batch\]; received shape\W+\[3 1\]",
]


def bad_requests(images, known_rows, named):
    """The rows of BAD_REQUEST_ERRORS, then a batch of 0."""
    good = {"images": images, "known_rows": known_rows, "seed": SEEDS, **named}
    twice = np.repeat(np.repeat(images, 2, axis=1), 2, axis=2)  # 8x10 for a 4x5 model
    return [
        ("complete", {**good, "images": twice}),
        ("complete", {**good, "images": images[..., 0]}),  # rank 3: once aborted MklConv
        ("complete", {**good, "seed": SEEDS[:, 0]}),
        ("complete", {**good, "seed": SEEDS[..., None]}),
        ("complete", {**good, "known_rows": known_rows[:, None]}),
        ("complete", {name: value[:0] for name, value in good.items()}),
    ]


@pytest.mark.parametrize("kind", ["class", "mixture"])
def test_complete_signature_matches_tpc_complete(kind, tmp_path):
    model = make_model(kind)
    path = tpc.serving.export_saved_model(model, str(tmp_path / "export"), max_batch=4)
    named, condition = condition_inputs(model)
    images = IMAGES % model.num_levels
    known_rows = np.array([0, 2, SHAPE[0]], np.int32)
    results = serve(
        path,
        [
            ("complete", {"images": images, "known_rows": known_rows, "seed": SEEDS, **named}),
            ("complete", {"images": images, "known_rows": np.array([0, 1, 5], np.int32),
                          "seed": SEEDS, **named}),
            ("complete", {"images": images, "known_rows": known_rows[:2], "seed": SEEDS,
                          **named}),
            *bad_requests(images, known_rows, named),
        ],
        tmp_path,
    )
    served, too_many_rows, short, *bad, empty = results["responses"]
    expected = tpc.complete(
        model, images.astype(np.int32), known_rows, seed=SEEDS, condition=condition
    ).numpy()
    assert served["outputs"]["images"].dtype == np.uint8
    np.testing.assert_array_equal(served["outputs"]["images"], expected)
    np.testing.assert_array_equal(expected[1, :2], images[1, :2])
    np.testing.assert_array_equal(expected[2], images[2])
    np.testing.assert_array_equal(  # nothing known: the `sample` signature's image
        expected[0],
        tpc.sample(model, condition=condition, seed=SEEDS, jit_compile=False).numpy()[0],
    )
    assert too_many_rows["error"][0] == "InvalidArgumentError"
    assert "known_rows must be in [0, height=4]" in too_many_rows["error"][1]
    assert short["error"][0] == "InvalidArgumentError"
    assert "one batch size" in short["error"][1]
    # Malformed requests reach the graph as a model server feeds them (no client-side
    # shape check): each is refused by name, none aborts the process or is answered.
    for response, pattern in zip(bad, BAD_REQUEST_ERRORS, strict=True):
        assert response.get("error", ("", ""))[0] == "InvalidArgumentError", response
        assert re.search(pattern, response["error"][1]), (pattern, response["error"][1])
    assert empty["outputs"]["images"].shape == (0, *SHAPE)  # batch 0: an empty answer
    assert empty["outputs"]["images"].dtype == np.uint8
    signature = results["signatures"]["complete"]
    assert set(signature["inputs"]) == {"images", "known_rows", "seed", *named}
    assert signature["outputs"] == ["images"]
    assert not {"PyFunc", "EagerPyFunc", "PyFuncStateless"} & set(results["ops"])
    assert BATCH == 3
