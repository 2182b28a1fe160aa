"""The `complete` signature of GatedPixelCNNs, served as TF Serving does (fresh process,
TF1 session loader, no tf_pixelcnn): the same images as the in-process `tpc.complete`."""

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
                          "seed": SEEDS, **named}),  # fmt: skip
            ("complete", {"images": images, "known_rows": known_rows[:2], "seed": SEEDS,
                          **named}),  # fmt: skip
        ],
        tmp_path,
    )
    served, too_many_rows, short = results["responses"]
    expected = tpc.complete(
        model, images.astype(np.int32), known_rows, seed=SEEDS, condition=condition
    ).numpy()
    assert served["outputs"]["images"].dtype == np.uint8
    np.testing.assert_array_equal(served["outputs"]["images"], expected)
    np.testing.assert_array_equal(expected[1, :2], images[1, :2])
    np.testing.assert_array_equal(expected[2], images[2])
    np.testing.assert_array_equal(  # nothing known: the `sample` signature's image
        expected[0], tpc.sample(model, condition=condition, seed=SEEDS).numpy()[0]
    )
    assert too_many_rows["error"][0] == "InvalidArgumentError"
    assert "known_rows must be in [0, height=4]" in too_many_rows["error"][1]
    assert short["error"][0] == "InvalidArgumentError"
    assert "one batch size" in short["error"][1]
    signature = results["signatures"]["complete"]
    assert set(signature["inputs"]) == {"images", "known_rows", "seed", *named}
    assert signature["outputs"] == ["images"]
    assert not {"PyFunc", "EagerPyFunc", "PyFuncStateless"} & set(results["ops"])
    assert BATCH == 3
